-- test_cluster_static.sh: an unbounded GROUP BY (updates: -U / +U) keyed by bidder, printed;
-- the final state is compared (changelog.py), each key's changes coming from one worker.
CREATE TABLE cluster_group (
  bidder  BIGINT,
  bids  BIGINT,
  total  BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'cluster_group'
);

INSERT INTO cluster_group
SELECT bidder, COUNT(*), SUM(price) FROM bid GROUP BY bidder;
