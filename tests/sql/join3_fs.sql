-- A three-way join (sluice's test, not a Nexmark query): each bid of category 10 with its
-- auction and the auction's seller - a left-deep tree of two regular joins on different
-- keys (the second one exchanges the first one's output by A.seller).
CREATE TABLE join3 (
    auction  BIGINT,
    price  BIGINT,
    itemName  VARCHAR,
    seller  BIGINT,
    name  VARCHAR,
    state  VARCHAR,
    bid_dateTime  TIMESTAMP(3)
) WITH (
    'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO join3
SELECT B.auction, B.price, A.itemName, A.seller, P.name, P.state, B.`dateTime`
FROM bid AS B
    JOIN auction AS A ON A.id = B.auction
    JOIN person AS P ON P.id = A.seller AND P.state <> 'OR'
WHERE A.category = 10 AND B.price > 1000;
