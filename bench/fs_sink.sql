-- bench/fs_sink.sql - a plain (unpartitioned) filesystem sink: Nexmark's bids as CSV part
-- files, for the part-file writer (engine/conn/fs_writer.c) without partitions; q10 is the
-- partitioned counterpart. docs/benchmarks.md has the command:
--   sluice bench run docs/examples/nexmark/ddl_gen.sql docs/examples/nexmark/ddl_views.sql \
--       bench/fs_sink.sql --set NEXMARK_DIR=DIR --set SUBMIT_TIME=1 ... --events 2000000
CREATE TABLE fs_sink_bid (
  auction  BIGINT,
  bidder  BIGINT,
  price  BIGINT,
  `dateTime`  TIMESTAMP(3),
  extra  VARCHAR
) WITH (
  'connector' = 'filesystem',
  'path' = 'file://${NEXMARK_DIR}/data/output/${SUBMIT_TIME}/plain/',
  'format' = 'csv'
);

INSERT INTO fs_sink_bid SELECT auction, bidder, price, `dateTime`, extra FROM bid;
