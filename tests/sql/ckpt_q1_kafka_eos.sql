-- q1 into a Kafka topic exactly once (test_kafka_exactly_once.sh): each checkpoint epoch's
-- rows are one Kafka transaction (io/kafka_txn.h); the topic is ${OUT_TOPIC}, CSV values as
-- the filesystem sink writes them; ${GUARANTEE} is 'exactly-once' or, for the control run,
-- 'at-least-once'.
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
  'sink.delivery-guarantee' = '${GUARANTEE}',
  'sink.transactional-id-prefix' = '${TXN_PREFIX}',
  'format' = 'csv'
);

INSERT INTO nexmark_q1_kafka
SELECT auction, bidder, 0.908 * price as price, `dateTime`, extra
FROM bid;
