#!/bin/sh
# tests/fuzz/sql_seeds.sh - (re)writes fuzz_sql's seed corpus, tests/fuzz/corpus/sql, from the
# repository's SQL: every .sql file as it is, and the runs the tests and docs make of several
# files (DDL, views, a query) as one multi-file input ("--@file PATH" lines, see
# tests/fuzz/fuzz_sql.c). Placeholders keep their ${NAME}: the target gives each a value.
# Run it after adding or changing a .sql file, and commit the result.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/tests/fuzz/corpus/sql"
cd "$root"
rm -f "$out"/*.sql
mkdir -p "$out"
git ls-files '*.sql' | grep -v '^tests/fuzz/' | while read -r f; do
    cp "$f" "$out/$(echo "$f" | tr / _)"
done
# several files as one script: --@file lines between them
# multi NAME [NAME=VALUE] FILE...: with a --@set line for a NAME=VALUE argument
multi() {
    name=$1
    shift
    : > "$out/multi_$name.sql"
    case $1 in
        *=*) printf -- '--@set %s\n' "$1" >> "$out/multi_$name.sql"; shift ;;
    esac
    for f in "$@"; do
        printf -- '--@file %s\n' "$f" >> "$out/multi_$name.sql"
        cat "$f" >> "$out/multi_$name.sql"
    done
}
ex=docs/examples/nexmark
for q in q0 q1 q2 hop_count tumble_stats; do
    multi "gen_$q" $ex/ddl_gen.sql $ex/ddl_views.sql $ex/$q.sql
done
multi kafka_q2 NEXMARK_TABLE=kafka $ex/ddl_kafka.sql $ex/ddl_views.sql tests/sql/q2_print.sql
for q in q0 q1 q2 hop_count tumble_stats; do
    multi "test_$q" tests/sql/nexmark_gen.sql $ex/ddl_views.sql tests/sql/${q}_fs.sql
done
multi paced_q1 tests/sql/nexmark_paced.sql $ex/ddl_views.sql tests/sql/ckpt_q1_hop_fs.sql
multi ckpt_kafka_q1 NEXMARK_TABLE=kafka tests/sql/ckpt_kafka_bounded.sql $ex/ddl_views.sql tests/sql/ckpt_q1_kafka.sql
# placeholders set by --@set lines, as --set would
{
    printf -- '--@set NEXMARK_TABLE=datagen\n--@set TPS=5\n'
    cat $ex/ddl_gen.sql $ex/ddl_views.sql $ex/q1.sql
} > "$out/set_gen_q1.sql"
ls "$out" | wc -l
