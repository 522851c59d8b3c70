-- Aggregations without GROUP BY keys (Flink's global aggregate: one group, emitting updates):
-- over the bids, and over an updating GROUP BY (the number of auctions with bids, their bids,
-- the most bids on one auction). tests/sql/test_flink_oracle.sh compares their final states
-- with Flink's.
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

CREATE TABLE global_upd (
  auctions BIGINT,
  bids BIGINT,
  most BIGINT,
  fewest BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'global_upd'
);

INSERT INTO global_agg
SELECT COUNT(*), SUM(price), MIN(price), MAX(price), AVG(price) FROM bid;

INSERT INTO global_upd
SELECT COUNT(*), SUM(cnt), MAX(cnt), MIN(cnt)
FROM (SELECT auction, COUNT(*) AS cnt FROM bid GROUP BY auction);
