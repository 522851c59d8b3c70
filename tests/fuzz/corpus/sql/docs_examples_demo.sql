-- The sluice demo (tools/demo.sh): one job, two pipelines over the Nexmark generator.
--   1. bids in 10-second tumbling windows of event time: count, average and top price,
--      printed as Flink's print connector prints rows;
--   2. every bid as JSON into the Kafka topic 'bids' (an embedded broker unless --brokers).
CREATE TABLE datagen (
    event_type int,
    person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR,
               city VARCHAR, state VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR>,
    auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,
                reserve BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT,
                category BIGINT, extra VARCHAR>,
    bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
            `dateTime` TIMESTAMP(3), extra VARCHAR>,
    `dateTime` AS
        CASE
            WHEN event_type = 0 THEN person.`dateTime`
            WHEN event_type = 1 THEN auction.`dateTime`
            ELSE bid.`dateTime`
        END,
    WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
) WITH (
    'connector' = 'nexmark',
    'first-event.rate' = '${RATE}',
    'next-event.rate' = '${RATE}',
    'events.num' = '${EVENTS}',
    'sluice.base-time' = '1700000000000'
);

CREATE VIEW bid AS
SELECT bid.auction, bid.bidder, bid.price, bid.channel, bid.url, `dateTime`, bid.extra
FROM datagen WHERE event_type = 2;

CREATE TABLE bid_stats (
    window_start  TIMESTAMP(3),
    window_end  TIMESTAMP(3),
    bids  BIGINT,
    avg_price  BIGINT,
    top_price  BIGINT
) WITH (
    'connector' = 'print'
);

INSERT INTO bid_stats
SELECT window_start, window_end, COUNT(*), AVG(price), MAX(price)
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;

CREATE TABLE bids_topic (
    auction  BIGINT,
    bidder  BIGINT,
    price  BIGINT,
    `dateTime`  TIMESTAMP(3)
) WITH (
    'connector' = 'kafka',
    'topic' = 'bids',
    'format' = 'json'
);

INSERT INTO bids_topic
SELECT auction, bidder, price, `dateTime` FROM bid;
