-- Count, sum and maximum of bid prices per auction in tumbling windows of 10 s.
CREATE TABLE nexmark_tumble_stats (
  auction  BIGINT,
  window_start  TIMESTAMP(3),
  bids  BIGINT,
  total  BIGINT,
  top  BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_tumble_stats
SELECT auction, window_start, COUNT(*), SUM(price), MAX(price)
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end;
