-- MIN / MAX of VARCHAR over all bids of tumbling windows of 5 s (engine/ops/hashagg.h: strings ordered by
-- their UTF-8 bytes, Flink's BinaryStringData.compareTo): the url, a formatted time (q16's
-- max(DATE_FORMAT(...))) and extra, whose strings are mostly empty.
CREATE TABLE nexmark_strmax_tumble (
  num  BIGINT,
  url_lo  VARCHAR,
  url_hi  VARCHAR,
  last_second  VARCHAR,
  extra_lo  VARCHAR,
  extra_hi  VARCHAR,
  starttime  TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_strmax_tumble
SELECT count(*) AS num, min(url) AS url_lo, max(url) AS url_hi,
       max(DATE_FORMAT(`dateTime`, 'HH:mm:ss')) AS last_second, min(extra) AS extra_lo,
       max(extra) AS extra_hi, window_start AS starttime
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '5' SECOND))
GROUP BY window_start, window_end;
