-- A Top-N over an updating input (Flink's RetractableTopNFunction): the 3 auctions each
-- bidder bid on most, with the row number; ties in the count ranked by the auction id.
-- tests/sql/test_flink_oracle.sh compares its final state with Flink's.
CREATE TABLE topn_agg (
  bidder BIGINT,
  auction BIGINT,
  cnt BIGINT,
  rn BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'topn_agg'
);

INSERT INTO topn_agg
SELECT bidder, auction, cnt, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY cnt DESC, auction ASC) AS rn
  FROM (SELECT bidder, auction, COUNT(*) AS cnt FROM bid GROUP BY bidder, auction))
WHERE rn <= 3;
