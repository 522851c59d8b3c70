-- The older group window syntax: HOP in GROUP BY (after the other key) with HOP_START /
-- HOP_END, over the Nexmark views.
CREATE TABLE nexmark_gw_hop (
  auction  BIGINT,
  num  BIGINT,
  starttime  TIMESTAMP(3),
  endtime  TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_gw_hop
SELECT auction, count(*) AS num,
       HOP_START(`dateTime`, INTERVAL '2' SECOND, INTERVAL '6' SECOND) AS starttime,
       HOP_END(`dateTime`, INTERVAL '2' SECOND, INTERVAL '6' SECOND) AS endtime
FROM bid
GROUP BY HOP(`dateTime`, INTERVAL '2' SECOND, INTERVAL '6' SECOND), auction;
