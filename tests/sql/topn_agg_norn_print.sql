-- topn_agg without the row number in the result: a row pushed out of a bidder's top 3
-- is deleted, the one from below that refills it inserted.
-- tests/sql/test_flink_oracle.sh compares its final state with Flink's.
CREATE TABLE topn_agg_norn (
  bidder BIGINT,
  auction BIGINT,
  cnt BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'topn_agg_norn'
);

INSERT INTO topn_agg_norn
SELECT bidder, auction, cnt FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY cnt DESC, auction ASC) AS rn
  FROM (SELECT bidder, auction, COUNT(*) AS cnt FROM bid GROUP BY bidder, auction))
WHERE rn <= 3;
