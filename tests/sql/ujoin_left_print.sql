-- A LEFT JOIN with an updating right input (sluice's test, not a Nexmark query): the auctions
-- with their latest bid, null-padded while they have none. A new bid retracts the old pair
-- (-D) and emits the new one; the padding goes at the first bid (-D) and would come back
-- (+I) when the last one were retracted, as Flink's StreamingJoinOperator.
-- tests/sql/test_flink_oracle.sh compares its final state with Flink's.
CREATE TABLE ujoin_left (
  id BIGINT,
  itemName VARCHAR,
  bidder BIGINT,
  price BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'ujoin_left'
);

INSERT INTO ujoin_left
SELECT A.id, A.itemName, B.bidder, B.price
FROM auction AS A
LEFT JOIN (
  SELECT auction, bidder, price FROM (
    SELECT auction, bidder, price,
      ROW_NUMBER() OVER (PARTITION BY auction ORDER BY dateTime DESC) AS rn
    FROM bid)
  WHERE rn = 1) AS B
ON A.id = B.auction;
