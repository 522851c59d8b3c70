-- Two INSERTs in one job (test_checkpoint_faults.sh): q1 (stateless: its part files become
-- visible at every committed epoch) into ${OUT}/q1 and the hopping-window count of
-- hop_count_fs.sql (state that crosses restarts) into ${OUT}/hop_count.
CREATE TABLE ckpt_q1 (
  auction  BIGINT,
  bidder  BIGINT,
  price  DECIMAL(23, 3),
  `dateTime`  TIMESTAMP(3),
  extra  VARCHAR
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/q1', 'format' = 'csv'
);

CREATE TABLE ckpt_hop_count (
  auction  BIGINT,
  num  BIGINT,
  starttime  TIMESTAMP(3),
  endtime  TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/hop_count', 'format' = 'csv'
);

INSERT INTO ckpt_q1
SELECT auction, bidder, 0.908 * price as price, `dateTime`, extra
FROM bid;

INSERT INTO ckpt_hop_count
SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
FROM TABLE(
        HOP(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end;
