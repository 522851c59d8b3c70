-- A global Top-N over the insert-only bids (Flink's AppendOnlyTopNFunction at parallelism 1):
-- the 3 highest bids, with the row number; ties broken by time, bidder and auction.
-- tests/sql/test_flink_oracle.sh compares its final state with Flink's.
CREATE TABLE topn_global_bids (
  auction BIGINT,
  bidder BIGINT,
  price BIGINT,
  rn BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'topn_global_bids'
);

INSERT INTO topn_global_bids
SELECT auction, bidder, price, rn FROM (
  SELECT auction, bidder, price, ROW_NUMBER() OVER (
    ORDER BY price DESC, `dateTime` DESC, bidder ASC, auction ASC) AS rn
  FROM bid)
WHERE rn <= 3;
