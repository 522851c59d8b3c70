-- q16_window's kind of select list over HOP windows (10 s sliding by 2 s), which sluice
-- aggregates by slices (window slicing): COUNT(DISTINCT) with and without FILTER, COUNT(*)
-- FILTER, MIN, MAX. A bidder seen in several slices of a window counts once. (SUM / AVG
-- (DISTINCT) over HOP: Flink 1.20 refuses them, "This function does not support retraction".)
CREATE TABLE nexmark_hop_distinct (
  channel  VARCHAR,
  starttime  TIMESTAMP(3),
  endtime  TIMESTAMP(3),
  total_bids  BIGINT,
  rank1_bids  BIGINT,
  total_bidders  BIGINT,
  rank1_bidders  BIGINT,
  total_auctions  BIGINT,
  lo  BIGINT,
  hi  BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_hop_distinct
SELECT
  channel,
  window_start,
  window_end,
  count(*) AS total_bids,
  count(*) filter (where price < 10000) AS rank1_bids,
  count(distinct bidder) AS total_bidders,
  count(distinct bidder) filter (where price < 10000) AS rank1_bidders,
  count(distinct auction) AS total_auctions,
  min(price) AS lo,
  max(price) AS hi
FROM TABLE(
        HOP(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
GROUP BY channel, window_start, window_end;
