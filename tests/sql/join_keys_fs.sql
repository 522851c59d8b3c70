-- Join keys at their edges (sluice's test, not a Nexmark query): DOUBLE keys with 0.0 and
-- -0.0, NaN; a second key of STRING, long and short. Flink compares join keys as binary
-- rows: -0.0 does not match 0.0, NaN matches NaN. (NULL keys, which match nothing, are
-- tests/engine/test_join.c's: Flink's csv format reads no empty DOUBLE.)
CREATE TABLE join_keys_l (d DOUBLE, s STRING, k STRING) WITH (
    'connector' = 'filesystem', 'path' = '${JOIN_KEYS_DIR}/join_keys_l.csv', 'format' = 'csv');
CREATE TABLE join_keys_r (d DOUBLE, t STRING, k STRING) WITH (
    'connector' = 'filesystem', 'path' = '${JOIN_KEYS_DIR}/join_keys_r.csv', 'format' = 'csv');
CREATE TABLE join_keys (s STRING, t STRING, k STRING) WITH (
    'connector' = 'filesystem', 'path' = '${OUT}', 'format' = 'csv'
);
INSERT INTO join_keys
SELECT s, t, L.k FROM join_keys_l AS L, join_keys_r AS R WHERE L.d = R.d AND L.k = R.k;
