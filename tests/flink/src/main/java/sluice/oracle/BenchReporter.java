/*
 * tests/flink/src/main/java/sluice/oracle/BenchReporter.java - a Flink metric reporter that
 * keeps, for SqlRunner's --bench mode, the counters a benchmark needs from the job that is
 * running in this JVM's MiniCluster:
 *
 *   rows in    numRecordsOut of the source operators ("Source: <table>[n]") whose table is
 *              the one named by --bench-source (all sources when none is named);
 *   rows out   numRecordsIn of the sink operators ("Sink: ..." / "<table>[n]: Writer");
 *   late rows  numLateRecordsDropped of the window operators;
 *   start      the moment (System.nanoTime and the process CPU time) the first operator's
 *              metrics were registered: the job's tasks are deployed and initializing, so
 *              planning, submission, scheduling and deployment
 *              lie before it.
 *
 * Counters are kept by reference, so their values are final once the job has finished
 * (a task's metrics are unregistered when it ends; the Counter objects stay readable).
 * The MiniCluster creates the reporter through its factory (configured by SqlRunner as
 * metrics.reporter.sluice.factory.class); the state is static because the runner and the
 * reporter share one JVM and jobs run one at a time. THREADS: metrics are added from task
 * threads, so every method is synchronized on the class.
 */
package sluice.oracle;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

public final class BenchReporter implements MetricReporter {
    private static final List<Counter> sources = new ArrayList<>();
    private static final List<Counter> sinks = new ArrayList<>();
    private static final List<Counter> late = new ArrayList<>();
    private static final List<String> names = new ArrayList<>();
    private static String sourceTable;
    private static long startNanos, startCpuNanos;

    /** Forgets the previous job; `table` (or null) selects the sources counted as rows in. */
    static synchronized void reset(String table) {
        sources.clear();
        sinks.clear();
        late.clear();
        names.clear();
        sourceTable = table;
        startNanos = 0;
        startCpuNanos = 0;
    }

    static synchronized long rowsIn() { return sum(sources); }
    static synchronized long rowsOut() { return sum(sinks); }
    static synchronized long lateRows() { return sum(late); }
    static synchronized int sourceSubtasks() { return sources.size(); }
    static synchronized long startNanos() { return startNanos; }
    static synchronized long startCpuNanos() { return startCpuNanos; }
    static synchronized List<String> operatorNames() { return new ArrayList<>(names); }

    /** CPU time of this process (every thread: tasks, JIT, GC), in nanoseconds. */
    static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean)
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
        return -1;
    }

    private static long sum(List<Counter> cs) {
        long n = 0;
        for (Counter c : cs)
            n += c.getCount();
        return n;
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        Map<String, String> vars = group.getAllVariables();
        String op = vars.get("<operator_name>");
        if (op == null || !(metric instanceof Counter))
            return; /* task- and job-level metrics: not an operator's */
        synchronized (BenchReporter.class) {
            if (startNanos == 0) {
                startNanos = System.nanoTime();
                startCpuNanos = processCpuNanos();
            }
            if (!names.contains(op))
                names.add(op);
            Counter c = (Counter) metric;
            String lower = op.toLowerCase(Locale.ROOT);
            if (name.equals("numRecordsOut") && lower.startsWith("source:")) {
                if (sourceTable == null || op.matches("(?i)source: *" + sourceTable + "\\b.*"))
                    sources.add(c);
            } else if (name.equals("numRecordsIn")
                       && (lower.startsWith("sink:") || lower.endsWith(": writer"))) {
                sinks.add(c);
            } else if (name.equals("numLateRecordsDropped")) {
                late.add(c);
            }
        }
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {}

    /** metrics.reporter.NAME.factory.class names this. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new BenchReporter();
        }
    }
}
