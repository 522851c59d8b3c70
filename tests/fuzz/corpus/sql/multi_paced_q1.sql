--@file tests/sql/nexmark_paced.sql
-- nexmark_gen.sql paced: 'max-emit-speed' = 'false' emits ${TPS} events per second of wall
-- time (tests that must kill a run in the middle need it to take a while).
CREATE TABLE datagen (
    event_type int,
    person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR,
               city VARCHAR, state VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR>,
    auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,
                reserve BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT,
                category BIGINT, extra VARCHAR>,
    bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
            `dateTime` TIMESTAMP(3), extra VARCHAR>,
    `dateTime` AS
        CASE
            WHEN event_type = 0 THEN person.`dateTime`
            WHEN event_type = 1 THEN auction.`dateTime`
            ELSE bid.`dateTime`
        END,
    WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
) WITH (
    'connector' = 'nexmark',
    'first-event.rate' = '${TPS}',
    'next-event.rate' = '${TPS}',
    'events.num' = '${EVENTS_NUM}',
    'sluice.base-time' = '${BASE_TIME}',
    'max-emit-speed' = 'false'
);
--@file docs/examples/nexmark/ddl_views.sql
CREATE VIEW person AS
SELECT
    person.id,
    person.name,
    person.emailAddress,
    person.creditCard,
    person.city,
    person.state,
    `dateTime`,
    person.extra
FROM ${NEXMARK_TABLE} WHERE event_type = 0;

CREATE VIEW auction AS
SELECT
    auction.id,
    auction.itemName,
    auction.description,
    auction.initialBid,
    auction.reserve,
    `dateTime`,
    auction.expires,
    auction.seller,
    auction.category,
    auction.extra
FROM ${NEXMARK_TABLE} WHERE event_type = 1;

CREATE VIEW bid AS
SELECT
    bid.auction,
    bid.bidder,
    bid.price,
    bid.channel,
    bid.url,
    `dateTime`,
    bid.extra
FROM ${NEXMARK_TABLE} WHERE event_type = 2;--@file tests/sql/ckpt_q1_hop_fs.sql
-- Two INSERTs in one job (test_checkpoint_faults.sh): q1 (stateless: its part files become
-- visible at every committed epoch) into ${OUT}/q1 and the hopping-window count of
-- hop_count_fs.sql (state that crosses restarts) into ${OUT}/hop_count.
CREATE TABLE ckpt_q1 (
  auction  BIGINT,
  bidder  BIGINT,
  price  DECIMAL(23, 3),
  `dateTime`  TIMESTAMP(3),
  extra  VARCHAR
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/q1', 'format' = 'csv'
);

CREATE TABLE ckpt_hop_count (
  auction  BIGINT,
  num  BIGINT,
  starttime  TIMESTAMP(3),
  endtime  TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem', 'path' = '${OUT}/hop_count', 'format' = 'csv'
);

INSERT INTO ckpt_q1
SELECT auction, bidder, 0.908 * price as price, `dateTime`, extra
FROM bid;

INSERT INTO ckpt_hop_count
SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
FROM TABLE(
        HOP(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end;
