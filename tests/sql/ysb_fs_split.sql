-- ysb_fs.sql with both files read in byte-range splits of ${SPLIT_SIZE} (the events) and
-- 1 kb (the campaigns, a lookup table: one worker reads all its ranges), so that every
-- worker count cuts the events file at other places (test_pipelines.sh,
-- test_checkpoint_fs.sh).
CREATE TABLE ysb_events (
  user_id  VARCHAR,
  page_id  VARCHAR,
  ad_id  VARCHAR,
  ad_type  VARCHAR,
  event_type  VARCHAR,
  event_time  BIGINT,
  ip_address  VARCHAR,
  ts AS TO_TIMESTAMP_LTZ(event_time, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${EVENTS}',
  'format' = 'json',
  'sluice.split-size' = '${SPLIT_SIZE}'
);

CREATE TABLE campaigns (
  ad_id  VARCHAR,
  campaign_id  VARCHAR
) WITH (
  'connector' = 'filesystem',
  'path' = '${CAMPAIGNS}',
  'format' = 'csv',
  'sluice.split-size' = '1 kb'
);

CREATE TABLE ysb_counts (
  campaign_id  VARCHAR,
  window_start  TIMESTAMP(3),
  `views`  BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO ysb_counts
SELECT c.campaign_id, window_start, COUNT(*) AS `views`
FROM TABLE(TUMBLE(TABLE ysb_events, DESCRIPTOR(ts), INTERVAL '10' SECOND)) AS e
JOIN campaigns AS c ON e.ad_id = c.ad_id
WHERE e.event_type = 'view'
GROUP BY c.campaign_id, window_start, window_end;
