-- OVER aggregates from the partition's first row: per auction, ROWS BETWEEN UNBOUNDED
-- PRECEDING AND CURRENT ROW (each bid sees the bids before it in event time, ties in
-- arrival order) and, with no frame written, Flink's default RANGE UNBOUNDED PRECEDING (bids
-- of the same millisecond see each other).
CREATE TABLE nexmark_over_unbounded (
  auction  BIGINT,
  price  BIGINT,
  dateTime  TIMESTAMP(3),
  bids  BIGINT,
  highest  BIGINT,
  mean  BIGINT,
  bids_range  BIGINT,
  lowest_range  BIGINT,
  total_range  BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_over_unbounded
SELECT auction, price, dateTime, bids, highest, mean, bids_range, lowest_range, total_range
FROM (
  SELECT auction, price, dateTime, bids, highest, mean,
    COUNT(*) OVER (PARTITION BY auction ORDER BY dateTime) AS bids_range,
    MIN(price) OVER (PARTITION BY auction ORDER BY dateTime) AS lowest_range,
    SUM(price) OVER (PARTITION BY auction ORDER BY dateTime) AS total_range
  FROM (
    SELECT auction, price, dateTime,
      COUNT(*) OVER (PARTITION BY auction ORDER BY dateTime
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS bids,
      MAX(price) OVER (PARTITION BY auction ORDER BY dateTime
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS highest,
      AVG(price) OVER (PARTITION BY auction ORDER BY dateTime
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS mean
    FROM bid));
