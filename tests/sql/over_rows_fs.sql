-- OVER aggregates over a ROWS frame: per auction, the average, MIN, MAX, SUM and COUNT of the
-- price over each bid and the 10 before it (in event time, ties in arrival order).
CREATE TABLE nexmark_over_rows (
  auction  BIGINT,
  bidder  BIGINT,
  price  BIGINT,
  dateTime  TIMESTAMP(3),
  avg_price  BIGINT,
  min_price  BIGINT,
  max_price  BIGINT,
  sum_price  BIGINT,
  bids  BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_over_rows
SELECT auction, bidder, price, dateTime,
  AVG(price) OVER (PARTITION BY auction ORDER BY dateTime ROWS BETWEEN 10 PRECEDING AND CURRENT ROW),
  MIN(price) OVER (PARTITION BY auction ORDER BY dateTime ROWS BETWEEN 10 PRECEDING AND CURRENT ROW),
  MAX(price) OVER (PARTITION BY auction ORDER BY dateTime ROWS BETWEEN 10 PRECEDING AND CURRENT ROW),
  SUM(price) OVER (PARTITION BY auction ORDER BY dateTime ROWS BETWEEN 10 PRECEDING AND CURRENT ROW),
  COUNT(*) OVER (PARTITION BY auction ORDER BY dateTime ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
FROM bid;
