-- Processing-time windows over the Nexmark bid view (tests/sql/test_proctime.sh): q12's
-- TUMBLE with 1 s windows, so that windows fire while a paced run goes on, and a HOP of 2 s
-- sliding by 1 s (every bid in two windows).
CREATE TABLE proc_tumble (
  bidder BIGINT,
  bid_count BIGINT,
  starttime TIMESTAMP(3),
  endtime TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/tumble', 'format' = 'csv'
);

CREATE TABLE proc_hop (
  bidder BIGINT,
  bid_count BIGINT,
  starttime TIMESTAMP(3),
  endtime TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/hop', 'format' = 'csv'
);

CREATE VIEW B AS SELECT *, PROCTIME() as p_time FROM bid;

INSERT INTO proc_tumble
SELECT bidder, count(*) as bid_count, window_start AS starttime, window_end AS endtime
FROM TABLE(TUMBLE(TABLE B, DESCRIPTOR(p_time), INTERVAL '1' SECOND))
GROUP BY bidder, window_start, window_end;

INSERT INTO proc_hop
SELECT bidder, count(*) as bid_count, window_start AS starttime, window_end AS endtime
FROM TABLE(HOP(TABLE B, DESCRIPTOR(p_time), INTERVAL '1' SECOND, INTERVAL '2' SECOND))
GROUP BY bidder, window_start, window_end;
