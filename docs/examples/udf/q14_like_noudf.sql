-- q14_like.sql without the user-defined function (c_counts is 0), the baseline of
-- docs/benchmarks.md's "User-defined functions". Run after ddl_gen.sql and
-- ddl_views.sql of docs/examples/nexmark/.

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
    CAST(0 AS BIGINT) AS c_counts
FROM bid
WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;
