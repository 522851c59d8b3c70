-- tests/sql/test_kafka_metadata.sh: rows from a CSV file into a Kafka table whose VIRTUAL
-- metadata columns (read only) are not written: the INSERT gives the persisted columns only,
-- and 'timestamp' (not VIRTUAL) sets each record's timestamp.
CREATE TABLE src (a BIGINT, b STRING, ts TIMESTAMP(3))
WITH ('connector' = 'filesystem', 'path' = '${IN}', 'format' = 'csv');
CREATE TABLE k (
  ts TIMESTAMP(3) METADATA FROM 'timestamp',
  a BIGINT,
  p INT NOT NULL METADATA FROM 'partition' VIRTUAL,
  `offset` BIGINT METADATA VIRTUAL,
  b STRING,
  tp STRING METADATA FROM 'topic' VIRTUAL
) WITH ('connector' = 'kafka', 'topic' = '${TOPIC}', 'format' = 'json',
  'properties.bootstrap.servers' = '${BS}', 'sink.partitioner' = 'round-robin',
  'scan.bounded.mode' = 'latest-offset', 'scan.startup.mode' = 'earliest-offset');
INSERT INTO k SELECT ts, a, b FROM src;
