package com.github.nexmark.flink.udf;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * Nexmark's count_char (q14), for Flink as the oracle of sluice's C version
 * (tools/udf/nexmark.c): how many bytes of s's UTF-8 equal the first byte of c. The Nexmark
 * repository's class of the same name behaves the same way: a NULL s counts 0; a NULL or
 * empty c throws, which fails the job. Written here so that the same
 * {@code CREATE FUNCTION count_char AS 'com.github.nexmark.flink.udf.CountChar'} runs in
 * both engines (tests/sql/udf_fs.sql).
 */
public class CountChar extends ScalarFunction {
    public long eval(@DataTypeHint("STRING") StringData s, @DataTypeHint("STRING") StringData c) {
        if (s == null) {
            return 0;
        }
        byte want = c.toBytes()[0];
        long n = 0;
        for (byte b : s.toBytes()) {
            if (b == want) {
                n++;
            }
        }
        return n;
    }
}
