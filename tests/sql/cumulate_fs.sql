-- Bids per channel in cumulating windows of 10 s growing by 2 s (CUMULATE window table
-- function), with SUM, MIN, MAX and AVG, over the Nexmark views.
CREATE TABLE nexmark_cumulate (
  channel  VARCHAR,
  num  BIGINT,
  total  BIGINT,
  lo  BIGINT,
  hi  BIGINT,
  mean  BIGINT,
  starttime  TIMESTAMP(3),
  endtime  TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_cumulate
SELECT channel, count(*) AS num, sum(price) AS total, min(price) AS lo, max(price) AS hi,
       avg(price) AS mean, window_start AS starttime, window_end AS endtime
FROM TABLE(
        CUMULATE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
GROUP BY channel, window_start, window_end;
