-- A LEFT JOIN over an updating input into a changelog file (debezium-json): the auctions with
-- their bid count and highest bid so far (an unbounded GROUP BY: each bid retracts the
-- auction's row before, -U / +U), null-padded while they have none. Its state keeps rows the
-- retractions take away again. tests/sql/test_join_ckpt.sh crashes it and folds the committed
-- changelog (tests/sql/changelog_fold.py): the final state must be a crash-free run's.
CREATE TABLE ujoin_ckpt (
  id BIGINT,
  cnt BIGINT,
  top BIGINT
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'debezium-json'
);

INSERT INTO ujoin_ckpt
SELECT A.id, B.cnt, B.top
FROM auction AS A
LEFT JOIN (SELECT auction, COUNT(*) AS cnt, MAX(price) AS top FROM bid GROUP BY auction) AS B
ON A.id = B.auction;
