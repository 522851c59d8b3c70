-- A LEFT OUTER JOIN of two streams (sluice's test, not a Nexmark query): the auctions with
-- their seller when the seller lives in Oregon - a condition on the null-generating side in
-- ON, which filters the persons below the join, so most auctions stay null-padded - and a
-- WHERE over the result. Its changelog: +I of a null-padded auction, -D of it when its seller
-- arrives (as Flink's StreamingJoinOperator). tests/sql/test_flink_oracle.sh compares its
-- final state with Flink's.
CREATE TABLE outer_left (
  id BIGINT,
  itemName VARCHAR,
  seller BIGINT,
  name VARCHAR,
  city VARCHAR
) WITH (
  'connector' = 'print',
  'print-identifier' = 'outer_left'
);

INSERT INTO outer_left
SELECT A.id, A.itemName, A.seller, P.name, P.city
FROM auction AS A LEFT JOIN person AS P ON A.seller = P.id AND P.state = 'OR'
WHERE A.category <> 12;
