-- A LEFT OUTER JOIN of two streams with residual conditions in ON (sluice's test): besides
-- the key, a condition on both sides and one on the preserved side alone decide which pairs
-- match (a person of Oregon matches nothing and stays null-padded); they are the join's, not
-- filters below or above it. P.state is read by ON only (stored for it). Final state
-- compared with Flink's by tests/sql/test_flink_oracle.sh.
CREATE TABLE outer_resid (
  pid BIGINT,
  name VARCHAR,
  id BIGINT,
  initialBid BIGINT
) WITH (
  'connector' = 'print',
  'print-identifier' = 'outer_resid'
);

INSERT INTO outer_resid
SELECT P.id, P.name, A.id, A.initialBid
FROM person AS P LEFT JOIN auction AS A
ON P.id = A.seller AND A.initialBid > P.id AND P.state <> 'OR';
