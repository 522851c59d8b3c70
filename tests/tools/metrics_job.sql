-- The job tests/tools/test_metrics.sh scrapes (with tests/sql/nexmark_paced.sql before it):
-- a Kafka source with a filter and a bad-record policy, and a paced generator into a
-- TUMBLE window (watermarks, window state), both into filesystem sinks.
CREATE TABLE bids (
  auction BIGINT,
  price BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = 'bids',
  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'json',
  'sluice.bad-records' = 'skip'
);

CREATE TABLE cheap_bids (
  auction BIGINT,
  price BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/cheap', 'format' = 'csv'
);

CREATE TABLE event_counts (
  window_start TIMESTAMP(3),
  events BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/counts', 'format' = 'csv'
);

INSERT INTO cheap_bids SELECT auction, price FROM bids WHERE price < 50;

INSERT INTO event_counts
SELECT window_start, COUNT(*)
FROM TABLE(TUMBLE(TABLE datagen, DESCRIPTOR(`dateTime`), INTERVAL '1' SECOND))
GROUP BY window_start, window_end;
