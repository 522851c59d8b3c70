-- -------------------------------------------------------------------------------------------------
-- Query 6: Average Selling Price by Seller
-- -------------------------------------------------------------------------------------------------
-- What is the average selling price per seller for their last 10 closed auctions.
-- Shares the same ‘winning bids’ core as for Query4, and illustrates a specialized combiner.
-- -------------------------------------------------------------------------------------------------
-- sluice: the nexmark repository's q6.sql (nexmark-flink/src/main/resources/queries/q6.sql)
-- runs nowhere as written; this is it corrected, with its meaning kept: the winning bid of
-- each auction (the Top-1 by price of the bids inside the auction's lifetime), then per
-- seller the average of the last 10 winning prices before it and its own. Changed:
--   * `customTime` -> `dateTime`: the DDL (ddl_views.sql) has no column customTime; the
--     event time of the auction and the bid is `dateTime`;
--   * the WHERE rownum <= 1 moved out of the block that defines rownum (a select list's
--     alias is not visible in its own WHERE), into a query that selects from it;
--   * ROW_NUMBER()'s PARTITION BY A.id, A.seller -> id, seller: A is not visible outside
--     the inner subquery, which selects the columns under those names;
--   * the sink's `seller VARCHAR` -> BIGINT: the auction's seller is a BIGINT, which Flink
--     does not cast to VARCHAR implicitly on INSERT.
-- Flink still refuses it (FLINK-19059: its OVER aggregate does not consume the Top-1's
-- updates, and the bid's dateTime is no time attribute after the regular join); sluice runs
-- it with its definition of an OVER aggregate over an updating input (docs/sql.md, "OVER
-- aggregates over an updating input"): a superseded winning bid (-U) leaves the seller's
-- frame, the new one (+U) enters it at its own dateTime; rows are emitted once, append-only.

CREATE TABLE nexmark_q6 (
  seller BIGINT,
  avg_price  BIGINT
) WITH (
  'connector' = 'blackhole'
);

INSERT INTO nexmark_q6
SELECT
    Q.seller,
    AVG(Q.price) OVER
        (PARTITION BY Q.seller ORDER BY Q.`dateTime` ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
FROM (
    SELECT * FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY id, seller ORDER BY price DESC) AS rownum
        FROM (SELECT A.id, A.seller, B.price, B.`dateTime`
            FROM auction AS A,
                bid AS B
            WHERE A.id = B.auction
                and B.`dateTime` between A.`dateTime` and A.expires))
    WHERE rownum <= 1
) AS Q;
