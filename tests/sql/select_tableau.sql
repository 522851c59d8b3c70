-- A bare SELECT over a datagen sequence: sluice prints it as Flink's SQL client does in
-- tableau mode (tests/sql/test_select_tableau.sh compares it with Flink's own printing).
CREATE TABLE g (
  id BIGINT,
  s STRING,
  i INT
) WITH (
  'connector' = 'datagen',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '6',
  'fields.s.kind' = 'sequence', 'fields.s.start' = '100', 'fields.s.end' = '200',
  'fields.i.kind' = 'sequence', 'fields.i.start' = '-3', 'fields.i.end' = '100'
);

SELECT id, s, i, CAST(id AS DOUBLE) / 4 AS d, CAST(id AS DECIMAL(10, 2)) AS dc,
  id % 2 = 0 AS even, CASE WHEN id = 3 THEN NULL ELSE s END AS maybe,
  CAST(CASE WHEN i > 0 THEN TIMESTAMP '2024-01-01 10:00:00' ELSE TIMESTAMP '1999-12-31 23:59:59.5' END
    AS TIMESTAMP(3)) AS ts,
  s || '-abcdefghijklmnopqrstuvwxyz0123456789' AS long_text, '中文' || s AS wide,
  id + i
FROM g WHERE id <> 4;
