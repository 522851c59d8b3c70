-- test_cluster_netns_auto.sh: cluster_tumble_fs.sql's TUMBLE window aggregation into a Kafka
-- topic ${KOUT} as well, CSV values; ${GUARANTEE} is 'exactly-once' for the job over several
-- processes (one transaction per epoch, written by the leader's first worker:
-- docs/cluster.md), 'at-least-once' for the reference run without checkpoints.
CREATE TABLE cluster_tumble_kafka (
  auction  BIGINT,
  window_start  TIMESTAMP(3),
  bids  BIGINT,
  top_price  BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = '${KOUT}',
  'properties.bootstrap.servers' = '${BOOTSTRAP_SERVERS}',
  'sink.partitioner' = 'round-robin',
  'sink.delivery-guarantee' = '${GUARANTEE}',
  'sink.transactional-id-prefix' = '${KOUT}',
  'format' = 'csv'
);

INSERT INTO cluster_tumble_kafka
SELECT auction, window_start, COUNT(*), MAX(price)
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND))
GROUP BY auction, window_start, window_end;
