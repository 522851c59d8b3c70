-- test_cluster_static.sh: a TUMBLE window aggregation keyed by auction (its partials cross
-- between workers, and between processes in a job over several), into a filesystem folder.
CREATE TABLE cluster_tumble (
  auction  BIGINT,
  window_start  TIMESTAMP(3),
  bids  BIGINT,
  top_price  BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO cluster_tumble
SELECT auction, window_start, COUNT(*), MAX(price)
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND))
GROUP BY auction, window_start, window_end;
