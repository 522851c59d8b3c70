-- Bids and their total per bidder in session windows with a gap of 2 s (Flink 1.19+'s SESSION
-- window table function), over the Nexmark views.
CREATE TABLE nexmark_session (
  bidder  BIGINT,
  num  BIGINT,
  total  BIGINT,
  lo  BIGINT,
  hi  BIGINT,
  starttime  TIMESTAMP(3),
  endtime  TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_session
SELECT bidder, count(*) AS num, sum(price) AS total, min(price) AS lo, max(price) AS hi,
       window_start AS starttime, window_end AS endtime
FROM TABLE(
        SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND))
GROUP BY bidder, window_start, window_end;
