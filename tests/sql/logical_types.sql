-- tests/sql/logical_types.sql: TIMESTAMP_LTZ(3), BYTES and MAP<STRING, BYTES> through every
-- operator that takes them (tests/sql/test_logical_types.sh).
CREATE TABLE t (id BIGINT, b BYTES, s STRING, ts TIMESTAMP_LTZ(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'filesystem', 'path' = '${IN}', 'format' = 'json');
CREATE TABLE o1 (id BIGINT, bs STRING, sb BYTES, m MAP<STRING, BYTES>, a BYTES, z BYTES, c INT,
  ts TIMESTAMP_LTZ(3), t3 TIMESTAMP(3))
  WITH ('connector' = 'filesystem', 'path' = '${OUT}/o1', 'format' = 'json');
CREATE TABLE o2 (b BYTES, n BIGINT, ws TIMESTAMP(3), wt TIMESTAMP_LTZ(3))
  WITH ('connector' = 'filesystem', 'path' = '${OUT}/o2', 'format' = 'csv');
CREATE TABLE o3 (id BIGINT, b BYTES, m MAP<STRING, BYTES>, ts TIMESTAMP_LTZ(3))
  WITH ('connector' = 'print');
CREATE VIEW v AS SELECT id, b, s, ts,
  MAP['s', CAST(s AS BYTES), 'b', b, 's', CAST('last' AS BYTES)] AS m FROM t;
INSERT INTO o1 SELECT id, CAST(b AS STRING), CAST(s AS BYTES), m, m['s'], m['nope'],
  CARDINALITY(m), ts, CAST(ts AS TIMESTAMP_LTZ(3)) FROM v WHERE id = 4 OR b <> CAST('' AS BYTES);
INSERT INTO o2 SELECT b, COUNT(*), window_start, window_time
  FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
  GROUP BY b, window_start, window_end, window_time;
INSERT INTO o3 SELECT id, b, m, ts FROM v;
