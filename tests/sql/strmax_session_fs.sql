-- MIN / MAX of VARCHAR in session windows (gap 2 s) per bidder: session tables merge and
-- compact (engine/ops/op_winagg.c), the strings re-interned into the new table.
CREATE TABLE nexmark_strmax_session (
  bidder  BIGINT,
  num  BIGINT,
  channel_lo  VARCHAR,
  channel_hi  VARCHAR,
  first_second  VARCHAR,
  starttime  TIMESTAMP(3),
  endtime  TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_strmax_session
SELECT bidder, count(*) AS num, min(channel) AS channel_lo, max(channel) AS channel_hi,
       min(DATE_FORMAT(`dateTime`, 'HH:mm:ss.SSS')) AS first_second,
       window_start AS starttime, window_end AS endtime
FROM TABLE(
        SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND))
GROUP BY bidder, window_start, window_end;
