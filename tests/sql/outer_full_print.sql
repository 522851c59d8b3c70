-- A FULL OUTER JOIN of two streams with NULL keys on both sides (sluice's test): the persons
-- (every fourth id NULL) and the auctions (every fifth seller NULL) on person = seller; a
-- person without auctions, an auction without its seller and every row with a NULL key come
-- out null-padded; a WHERE over the result stays above the join. Final state compared with
-- Flink's by tests/sql/test_flink_oracle.sh.
CREATE TABLE outer_full (
  pid BIGINT,
  name VARCHAR,
  id BIGINT,
  seller BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'outer_full'
);

INSERT INTO outer_full
SELECT P.pid, P.name, A.id, A.seller
FROM (SELECT CASE WHEN MOD(id, 4) = 0 THEN CAST(NULL AS BIGINT) ELSE id END AS pid, name
      FROM person) AS P
FULL JOIN (SELECT id, CASE WHEN MOD(id, 5) = 0 THEN CAST(NULL AS BIGINT) ELSE seller END
           AS seller FROM auction) AS A
ON P.pid = A.seller
WHERE A.id IS NULL OR MOD(A.id, 3) <> 0;
