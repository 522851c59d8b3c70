-- topn_global without the row number, and the highest total price instead of the count
-- (SUM over the bids: a sort key that is not a count).
-- tests/sql/test_flink_oracle.sh compares its final state with Flink's.
CREATE TABLE topn_global_norn (
  auction BIGINT,
  total BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'topn_global_norn'
);

INSERT INTO topn_global_norn
SELECT auction, total FROM (
  SELECT *, ROW_NUMBER() OVER (ORDER BY total DESC, auction ASC) AS rn
  FROM (SELECT auction, SUM(price) AS total FROM bid GROUP BY auction))
WHERE rn <= 5;
