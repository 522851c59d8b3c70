-- A regular join with an updating right input (sluice's test, not a Nexmark query): the
-- auctions joined with their latest bid (a Deduplicate keeping the last row by rowtime: each
-- new bid of an auction retracts the one before, -U / +U). tests/sql/test_flink_oracle.sh
-- compares its final state with Flink's.
CREATE TABLE ujoin_dedup (
  id BIGINT,
  itemName VARCHAR,
  bidder BIGINT,
  price BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'ujoin_dedup'
);

INSERT INTO ujoin_dedup
SELECT A.id, A.itemName, B.bidder, B.price
FROM auction AS A
JOIN (
  SELECT auction, bidder, price FROM (
    SELECT auction, bidder, price,
      ROW_NUMBER() OVER (PARTITION BY auction ORDER BY dateTime DESC) AS rn
    FROM bid)
  WHERE rn = 1) AS B
ON A.id = B.auction;
