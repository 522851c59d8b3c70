-- An aggregation without GROUP BY keys (Flink's global aggregate: one group, emitting
-- updates) over the bids. tests/sql/test_flink_oracle.sh compares its final state with
-- Flink's.
CREATE TABLE global_agg (
  bids BIGINT,
  total BIGINT,
  min_price BIGINT,
  max_price BIGINT,
  avg_price BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'global_agg'
);

INSERT INTO global_agg
SELECT COUNT(*), SUM(price), MIN(price), MAX(price), AVG(price) FROM bid;
