-- A comma join of three streams (sluice's test, not a Nexmark query): the keys come from the
-- WHERE, the conditions on one table go below the joins, and the second join's key is the
-- first one's (A.seller): its left input is already partitioned by it. Every pair of
-- auctions of one seller in categories 10 and 11, with the seller's city.
CREATE TABLE join_comma (
    id  BIGINT,
    id2  BIGINT,
    seller  BIGINT,
    city  VARCHAR,
    reserve_sum  BIGINT
) WITH (
    'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);

INSERT INTO join_comma
SELECT A.id, A2.id, A.seller, P.city, A.reserve + A2.reserve
FROM auction A, person P, auction A2
WHERE P.id = A.seller AND A2.seller = A.seller AND A.category = 10 AND A2.category = 11
  AND A.id <> A2.id;
