-- test_cluster_kafka_eos.sh: one job over several processes with two exactly-once Kafka
-- tables, which share the job's one transaction per epoch (io/kafka_txn.h): Nexmark q1
-- (every bid: all of them travel to the worker that writes, engine/ops/op_txsink.h) into
-- ${OUT_TOPIC}-q1, and a TUMBLE window aggregation keyed by auction (its partials cross
-- between the processes first) into ${OUT_TOPIC}-tumble. CSV values; ${GUARANTEE} is
-- 'exactly-once', or 'at-least-once' for the reference run without checkpoints.
CREATE TABLE eos_q1 (
  auction  BIGINT,
  bidder  BIGINT,
  price  DECIMAL(23, 3),
  `dateTime`  TIMESTAMP(3),
  extra  VARCHAR
) WITH (
  'connector' = 'kafka',
  'topic' = '${OUT_TOPIC}-q1',
  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
  'sink.partitioner' = 'round-robin',
  'sink.delivery-guarantee' = '${GUARANTEE}',
  'sink.transactional-id-prefix' = '${TXN_PREFIX}',
  'format' = 'csv'
);

CREATE TABLE eos_tumble (
  auction  BIGINT,
  window_start  TIMESTAMP(3),
  bids  BIGINT,
  top_price  BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = '${OUT_TOPIC}-tumble',
  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
  'sink.partitioner' = 'round-robin',
  'sink.delivery-guarantee' = '${GUARANTEE}',
  'sink.transactional-id-prefix' = '${TXN_PREFIX}',
  'format' = 'csv'
);

INSERT INTO eos_q1
SELECT auction, bidder, 0.908 * price as price, `dateTime`, extra
FROM bid;

INSERT INTO eos_tumble
SELECT auction, window_start, COUNT(*), MAX(price)
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND))
GROUP BY auction, window_start, window_end;
