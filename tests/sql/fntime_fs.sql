-- -------------------------------------------------------------------------------------------------
-- fntime: Flink's time and numeric functions over the bid stream (engine/ops/eval_fn.c), for the
-- Flink oracle (tests/sql/test_flink_oracle.sh): DATE_FORMAT with the patterns of Nexmark q10,
-- q15 and q16 and more letters, HOUR (q14) and the other EXTRACT units, FLOOR / CEIL TO,
-- TIMESTAMPADD / TIMESTAMPDIFF, FROM_UNIXTIME / UNIX_TIMESTAMP / TO_TIMESTAMP round trips, and
-- the numeric functions on the BIGINT price and a DECIMAL made from it (not LN / LOG10 / EXP:
-- Java's Math.log10 rounds correctly where glibc's is at times 1 ulp off, docs/sql.md).
-- -------------------------------------------------------------------------------------------------

CREATE TABLE nexmark_fntime (
  auction  BIGINT,
  bidder  BIGINT,
  dte  VARCHAR,
  hm  VARCHAR,
  fmt  VARCHAR,
  h  BIGINT,
  mi  BIGINT,
  dow  BIGINT,
  wk  BIGINT,
  ms  BIGINT,
  fl  TIMESTAMP(3),
  ce  TIMESTAMP(3),
  fw  TIMESTAMP(3),
  addm  TIMESTAMP(3),
  adds  TIMESTAMP(3),
  diffm  INT,
  diffs  INT,
  fu  VARCHAR,
  ut  BIGINT,
  tt  TIMESTAMP(3),
  ttf  TIMESTAMP(3),
  ds  VARCHAR,
  ab  BIGINT,
  r1  BIGINT,
  rd  DECIMAL(14, 1),
  fd  DECIMAL(19, 0),
  cd  DECIMAL(19, 0),
  rx  DOUBLE,
  p2  DOUBLE,
  sq  DOUBLE
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_fntime
SELECT
    auction,
    bidder,
    DATE_FORMAT(`dateTime`, 'yyyy-MM-dd'),
    DATE_FORMAT(`dateTime`, 'HH:mm'),
    DATE_FORMAT(`dateTime`, 'EEE, d MMM yyyy hh:mm:ss.SSS a D ''q''Q'),
    HOUR(`dateTime`),
    MINUTE(`dateTime`),
    EXTRACT(DOW FROM `dateTime`),
    EXTRACT(WEEK FROM `dateTime`),
    EXTRACT(MILLISECOND FROM `dateTime`),
    FLOOR(`dateTime` TO MINUTE),
    CEIL(`dateTime` TO SECOND),
    FLOOR(`dateTime` TO WEEK),
    TIMESTAMPADD(MONTH, CAST(MOD(auction, 40) AS INT) - 20, `dateTime`),
    TIMESTAMPADD(SECOND, CAST(MOD(bidder, 1000) AS INT), `dateTime`),
    TIMESTAMPDIFF(MONTH, TIMESTAMP '2020-02-29 12:00:00', `dateTime`),
    TIMESTAMPDIFF(SECOND, `dateTime`, TIMESTAMP '2024-01-01 00:00:00'),
    FROM_UNIXTIME(price * 1000 + bidder),
    UNIX_TIMESTAMP(DATE_FORMAT(`dateTime`, 'yyyy-MM-dd HH:mm:ss')),
    TO_TIMESTAMP(DATE_FORMAT(`dateTime`, 'yyyy-MM-dd HH:mm:ss.SSS')),
    TO_TIMESTAMP(DATE_FORMAT(`dateTime`, 'dd/MM/yyyy HH.mm'), 'dd/MM/yyyy HH.mm'),
    DATE_FORMAT(DATE_FORMAT(`dateTime`, 'yyyy-MM-dd HH:mm:ss'), 'yy/M/d H'),
    ABS(price - 5000000),
    ROUND(price, -3),
    ROUND(CAST(MOD(price, 1000000) AS DECIMAL(12, 0)) / 7, 1),
    FLOOR(CAST(MOD(price, 100000) AS DECIMAL(8, 2)) / 100),
    CEIL(CAST(MOD(price, 100000) AS DECIMAL(8, 2)) / 100),
    ROUND(CAST(price AS DOUBLE) / 7, 2),
    POWER(CAST(MOD(price, 100) AS DOUBLE), 0.5),
    SQRT(CAST(price AS DOUBLE))
FROM bid;
