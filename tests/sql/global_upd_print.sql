-- A global aggregate (no GROUP BY keys) over an updating GROUP BY: the auctions with bids,
-- their bids, the most and fewest bids on one auction. tests/sql/test_flink_oracle.sh
-- compares its final state with Flink's.
CREATE TABLE global_upd (
  auctions BIGINT,
  bids BIGINT,
  most BIGINT,
  fewest BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'global_upd'
);

INSERT INTO global_upd
SELECT COUNT(*), SUM(cnt), MAX(cnt), MIN(cnt)
FROM (SELECT auction, COUNT(*) AS cnt FROM bid GROUP BY auction);
