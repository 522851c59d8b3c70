-- A q14-like projection for `sluice bench` (docs/benchmarks.md, "User-defined functions"):
-- Nexmark q14's filter and projection without HOUR(), with count_char (found on the default
-- UDF path). q14_like_noudf.sql is the same query without it. Run after ddl_gen.sql and
-- ddl_views.sql of docs/examples/nexmark/.

CREATE FUNCTION count_char AS 'com.github.nexmark.flink.udf.CountChar';

CREATE TABLE nexmark_q14 (
    auction BIGINT,
    bidder BIGINT,
    price  DECIMAL(23, 3),
    `dateTime` TIMESTAMP(3),
    extra VARCHAR,
    c_counts BIGINT
) WITH (
  'connector' = 'blackhole'
);

INSERT INTO nexmark_q14
SELECT
    auction,
    bidder,
    0.908 * price as price,
    `dateTime`,
    extra,
    count_char(extra, 'c') AS c_counts
FROM bid
WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;
