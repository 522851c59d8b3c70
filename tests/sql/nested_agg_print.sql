-- An unbounded GROUP BY over an updating one (its input is a changelog: -U / +U rows retract):
-- per number of bids an auction has, how many auctions, their total and mean price and the
-- extremes of their top bids and channels. tests/sql/test_flink_oracle.sh compares its final
-- state with Flink's.
CREATE TABLE nested_agg (
  cnt BIGINT,
  auctions BIGINT,
  total BIGINT,
  avg_total BIGINT,
  min_top BIGINT,
  max_top BIGINT,
  min_channel VARCHAR,
  max_channel VARCHAR
) WITH (
  'connector' = 'print',
  'print-identifier' = 'nested_agg'
);

INSERT INTO nested_agg
SELECT cnt, COUNT(*), SUM(total), AVG(total), MIN(top), MAX(top), MIN(ch), MAX(ch)
FROM (
  SELECT auction, COUNT(*) AS cnt, SUM(price) AS total, MAX(price) AS top, MAX(channel) AS ch
  FROM bid
  GROUP BY auction)
GROUP BY cnt;
