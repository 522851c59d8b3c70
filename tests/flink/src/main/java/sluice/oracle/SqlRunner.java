/*
 * tests/flink/src/main/java/sluice/oracle/SqlRunner.java - runs a Flink SQL script in a local
 * MiniCluster: Apache Flink as the oracle for sluice's Flink SQL (tools/flink.sh runs it).
 *
 *   SqlRunner [--parallelism N] [--batch|--streaming] [--checkpoint-interval MS]
 *             [--set NAME=VALUE]... FILE.sql... [--then OPTIONS FILE.sql...]...
 *
 * The files are read as one script, the way `sluice run` reads them: joined with "\n;\n",
 * every ${NAME} replaced by the value of --set NAME=VALUE (anywhere in the text, string
 * literals and comments included; an unset one is an error naming it). Statements:
 *   CREATE TABLE / VIEW / FUNCTION ...   executed at once
 *   SET 'key' = 'value'                  into the table config
 *   INSERT INTO ...                      collected into one StatementSet: one Flink job runs
 *                                        every INSERT of the script (JVM and cluster start-up
 *                                        paid once), and the runner waits for it to finish
 *   EXECUTE STATEMENT SET BEGIN ... END  its INSERTs join the same StatementSet
 *   SELECT ...                           run at once, its result printed on stdout by
 *                                        TableResult.print() (tableau form)
 * --then starts another script, run after the one before it has finished, in the same JVM
 * (start-up paid once); it inherits the options and --set values given before it.
 * Streaming mode (watermarks, late rows dropped, as sluice runs; bounded sources end the job)
 * unless --batch: Flink's batch mode, for a query that Flink's streaming planner turns into
 * an updating one where sluice's is append-only (docs/testing.md, "Flink as the oracle"). The session time zone is UTC (sluice has no time zones: TO_TIMESTAMP_LTZ and
 * TIMESTAMP_LTZ windows then read as UTC wall clock). No checkpoints unless
 * --checkpoint-interval MS is given: the filesystem sink commits its files at the end of its
 * input anyway (AbstractStreamingWriter.endInput), and with checkpoints on, a job whose
 * subtasks finish at different times waits out failing checkpoints (the file source's
 * union-list state) - 27 s instead of 6 for Nexmark q1 over 20000 events.
 *
 * BENCHMARKS (--bench REPS; `sluice bench run --peer flink` drives it)
 * The script's CREATE and SET statements run once; then its INSERTs run as a job --warmup N
 * times (default 1: JIT compilation and class loading belong to the warm-up, not to the
 * measurement), then REPS times, each run a new job over the same input in this JVM. After
 * each run one line goes to stdout:
 *   flink-bench: run=K measured=0|1 job_ms=W start_ms=S run_ms=R cpu_ms=C run_cpu_ms=RC
 *                rows_in=I rows_out=O late=L source_subtasks=S
 * The jobs go to one MiniCluster started before them (through its REST endpoint, as to a
 * session cluster), so a job's start is not a cluster's start.
 * job_ms is the job's whole wall time (execute() to await() returning: planning, the
 * submission, scheduling, deployment and the run); start_ms the part of it before
 * the first operator's metrics were registered (tasks deployed: BenchReporter); run_ms the
 * rest. cpu_ms and run_cpu_ms are this process's CPU time (all threads: tasks, JIT, GC;
 * OperatingSystemMXBean.getProcessCpuTime) over the same two spans. rows_in is what the
 * sources named by --bench-source TABLE emitted (every source without it), rows_out what the
 * sinks received, late the rows the window operators dropped as late (their metrics,
 * through BenchReporter); source_subtasks how many source readers counted them (the
 * parallelism the source ran at). --conf KEY=VALUE goes into the job's configuration (e.g.
 * pipeline.object-reuse=true, as the Nexmark repository's flink-conf.yaml sets it).
 */
package sluice.oracle;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.calcite.sql.parser.SqlAbstractParserImpl;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.sql.parser.impl.FlinkSqlParserImpl;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

public final class SqlRunner {
    private static final String USAGE =
        "usage: SqlRunner [--parallelism N] [--batch|--streaming] [--checkpoint-interval MS]"
        + " [--set NAME=VALUE]... [--conf KEY=VALUE]... FILE.sql... [--then OPTIONS FILE.sql...]...\n"
        + "       SqlRunner --bench REPS [--warmup N] [--bench-source TABLE] OPTIONS FILE.sql...\n"
        + "       SqlRunner --reserved-words   (Flink SQL's reserved words, one a line)\n";

    private SqlRunner() {}

    public static void main(String[] args) {
        try {
            System.exit(run(args));
        } catch (UsageException e) {
            System.err.println("flink-runner: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
        } catch (Throwable e) {
            System.err.println("flink-runner: " + describe(e));
            if (System.getenv("SLUICE_FLINK_TRACE") != null)
                e.printStackTrace();
            System.exit(1);
        }
    }

    static final class UsageException extends Exception {
        UsageException(String msg) { super(msg); }
    }

    /** The message of e and of each cause: Flink wraps the reason deep. */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        String last = null;
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            String m = t.getClass().getSimpleName() + ": " + t.getMessage();
            if (last != null && t.getMessage() != null && last.contains(t.getMessage()))
                continue;
            if (last != null)
                sb.append("\n  caused by ");
            sb.append(m);
            last = m;
        }
        return sb.toString();
    }

    /** One script and how to run it; --then starts the next, which inherits these. */
    static final class Job {
        int parallelism = 1;
        long checkpointMs = 0;
        boolean batch = false;
        Map<String, String> params = new LinkedHashMap<>();
        Map<String, String> conf = new LinkedHashMap<>();
        List<Path> files = new ArrayList<>();
        int benchReps = 0; /* > 0: --bench */
        int warmup = 1;
        String benchSource;

        Job next() {
            Job j = new Job();
            j.parallelism = parallelism;
            j.checkpointMs = checkpointMs;
            j.batch = batch;
            j.params.putAll(params);
            j.conf.putAll(conf);
            j.benchReps = benchReps;
            j.warmup = warmup;
            j.benchSource = benchSource;
            return j;
        }
    }

    static int run(String[] args) throws Exception {
        List<Job> jobs = new ArrayList<>();
        Job job = new Job();
        jobs.add(job);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
            case "--parallelism":
            case "-p":
                job.parallelism = Integer.parseInt(need(args, ++i, a));
                if (job.parallelism < 1)
                    throw new UsageException("--parallelism must be at least 1");
                break;
            case "--batch":
                job.batch = true;
                break;
            case "--streaming":
                job.batch = false;
                break;
            case "--checkpoint-interval":
                job.checkpointMs = Long.parseLong(need(args, ++i, a));
                break;
            case "--set":
            case "--conf": {
                String kv = need(args, ++i, a);
                int eq = kv.indexOf('=');
                if (eq <= 0)
                    throw new UsageException(a + " wants NAME=VALUE, got '" + kv + "'");
                (a.equals("--set") ? job.params : job.conf)
                    .put(kv.substring(0, eq), kv.substring(eq + 1));
                break;
            }
            case "--bench":
                job.benchReps = Integer.parseInt(need(args, ++i, a));
                if (job.benchReps < 1)
                    throw new UsageException("--bench wants at least 1 repetition");
                break;
            case "--warmup":
                job.warmup = Integer.parseInt(need(args, ++i, a));
                if (job.warmup < 0)
                    throw new UsageException("--warmup wants 0 or more");
                break;
            case "--bench-source":
                job.benchSource = need(args, ++i, a);
                break;
            case "--then":
                if (job.files.isEmpty())
                    throw new UsageException("no SQL file before --then");
                job = job.next();
                jobs.add(job);
                break;
            case "--reserved-words":
                printReservedWords();
                return 0;
            case "--help":
            case "-h":
                System.out.print(USAGE);
                return 0;
            default:
                if (a.startsWith("-"))
                    throw new UsageException("unknown option " + a);
                job.files.add(Path.of(a));
            }
        }
        for (Job j : jobs)
            if (j.files.isEmpty())
                throw new UsageException("no SQL file given");
        for (Job j : jobs)
            runJob(j);
        return 0;
    }

    static void runJob(Job job) throws Exception {
        StringBuilder script = new StringBuilder();
        for (Path f : job.files) {
            if (script.length() > 0)
                script.append("\n;\n");
            script.append(Files.readString(f, StandardCharsets.UTF_8));
        }
        String text = substitute(script.toString(), job.params);

        Configuration conf = new Configuration();
        conf.setString("table.local-time-zone", "UTC");
        conf.setString("rest.bind-port", "0");
        conf.setString("execution.runtime-mode", job.batch ? "BATCH" : "STREAMING");
        if (job.benchReps > 0)
            conf.setString("metrics.reporter.sluice.factory.class",
                           BenchReporter.Factory.class.getName());
        for (Map.Entry<String, String> e : job.conf.entrySet())
            conf.setString(e.getKey(), e.getValue());
        MiniCluster cluster = null;
        StreamExecutionEnvironment env;
        if (job.benchReps > 0) {
            /* one cluster for every run, as a session cluster serves jobs: a job's start
             * overhead is then its submission, planning, scheduling and deployment, not the
             * start of a cluster */
            cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                                          .setConfiguration(conf)
                                          .setNumTaskManagers(1)
                                          .setNumSlotsPerTaskManager(job.parallelism)
                                          .build());
            cluster.start();
            java.net.URI rest = cluster.getRestAddress().get();
            env = StreamExecutionEnvironment.createRemoteEnvironment(rest.getHost(), rest.getPort(),
                                                                     conf);
            env.setParallelism(job.parallelism);
        } else {
            env = StreamExecutionEnvironment.createLocalEnvironment(job.parallelism, conf);
        }
        if (job.checkpointMs > 0 && !job.batch)
            env.enableCheckpointing(job.checkpointMs);
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(
            env, job.batch ? EnvironmentSettings.inBatchMode() : EnvironmentSettings.inStreamingMode());
        tEnv.getConfig().setLocalTimeZone(java.time.ZoneOffset.UTC);

        List<String> insertSql = new ArrayList<>();
        for (String stmt : split(text)) {
            String head = stripComments(stmt).trim();
            String upper = head.toUpperCase(Locale.ROOT);
            if (upper.isEmpty() || upper.equals("END"))
                continue;
            Matcher ess = EXECUTE_SET.matcher(head);
            if (ess.lookingAt()) {
                head = head.substring(ess.end()).trim();
                upper = head.toUpperCase(Locale.ROOT);
                if (upper.isEmpty())
                    continue;
            }
            if (upper.startsWith("BEGIN STATEMENT SET"))
                continue;
            Matcher set_ = SET.matcher(head);
            if (set_.matches()) {
                tEnv.getConfig().getConfiguration().setString(set_.group(1), set_.group(2));
                continue;
            }
            if (upper.startsWith("INSERT")) {
                insertSql.add(head);
                continue;
            }
            if (upper.startsWith("SELECT")) {
                /* a bare query: TableResult.print(), Flink's tableau printing (the SQL
                 * client's rows, with "N rows in set" at the end) - waits for its end */
                tEnv.executeSql(head).print();
                continue;
            }
            tEnv.executeSql(head);
        }
        String what = String.join(" ", job.files.stream().map(f -> f.getFileName().toString())
                                              .toArray(String[]::new));
        int inserts = insertSql.size();
        if (inserts == 0) {
            System.err.println("flink-runner: " + what + ": no INSERT statement");
            return;
        }
        if (job.benchReps > 0) {
            try {
                bench(tEnv, insertSql, job);
            } finally {
                cluster.closeAsync().get();
            }
            return;
        }
        StatementSet set = tEnv.createStatementSet();
        for (String sql : insertSql)
            set.addInsertSql(sql);
        long t0 = System.nanoTime();
        TableResult result = set.execute();
        result.await();
        System.err.printf(Locale.ROOT, "flink-runner: %s: %d INSERT statement%s done in %.1f s%n",
                          what, inserts, inserts == 1 ? "" : "s", (System.nanoTime() - t0) / 1e9);
    }

    /** --bench: the INSERTs as one job, warm-up runs and then measured ones (see the top). */
    static void bench(StreamTableEnvironment tEnv, List<String> insertSql, Job job)
        throws Exception {
        for (int k = 0; k < job.warmup + job.benchReps; k++) {
            StatementSet set = tEnv.createStatementSet();
            for (String sql : insertSql)
                set.addInsertSql(sql);
            BenchReporter.reset(job.benchSource);
            long cpu0 = BenchReporter.processCpuNanos();
            long t0 = System.nanoTime();
            set.execute().await();
            long t1 = System.nanoTime();
            long cpu1 = BenchReporter.processCpuNanos();
            long ts = BenchReporter.startNanos(), cs = BenchReporter.startCpuNanos();
            if (ts == 0) { /* no operator metrics seen: count the whole job as its run */
                ts = t0;
                cs = cpu0;
            }
            if (System.getenv("SLUICE_FLINK_TRACE") != null)
                System.err.println("flink-runner: operators " + BenchReporter.operatorNames());
            System.out.printf(Locale.ROOT,
                              "flink-bench: run=%d measured=%d job_ms=%.3f start_ms=%.3f run_ms=%.3f"
                                  + " cpu_ms=%.3f run_cpu_ms=%.3f rows_in=%d rows_out=%d late=%d"
                                  + " source_subtasks=%d%n",
                              k + 1, k >= job.warmup ? 1 : 0, (t1 - t0) / 1e6, (ts - t0) / 1e6,
                              (t1 - ts) / 1e6, (cpu1 - cpu0) / 1e6, (cpu1 - cs) / 1e6,
                              BenchReporter.rowsIn(), BenchReporter.rowsOut(),
                              BenchReporter.lateRows(), BenchReporter.sourceSubtasks());
            System.out.flush();
        }
    }

    /** Flink SQL's reserved words, one a line, sorted: a plain identifier must not be one. */
    static void printReservedWords() {
        SqlAbstractParserImpl.Metadata m =
            FlinkSqlParserImpl.FACTORY.getParser(new StringReader("")).getMetadata();
        TreeSet<String> words = new TreeSet<>();
        for (String t : m.getTokens())
            if (m.isReservedWord(t))
                words.add(t);
        for (String w : words)
            System.out.println(w);
    }

    private static final Pattern EXECUTE_SET =
        Pattern.compile("EXECUTE\\s+STATEMENT\\s+SET\\s+BEGIN\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern SET =
        Pattern.compile("SET\\s+'([^']*)'\\s*=\\s*'([^']*)'", Pattern.CASE_INSENSITIVE);

    private static String need(String[] args, int i, String opt) throws UsageException {
        if (i >= args.length)
            throw new UsageException(opt + " wants a value");
        return args[i];
    }

    /** ${NAME} -> its value, as sluice's engine/plan/sql_source.c does it. */
    static String substitute(String text, Map<String, String> params) throws UsageException {
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("${", i)) {
                int j = i + 2;
                while (j < text.length() && text.charAt(j) != '}' && text.charAt(j) != '\n')
                    j++;
                if (j >= text.length() || text.charAt(j) != '}')
                    throw new UsageException("unterminated placeholder: '${' without '}'");
                String name = text.substring(i + 2, j);
                String value = params.get(name);
                if (value == null)
                    throw new UsageException(
                        "${" + name + "} is not set; pass --set " + name + "=VALUE");
                out.append(value);
                i = j + 1;
                continue;
            }
            out.append(text.charAt(i++));
        }
        return out.toString();
    }

    /** The statements of a script: split at ';' outside quotes, back-quotes and comments. */
    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        int start = 0, i = 0, n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c == '\'' || c == '"' || c == '`') {
                int j = i + 1;
                while (j < n && text.charAt(j) != c)
                    j++;
                i = j + 1;
            } else if (c == '-' && i + 1 < n && text.charAt(i + 1) == '-') {
                while (i < n && text.charAt(i) != '\n')
                    i++;
            } else if (c == '/' && i + 1 < n && text.charAt(i + 1) == '*') {
                int j = text.indexOf("*/", i + 2);
                i = j < 0 ? n : j + 2;
            } else if (c == ';') {
                out.add(text.substring(start, i));
                start = ++i;
            } else {
                i++;
            }
        }
        if (start < n)
            out.add(text.substring(start));
        return out;
    }

    /** The statement without its comments (quoted text kept as it is). */
    static String stripComments(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0, n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"' || c == '`') {
                int j = i + 1;
                while (j < n && s.charAt(j) != c)
                    j++;
                out.append(s, i, Math.min(j + 1, n));
                i = j + 1;
            } else if (c == '-' && i + 1 < n && s.charAt(i + 1) == '-') {
                while (i < n && s.charAt(i) != '\n')
                    i++;
            } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                int j = s.indexOf("*/", i + 2);
                i = j < 0 ? n : j + 2;
                out.append(' ');
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }
}
