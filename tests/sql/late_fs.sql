-- The late-data side output (docs/sql.md, "Late data"): four window aggregations (TUMBLE,
-- HOP, SESSION, CUMULATE) over one file with deliberately out-of-order rows (tests/sql/late_gen.py);
-- each source table sends the rows its window drops as late into its own late table, with
-- the reason and the watermark. tests/sql/test_late_data.sh runs it.
CREATE TABLE bids_t (
  id BIGINT, k BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${IN}',
        'sluice.late-data.sink' = 'late_t', 'sluice.late-data.reason-column' = 'why',
        'sluice.late-data.watermark-column' = 'wm', 'format' = 'csv');
CREATE TABLE bids_h (
  id BIGINT, k BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${IN}',
        'sluice.late-data.sink' = 'late_h', 'sluice.late-data.reason-column' = 'why',
        'sluice.late-data.watermark-column' = 'wm', 'format' = 'csv');
CREATE TABLE bids_s (
  id BIGINT, k BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${IN}',
        'sluice.late-data.sink' = 'late_s', 'sluice.late-data.reason-column' = 'why',
        'sluice.late-data.watermark-column' = 'wm', 'format' = 'csv');
CREATE TABLE bids_c (
  id BIGINT, k BIGINT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${IN}',
        'sluice.late-data.sink' = 'late_c', 'sluice.late-data.reason-column' = 'why',
        'sluice.late-data.watermark-column' = 'wm', 'format' = 'csv');
CREATE TABLE late_t (id BIGINT, k BIGINT, ts TIMESTAMP(3), why STRING, wm TIMESTAMP(3))
  WITH ('connector' = 'filesystem', 'path' = '${OUT}/late_t', 'format' = 'csv');
CREATE TABLE late_h (ts TIMESTAMP(3), why STRING, id BIGINT, wm TIMESTAMP(3), k BIGINT)
  WITH ('connector' = 'filesystem', 'path' = '${OUT}/late_h', 'format' = 'csv');
CREATE TABLE late_s (id BIGINT, k BIGINT, ts TIMESTAMP(3), why STRING, wm TIMESTAMP(3))
  WITH ('connector' = 'filesystem', 'path' = '${OUT}/late_s', 'format' = 'csv');
CREATE TABLE late_c (id BIGINT, k BIGINT, ts TIMESTAMP(3), why STRING, wm TIMESTAMP(3))
  WITH ('connector' = 'filesystem', 'path' = '${OUT}/late_c', 'format' = 'csv');
CREATE TABLE out_t (k BIGINT, n BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3))
  WITH ('connector' = 'filesystem', 'path' = '${OUT}/out_t', 'format' = 'csv');
CREATE TABLE out_h (k BIGINT, n BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3))
  WITH ('connector' = 'filesystem', 'path' = '${OUT}/out_h', 'format' = 'csv');
CREATE TABLE out_c (k BIGINT, n BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3))
  WITH ('connector' = 'filesystem', 'path' = '${OUT}/out_c', 'format' = 'csv');
CREATE TABLE out_s (k BIGINT, n BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3))
  WITH ('connector' = 'filesystem', 'path' = '${OUT}/out_s', 'format' = 'csv');

INSERT INTO out_t
SELECT k, COUNT(*), window_start, window_end
FROM TABLE(TUMBLE(TABLE bids_t, DESCRIPTOR(ts), INTERVAL '10' SECOND))
WHERE id >= 0
GROUP BY k, window_start, window_end;

INSERT INTO out_h
SELECT k, COUNT(*), window_start, window_end
FROM TABLE(HOP(TABLE bids_h, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY k, window_start, window_end;

INSERT INTO out_s
SELECT k, COUNT(*), window_start, window_end
FROM TABLE(SESSION(TABLE bids_s PARTITION BY k, DESCRIPTOR(ts), INTERVAL '3' SECOND))
GROUP BY k, window_start, window_end;

INSERT INTO out_c
SELECT k, COUNT(*), window_start, window_end
FROM TABLE(CUMULATE(TABLE bids_c, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '20' SECOND))
GROUP BY k, window_start, window_end;
