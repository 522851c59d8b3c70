-- Bids per auction in hopping windows of 10 s sliding by 2 s: the inner query of
-- Nexmark q5 (AuctionBids), on its own.
CREATE TABLE nexmark_hop_count (
  auction  BIGINT,
  num  BIGINT,
  starttime  TIMESTAMP(3),
  endtime  TIMESTAMP(3)
) WITH (
  'connector' = '${SINK}'
);

INSERT INTO nexmark_hop_count
SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
FROM TABLE(
        HOP(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end;
