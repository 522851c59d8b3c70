-- Exactly-once across a crash (tools/demo.sh): bids per auction in 1-second tumbling
-- windows of event time, written to part files that become visible only when their
-- checkpoint epoch commits. The generator is paced ('max-emit-speed' = 'false': ${RATE}
-- events per second of wall time) so that the job can be killed in the middle.
--   sluice run docs/examples/exactly_once.sql --set RATE=200000 --set EVENTS=1000000 \
--       --set OUT=out --job demo --state-dir state
SET 'execution.checkpointing.interval' = '500 ms';

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
    WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '1' SECOND
) WITH (
    'connector' = 'nexmark',
    'first-event.rate' = '${RATE}',
    'next-event.rate' = '${RATE}',
    'events.num' = '${EVENTS}',
    'max-emit-speed' = 'false',
    'sluice.base-time' = '1700000000000'
);

CREATE VIEW bid AS
SELECT bid.auction, bid.bidder, bid.price, `dateTime`
FROM datagen WHERE event_type = 2;

CREATE TABLE auction_bids (
    auction  BIGINT,
    window_start  TIMESTAMP(3),
    bids  BIGINT,
    top_price  BIGINT
) WITH (
    'connector' = 'filesystem',
    'path' = '${OUT}',
    'format' = 'csv'
);

INSERT INTO auction_bids
SELECT auction, window_start, COUNT(*), MAX(price)
FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '1' SECOND))
GROUP BY auction, window_start, window_end;
