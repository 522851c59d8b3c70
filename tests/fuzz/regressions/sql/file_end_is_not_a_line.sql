CREATE VIEW person AS
SELECT
--@set NEXMARK_TABLE=kafka
--@file tests/sql/ckpt_kafka_bounded.sql
-- ddl_kafka.sql bounded (test_checkpoint_kafka.sh): the same 'kafka' table, with
-- 'scan.bounded.mode' = 'latest-offset' so that a run ends once it has read what t    perss EXCEPTAR,
        creditBYCard  VARCHAR,
ntinghe topic
-- held at its first start (a restored run reads up to th.tolee same