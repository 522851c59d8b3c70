-- A cascaded window aggregation (no join): per 10 s tumbling window, the highest and the total
-- of the bid counts per auction and the number of auctions with bids. The outer GROUP BY
-- takes the inner window aggregation's window columns under other names, which keeps the
-- window (Flink's WindowAttachedWindowingStrategy): insert-only, one row per window.
CREATE TABLE cascade_tumble (
  starttime  TIMESTAMP(3),
  endtime  TIMESTAMP(3),
  maxn  BIGINT,
  total  BIGINT,
  auctions  BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO cascade_tumble
SELECT ws, we, MAX(num), SUM(num), COUNT(*)
FROM (
  SELECT auction, COUNT(*) AS num, window_start AS ws, window_end AS we
  FROM TABLE(
          TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
  GROUP BY auction, window_start, window_end
) AS counts
GROUP BY ws, we;
