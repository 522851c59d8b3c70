-- q1 into a Kafka topic (test_checkpoint_kafka.sh): the Kafka sink with checkpoints is
-- at-least-once; the topic is ${OUT_TOPIC}, CSV values as the filesystem sink writes them.
CREATE TABLE nexmark_q1_kafka (
  auction  BIGINT,
  bidder  BIGINT,
  price  DECIMAL(23, 3),
  `dateTime`  TIMESTAMP(3),
  extra  VARCHAR
) WITH (
  'connector' = 'kafka',
  'topic' = '${OUT_TOPIC}',
  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
  'sink.partitioner' = 'round-robin',
  'format' = 'csv'
);

INSERT INTO nexmark_q1_kafka
SELECT auction, bidder, 0.908 * price as price, `dateTime`, extra
FROM bid;
