-- test_kafka_exactly_once.sh: sluice itself as the read_committed reader (the Kafka source's
-- default isolation level) of ckpt_q1_kafka_eos.sql's output topic ${OUT_TOPIC}, bounded at
-- its end, into CSV files like the ones the filesystem sink writes for q1.
CREATE TABLE q1_out (
  auction  BIGINT,
  bidder  BIGINT,
  price  DECIMAL(23, 3),
  `dateTime`  TIMESTAMP(3),
  extra  VARCHAR
) WITH (
  'connector' = 'kafka',
  'topic' = '${OUT_TOPIC}',
  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'csv'
);

CREATE TABLE q1_files (
  auction  BIGINT,
  bidder  BIGINT,
  price  DECIMAL(23, 3),
  `dateTime`  TIMESTAMP(3),
  extra  VARCHAR
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}',
  'format' = 'csv'
);

INSERT INTO q1_files SELECT auction, bidder, price, `dateTime`, extra FROM q1_out;
