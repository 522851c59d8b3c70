-- OVER aggregates over a RANGE frame: per bidder, the bids of the 2 s before each bid (in
-- event time; bids of the same millisecond are peers: they all see each other).
CREATE TABLE nexmark_over_range (
  bidder  BIGINT,
  auction  BIGINT,
  price  BIGINT,
  dateTime  TIMESTAMP(3),
  bids  BIGINT,
  priced  BIGINT,
  total  BIGINT,
  lowest  BIGINT,
  highest  BIGINT,
  mean  BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_over_range
SELECT bidder, auction, price, dateTime,
  COUNT(*) OVER (PARTITION BY bidder ORDER BY dateTime
    RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW),
  COUNT(price) OVER (PARTITION BY bidder ORDER BY dateTime
    RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW),
  SUM(price) OVER (PARTITION BY bidder ORDER BY dateTime
    RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW),
  MIN(price) OVER (PARTITION BY bidder ORDER BY dateTime
    RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW),
  MAX(price) OVER (PARTITION BY bidder ORDER BY dateTime
    RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW),
  AVG(price) OVER (PARTITION BY bidder ORDER BY dateTime
    RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW)
FROM bid;
