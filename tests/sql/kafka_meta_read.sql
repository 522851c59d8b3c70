-- tests/sql/test_kafka_metadata.sh: the same Kafka table read back (bounded), every
-- metadata column with the values.
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
CREATE TABLE o (a BIGINT, b STRING, ts TIMESTAMP(3), p INT, o BIGINT, tp STRING)
WITH ('connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv');
INSERT INTO o SELECT a, b, ts, p, `offset`, tp FROM k;
