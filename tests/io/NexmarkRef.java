/*
 * tests/io/NexmarkRef.java - the Java side of tests/io/test_nexmark_java.c.
 *
 * Written for sluice's tests from the algorithm documented in io/nexmark.h (the nexmark
 * repository's nexmark-flink generator: GeneratorConfig, NexmarkGenerator, the model
 * generators), not copied from it: it is not on Maven Central, and this program keeps to the
 * JDK. What it takes from the JDK is the point: java.util.SplittableRandom and
 * java.util.Random themselves, so the C ports are checked against the real classes.
 *
 *   java NexmarkRef draws
 *       for several seeds, a fixed program of SplittableRandom calls, one "op value" line
 *       per call (doubles as their IEEE bits in hex)
 *   java NexmarkRef events RNG SEED EVENTS RATE BASE SPLITS
 *       the stream (RNG: splittable | per-event) cut into SPLITS splits as Flink's source
 *       does, split after split, one line per event: split, kind, then the fields in table
 *       order separated by tabs, timestamps in ms
 */
import java.util.Random;
import java.util.SplittableRandom;

public final class NexmarkRef {
    /* ---- SplittableRandom draws ---- */

    static final long[] SEEDS = {0L, 1L, -1L, 42L, 4095L, Long.MIN_VALUE, 0x123456789abcdefL};
    static final int[] INT_BOUNDS = {1, 2, 3, 7, 10, 13, 26, 100, 1000, 10000, (1 << 30) + 1,
                                     Integer.MAX_VALUE, 1 << 20};
    static final int[][] INT_RANGES = {{-5, 5}, {Integer.MIN_VALUE, Integer.MAX_VALUE},
                                       {-(1 << 30), (1 << 30) + 1}, {0, Integer.MAX_VALUE},
                                       {Integer.MIN_VALUE, 0}, {-1, Integer.MAX_VALUE},
                                       {100, 164}};
    static final long[] LONG_BOUNDS = {1L, 3L, (1L << 40) + 7, Long.MAX_VALUE, (1L << 62) + 1,
                                       1L << 33};
    static final long[][] LONG_RANGES = {{Long.MIN_VALUE, Long.MAX_VALUE}, {-10L, 10L},
                                         {Long.MIN_VALUE, 1L}, {-(1L << 62), (1L << 62) + 1},
                                         {5L, 5L + (1L << 20)}};

    static void draws(StringBuilder out) {
        for (long seed : SEEDS) {
            out.append("seed ").append(seed).append('\n');
            SplittableRandom r = new SplittableRandom(seed);
            for (int rep = 0; rep < 64; rep++) {
                out.append("long ").append(r.nextLong()).append('\n');
                out.append("int ").append(r.nextInt()).append('\n');
                out.append("double ").append(Long.toHexString(Double.doubleToLongBits(r.nextDouble()))).append('\n');
                for (int b : INT_BOUNDS)
                    out.append("intb ").append(b).append(' ').append(r.nextInt(b)).append('\n');
                for (int[] g : INT_RANGES)
                    out.append("intr ").append(g[0]).append(' ').append(g[1]).append(' ')
                        .append(r.nextInt(g[0], g[1])).append('\n');
                for (long b : LONG_BOUNDS)
                    out.append("longb ").append(b).append(' ').append(r.nextLong(b)).append('\n');
                for (long[] g : LONG_RANGES)
                    out.append("longr ").append(g[0]).append(' ').append(g[1]).append(' ')
                        .append(r.nextLong(g[0], g[1])).append('\n');
            }
        }
    }

    /* ---- the generator ---- */

    /** One source of numbers, so that the model code is written once for both classes. */
    interface Rng {
        int nextInt();
        int nextInt(int bound);
        long nextLong();
        double nextDouble();
    }

    static Rng of(SplittableRandom r) {
        return new Rng() {
            public int nextInt() { return r.nextInt(); }
            public int nextInt(int bound) { return r.nextInt(bound); }
            public long nextLong() { return r.nextLong(); }
            public double nextDouble() { return r.nextDouble(); }
        };
    }

    static Rng of(Random r) {
        return new Rng() {
            public int nextInt() { return r.nextInt(); }
            public int nextInt(int bound) { return r.nextInt(bound); }
            public long nextLong() { return r.nextLong(); }
            public double nextDouble() { return r.nextDouble(); }
        };
    }

    static final String[] STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};
    static final String[] CITIES = {"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland",
                                    "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"};
    static final String[] FIRST = {"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate",
                                   "Julie", "Sarah", "Deiter", "Walter"};
    static final String[] LAST = {"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton",
                                  "Smith", "Jones", "Noris"};
    static final String[] HOT_CHANNELS = {"Google", "Facebook", "Baidu", "Apple"};
    static final int EXTRA_TEXT = 1 << 20;

    final boolean splittable;
    final int pProp = 1, aProp = 3, bProp = 46, total = 50;
    final double delayUs;
    final long base, firstId, maxEvents;
    final String[] hotUrls = new String[4];
    final String[] chanNames = new String[10000], chanUrls = new String[10000];
    final String extraText;

    NexmarkRef(boolean splittable, long seed, long rate, long base, int splits, long maxEvents,
               long firstId) {
        this.splittable = splittable;
        this.delayUs = 1000000.0 / rate * splits;
        this.base = base;
        this.firstId = firstId;
        this.maxEvents = maxEvents;
        Rng t = splittable ? of(new SplittableRandom(seed ^ 0x5441424c4553L)) : of(new Random(seed));
        for (int i = 0; i < 4; i++)
            hotUrls[i] = baseUrl(t);
        for (int i = 0; i < 10000; i++) {
            String url = baseUrl(t);
            if (t.nextInt(10) > 0)
                url += "&channel_id=" + Math.abs(Integer.reverse(i));
            chanUrls[i] = url;
            chanNames[i] = "channel-" + i;
        }
        extraText = splittable ? chars(of(new SplittableRandom(seed ^ 0x4558545241L)), EXTRA_TEXT) : null;
    }

    static String string(Rng r, int max, char special) {
        int len = 3 + r.nextInt(max - 3);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++)
            sb.append(r.nextInt(13) == 0 ? special : (char) ('a' + r.nextInt(26)));
        return sb.toString().trim();
    }

    static String baseUrl(Rng r) {
        return "https://www.nexmark.com/" + string(r, 5, '_') + '/' + string(r, 5, '_') + '/'
            + string(r, 5, '_') + '/' + "item.htm?query=1";
    }

    static String chars(Rng r, int len) {
        StringBuilder sb = new StringBuilder(len);
        int rnd = 0, left = 0;
        for (int i = 0; i < len; i++) {
            if (left == 0) {
                rnd = r.nextInt();
                left = 6;
            }
            sb.append((char) ('a' + rnd % 26));
            rnd /= 26;
            left--;
        }
        return sb.toString();
    }

    String extra(Rng r, int current, int avg) {
        if (current > avg)
            return "";
        int desired = avg - current;
        int delta = (int) Math.round(desired * 0.2);
        int size = desired - delta + (delta == 0 ? 0 : r.nextInt(2 * delta));
        if (splittable && size < EXTRA_TEXT / 2) {
            int off = r.nextInt(EXTRA_TEXT - size);
            return extraText.substring(off, off + size);
        }
        return chars(r, size);
    }

    static long bounded(Rng r, long n) {
        return n < Integer.MAX_VALUE ? r.nextInt((int) n) : Math.abs(r.nextLong() % n);
    }

    long lastPerson(long id) {
        long epoch = id / total, off = id % total;
        return epoch * pProp + Math.min(off, pProp - 1);
    }

    long lastAuction(long id) {
        long epoch = id / total, off = id % total;
        if (off < pProp) {
            epoch--;
            off = aProp - 1;
        } else if (off >= pProp + aProp) {
            off = aProp - 1;
        } else {
            off -= pProp;
        }
        return epoch * aProp + off;
    }

    long nextPerson(long id, Rng r) {
        long people = lastPerson(id) + 1, active = Math.min(people, 1000);
        return people - active + bounded(r, active + 10);
    }

    long nextAuction(long id, Rng r) {
        long max = lastAuction(id), min = Math.max(max - 100, 0);
        return min + bounded(r, max - min + 1 + 10);
    }

    long ts(long number) {
        return base + (long) (number * delayUs) / 1000L;
    }

    static long price(Rng r) {
        return Math.round(Math.pow(10.0, r.nextDouble() * 6.0) * 100.0);
    }

    /** Event k of this (sub-)stream, as a tab-separated line. */
    String event(long k, Rng r) {
        long number = 1 + k, id = firstId + number, t = ts(number), rem = id % total;
        StringBuilder sb = new StringBuilder();
        if (rem < pProp) {
            String name = FIRST[r.nextInt(FIRST.length)] + " " + LAST[r.nextInt(LAST.length)];
            String email = string(r, 7, ' ') + "@" + string(r, 5, ' ') + ".com";
            StringBuilder cc = new StringBuilder();
            for (int i = 0; i < 4; i++)
                cc.append(i > 0 ? " " : "").append(String.format("%04d", r.nextInt(10000)));
            String city = CITIES[r.nextInt(CITIES.length)], state = STATES[r.nextInt(STATES.length)];
            int size = 8 + name.length() + email.length() + cc.length() + city.length() + state.length();
            sb.append("0\t").append(lastPerson(id) + 1000).append('\t').append(name).append('\t')
                .append(email).append('\t').append(cc).append('\t').append(city).append('\t')
                .append(state).append('\t').append(t).append('\t').append(extra(r, size, 200));
        } else if (rem < pProp + aProp) {
            long seller = r.nextInt(4) > 0 ? lastPerson(id) / 100 * 100 : nextPerson(id, r);
            long category = 10 + r.nextInt(5), initial = price(r);
            long horizon = ts(number + 100L * total / aProp) - t;
            long expires = t + 1 + bounded(r, Math.max(horizon * 2, 1));
            String item = string(r, 20, ' '), desc = string(r, 100, ' ');
            long reserve = initial + price(r);
            int size = 8 + item.length() + desc.length() + 40;
            sb.append("1\t").append(lastAuction(id) + 1000).append('\t').append(item).append('\t')
                .append(desc).append('\t').append(initial).append('\t').append(reserve).append('\t')
                .append(t).append('\t').append(expires).append('\t').append(seller + 1000)
                .append('\t').append(category).append('\t').append(extra(r, size, 500));
        } else {
            long auction = r.nextInt(2) > 0 ? lastAuction(id) / 100 * 100 : nextAuction(id, r);
            long bidder = r.nextInt(4) > 0 ? lastPerson(id) / 100 * 100 + 1 : nextPerson(id, r);
            long p = price(r);
            String channel, url;
            if (r.nextInt(2) > 0) {
                int i = r.nextInt(4);
                channel = HOT_CHANNELS[i];
                url = hotUrls[i];
            } else {
                int i = r.nextInt(10000);
                channel = chanNames[i];
                url = chanUrls[i];
            }
            sb.append("2\t").append(auction + 1000).append('\t').append(bidder + 2000).append('\t')
                .append(p).append('\t').append(channel).append('\t').append(url).append('\t')
                .append(t).append('\t').append(extra(r, 32, 100));
        }
        return sb.toString();
    }

    public static void main(String[] a) {
        StringBuilder out = new StringBuilder();
        if (a[0].equals("draws")) {
            draws(out);
        } else {
            boolean splittable = a[1].equals("splittable");
            long seed = Long.parseLong(a[2]), events = Long.parseLong(a[3]);
            long rate = Long.parseLong(a[4]), base = Long.parseLong(a[5]);
            int splits = Integer.parseInt(a[6]);
            long sub = events / splits;
            for (int i = 0; i < splits; i++) {
                long n = i == splits - 1 ? events - sub * (splits - 1) : sub;
                NexmarkRef g = new NexmarkRef(splittable, seed, rate, base, splits, n, 1 + i * sub);
                Rng r = of(new SplittableRandom(seed + i));
                for (long k = 0; k < n; k++) {
                    if (!splittable)
                        r = of(new Random(g.firstId + 1 + k));
                    out.append(i).append('\t').append(g.event(k, r)).append('\n');
                }
            }
        }
        System.out.print(out);
    }
}
