-- A global Top-N (no PARTITION BY, one partition) over an updating input: the 5 auctions
-- with the most bids, with the row number; ties in the count ranked by the auction id.
-- tests/sql/test_flink_oracle.sh compares its final state with Flink's.
CREATE TABLE topn_global (
  auction BIGINT,
  cnt BIGINT,
  rn BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'topn_global'
);

INSERT INTO topn_global
SELECT auction, cnt, rn FROM (
  SELECT *, ROW_NUMBER() OVER (ORDER BY cnt DESC, auction ASC) AS rn
  FROM (SELECT auction, COUNT(*) AS cnt FROM bid GROUP BY auction))
WHERE rn <= 5;
