-- Nexmark q15's select list (bids by price range, distinct bidders and auctions, with and
-- without FILTER) over tumbling windows of 10 s in place of q15's day, plus SUM / AVG / MIN /
-- MAX (DISTINCT), a DISTINCT over a string and a FILTER that can be NULL.
CREATE TABLE nexmark_q15_window (
  window_start  TIMESTAMP(3),
  total_bids  BIGINT,
  rank1_bids  BIGINT,
  rank2_bids  BIGINT,
  rank3_bids  BIGINT,
  total_bidders  BIGINT,
  rank1_bidders  BIGINT,
  rank2_bidders  BIGINT,
  rank3_bidders  BIGINT,
  total_auctions  BIGINT,
  rank1_auctions  BIGINT,
  rank2_auctions  BIGINT,
  rank3_auctions  BIGINT,
  channels  BIGINT,
  sum_distinct_price  BIGINT,
  avg_distinct_price  BIGINT,
  sum_rank1_price  BIGINT,
  min_distinct_price  BIGINT,
  max_rank1_price  BIGINT,
  cheap_google  BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_q15_window
SELECT
  window_start,
  count(*) AS total_bids,
  count(*) filter (where price < 10000) AS rank1_bids,
  count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,
  count(*) filter (where price >= 1000000) AS rank3_bids,
  count(distinct bidder) AS total_bidders,
  count(distinct bidder) filter (where price < 10000) AS rank1_bidders,
  count(distinct bidder) filter (where price >= 10000 and price < 1000000) AS rank2_bidders,
  count(distinct bidder) filter (where price >= 1000000) AS rank3_bidders,
  count(distinct auction) AS total_auctions,
  count(distinct auction) filter (where price < 10000) AS rank1_auctions,
  count(distinct auction) filter (where price >= 10000 and price < 1000000) AS rank2_auctions,
  count(distinct auction) filter (where price >= 1000000) AS rank3_auctions,
  count(distinct channel) AS channels,
  sum(distinct price) AS sum_distinct_price,
  avg(distinct price) AS avg_distinct_price,
  sum(price) filter (where price < 10000) AS sum_rank1_price,
  min(distinct price) AS min_distinct_price,
  max(price) filter (where price < 10000) AS max_rank1_price,
  count(distinct auction) filter (where channel = 'Google' and price < 10000) AS cheap_google
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
