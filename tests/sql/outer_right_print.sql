-- A RIGHT OUTER JOIN of two streams with NULL keys on both sides (sluice's test): every
-- fourth person's id and every fifth auction's seller made NULL. NULL keys never match; the
-- auctions (the preserved side) with one are null-padded all the same, the persons with one
-- never appear. A condition on the left (null-generating) side alone in ON. Final state
-- compared with Flink's by tests/sql/test_flink_oracle.sh.
CREATE TABLE outer_right (
  pid BIGINT,
  name VARCHAR,
  id BIGINT,
  seller BIGINT,
  category BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'outer_right'
);

INSERT INTO outer_right
SELECT P.pid, P.name, A.id, A.seller, A.category
FROM (SELECT CASE WHEN MOD(id, 4) = 0 THEN CAST(NULL AS BIGINT) ELSE id END AS pid, name, state
      FROM person) AS P
RIGHT JOIN (SELECT id, CASE WHEN MOD(id, 5) = 0 THEN CAST(NULL AS BIGINT) ELSE seller END
            AS seller, category FROM auction) AS A
ON P.pid = A.seller AND P.state <> 'CA';
