-- A Top-N over an updating input and a global Top-N, into print (tests/sql/test_rank_ckpt.sh
-- kills them at checkpoint steps, tests/sql/test_rescale.sh resumes them at another worker
-- count): topagg, the 3 auctions each bidder bid on most over a GROUP BY (the Top-N retracts
-- the GROUP BY's -U rows; key: bidder and rank), topglob, the 5 auctions with the most bids
-- (one partition; key: the rank). Ties in the count are ranked by the auction id, so that the
-- final state does not depend on arrival order.
CREATE TABLE topagg (bidder BIGINT, rn BIGINT, auction BIGINT, cnt BIGINT)
WITH ('connector' = 'print', 'print-identifier' = 'topagg');
INSERT INTO topagg
SELECT bidder, rn, auction, cnt FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY cnt DESC, auction) AS rn
  FROM (SELECT bidder, auction, COUNT(*) AS cnt FROM bid GROUP BY bidder, auction))
WHERE rn <= 3;
CREATE TABLE topglob (rn BIGINT, auction BIGINT, cnt BIGINT)
WITH ('connector' = 'print', 'print-identifier' = 'topglob');
INSERT INTO topglob
SELECT rn, auction, cnt FROM (
  SELECT *, ROW_NUMBER() OVER (ORDER BY cnt DESC, auction) AS rn
  FROM (SELECT auction, COUNT(*) AS cnt FROM bid GROUP BY auction))
WHERE rn <= 5;
