-- A partitioned filesystem sink (Nexmark q10's options) over a CSV file whose rows carry
-- their partition values: folder names with characters Flink escapes, NULL and empty values
-- (the default partition), the partition-time commit trigger. test_flink_oracle.sh compares
-- the folders, the rows in them and the _SUCCESS files with Flink's.
CREATE TABLE part_in (
  k BIGINT,
  ts TIMESTAMP(3),
  s STRING,
  dt STRING,
  hm STRING,
  tag STRING,
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'filesystem', 'path' = '${PART_IN}', 'format' = 'csv'
);

CREATE TABLE part_out (
  k BIGINT,
  dt STRING,
  ts TIMESTAMP(3),
  hm STRING,
  s STRING,
  tag STRING
) PARTITIONED BY (dt, hm, tag) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}',
  'format' = 'csv',
  'sink.partition-commit.trigger' = 'partition-time',
  'sink.partition-commit.delay' = '1 min',
  'sink.partition-commit.policy.kind' = 'success-file',
  'partition.time-extractor.timestamp-pattern' = '$dt $hm:00',
  'sink.rolling-policy.rollover-interval' = '1min',
  'sink.rolling-policy.check-interval' = '1min'
);

INSERT INTO part_out SELECT k, dt, ts, hm, s, tag FROM part_in;
