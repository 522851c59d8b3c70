-- A q14-like projection with Nexmark's user-defined function count_char (docs/udf.md): the
-- same CREATE FUNCTION as the Nexmark repository's q14 (sluice finds the C function on its
-- default UDF path, Flink the Java class of tests/flink), in a projection and in a filter.
-- IF NOT EXISTS: Flink runs this file after q14_fs.sql in one script (test_flink_oracle.sh).

CREATE FUNCTION IF NOT EXISTS count_char AS 'com.github.nexmark.flink.udf.CountChar';

CREATE TABLE nexmark_udf (
    auction BIGINT,
    bidder BIGINT,
    price  DECIMAL(23, 3),
    `dateTime` TIMESTAMP(3),
    extra VARCHAR,
    c_counts BIGINT,
    slashes BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO nexmark_udf
SELECT
    auction,
    bidder,
    0.908 * price as price,
    `dateTime`,
    extra,
    count_char(extra, 'c') AS c_counts,
    count_char(url, '/') AS slashes
FROM bid
WHERE count_char(channel, 'a') >= 1 AND 0.908 * price > 100;
