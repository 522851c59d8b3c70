-- A FULL OUTER JOIN of two streams into a changelog file (debezium-json): persons without
-- auctions, auctions without their seller null-padded, the padding retracted (-D) at the
-- first match. tests/sql/test_join_ckpt.sh crashes it and folds the committed changelog
-- (tests/sql/changelog_fold.py): the final state must be a crash-free run's.
CREATE TABLE outer_ckpt (
  id BIGINT,
  seller BIGINT,
  pid BIGINT,
  name VARCHAR
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'debezium-json'
);

INSERT INTO outer_ckpt
SELECT A.id, A.seller, P.id, P.name
FROM auction AS A FULL JOIN person AS P ON A.seller = P.id;
