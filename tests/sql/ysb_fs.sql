-- The Yahoo streaming benchmark as one query: ad events, keep the views, join each ad to
-- its campaign, count views per campaign in 10 s tumbling windows.
--
--   sluice gen ysb --events 1000000 --out events.json --campaigns-out campaigns.csv
--   sluice run ysb.sql --set EVENTS=events.json --set CAMPAIGNS=campaigns.csv
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
  'format' = 'json'
);

CREATE TABLE campaigns (
  ad_id  VARCHAR,
  campaign_id  VARCHAR
) WITH (
  'connector' = 'filesystem',
  'path' = '${CAMPAIGNS}',
  'format' = 'csv'
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
