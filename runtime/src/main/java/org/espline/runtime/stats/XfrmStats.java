package org.espline.runtime.stats;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A set of {@link XfrmCounter}s. Thread-safe: increments are atomic adds into one array indexed by
 * the counter's ordinal, so counting allocates nothing.
 */
public final class XfrmStats {
    private static final XfrmCounter[] COUNTERS = XfrmCounter.values();

    private final AtomicLongArray values = new AtomicLongArray(COUNTERS.length);

    public void increment(XfrmCounter c) {
        values.getAndIncrement(c.ordinal());
    }

    public void add(XfrmCounter c, long n) {
        values.getAndAdd(c.ordinal(), n);
    }

    public long get(XfrmCounter c) {
        return values.get(c.ordinal());
    }

    /** Sum of all drop counters. */
    public long totalDrops() {
        long sum = 0;
        for (XfrmCounter c : COUNTERS) {
            if (c.isDrop()) {
                sum += values.get(c.ordinal());
            }
        }
        return sum;
    }

    /** A snapshot in declaration order, for reports and JSON. */
    public Map<XfrmCounter, Long> snapshot() {
        Map<XfrmCounter, Long> m = new EnumMap<>(XfrmCounter.class);
        for (XfrmCounter c : COUNTERS) {
            m.put(c, values.get(c.ordinal()));
        }
        return m;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("XfrmStats[");
        boolean first = true;
        for (XfrmCounter c : COUNTERS) {
            long v = values.get(c.ordinal());
            if (v != 0) {
                sb.append(first ? "" : ", ").append(c.name()).append('=').append(v);
                first = false;
            }
        }
        return sb.append(']').toString();
    }
}
