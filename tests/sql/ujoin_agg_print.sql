-- A regular join of two updating inputs (sluice's test, not a Nexmark query): per auction its
-- number of bids (an unbounded GROUP BY) joined with its highest bid (another one). Each
-- update of either side retracts the pairs of the old row (-U) and emits those of the new
-- (+U), as Flink's StreamingJoinOperator. tests/sql/test_flink_oracle.sh compares its final
-- state with Flink's.
CREATE TABLE ujoin_agg (
  auction BIGINT,
  cnt BIGINT,
  top BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'ujoin_agg'
);

INSERT INTO ujoin_agg
SELECT C.auction, C.cnt, M.top
FROM (SELECT auction, COUNT(*) AS cnt FROM bid GROUP BY auction) AS C
JOIN (SELECT auction, MAX(price) AS top FROM bid GROUP BY auction) AS M
ON C.auction = M.auction;
