-- bench/cluster.sh: a keyed TUMBLE window aggregation over the Nexmark bids (q5's inner
-- part, on TUMBLE): COUNT(*) and MAX(price) per auction and 10-second window, into a
-- blackhole. Each worker pre-aggregates; its partials go to the auction's key-group owner,
-- through the rings inside a process and through the Kafka channel between processes.
CREATE TABLE cluster_tumble (
  auction  BIGINT,
  window_start  TIMESTAMP(3),
  bids  BIGINT,
  top_price  BIGINT
) WITH (
  'connector' = 'blackhole'
);

INSERT INTO cluster_tumble
SELECT auction, window_start, COUNT(*), MAX(price)
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end;
