-- A cascaded window aggregation over overlapping windows: per hopping window (10 s sliding by
-- 2 s), the auctions with more than one bid in it and the highest count. The outer GROUP BY
-- window_start, window_end (the inner aggregation's window columns by name, through a filter)
-- keeps the inner windows, which overlap.
CREATE TABLE cascade_hop (
  window_start  TIMESTAMP(3),
  window_end  TIMESTAMP(3),
  auctions  BIGINT,
  maxn  BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO cascade_hop
SELECT window_start, window_end, COUNT(*), MAX(num)
FROM (
  SELECT auction, window_start, window_end, COUNT(*) AS num
  FROM TABLE(
          HOP(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
  GROUP BY auction, window_start, window_end
)
WHERE num > 1
GROUP BY window_start, window_end;
