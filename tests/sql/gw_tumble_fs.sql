-- The older group window syntax: TUMBLE in GROUP BY with TUMBLE_START / _END / _ROWTIME,
-- over the Nexmark views.
CREATE TABLE nexmark_gw_tumble (
  auction  BIGINT,
  num  BIGINT,
  starttime  TIMESTAMP(3),
  endtime  TIMESTAMP(3),
  rt  TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_gw_tumble
SELECT auction, count(*) AS num,
       TUMBLE_START(`dateTime`, INTERVAL '5' SECOND) AS starttime,
       TUMBLE_END(`dateTime`, INTERVAL '5' SECOND) AS endtime,
       TUMBLE_ROWTIME(`dateTime`, INTERVAL '5' SECOND) AS rt
FROM bid
GROUP BY auction, TUMBLE(`dateTime`, INTERVAL '5' SECOND);
