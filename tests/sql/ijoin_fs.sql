-- An interval join (sluice's test, not a Nexmark query): each bid with its auction when the
-- bid came within 10 s after the auction started - Flink's IntervalJoin (bid.dateTime minus
-- auction.dateTime in [0 s, 10 s]; each side's rows are dropped once the watermark has passed
-- their bound, and both dateTime columns stay time attributes: a sink takes one, so the
-- auction's is cast to a plain TIMESTAMP(3), as Flink requires).
CREATE TABLE ijoin (
    auction  BIGINT,
    bidder  BIGINT,
    price  BIGINT,
    itemName  VARCHAR,
    bid_dateTime  TIMESTAMP(3),
    auction_dateTime  TIMESTAMP(3)
) WITH (
    'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO ijoin
SELECT B.auction, B.bidder, B.price, A.itemName, B.`dateTime`,
    CAST(A.`dateTime` AS TIMESTAMP(3))
FROM bid AS B
    JOIN auction AS A ON B.auction = A.id
        AND B.`dateTime` BETWEEN A.`dateTime` AND A.`dateTime` + INTERVAL '10' SECOND;
