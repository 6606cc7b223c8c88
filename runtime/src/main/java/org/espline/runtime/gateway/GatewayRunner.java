package org.espline.runtime.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.espline.runtime.pipeline.AbstractPipeline;
import org.espline.runtime.pipeline.IdleBackoff;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * Runs a gateway's pipelines, each on a thread of its own, until {@link #stop()}: then the sources are stopped
 * (they answer end of input), every pipeline drains what it holds — engine rings, packets a full sink held back —
 * into its sink and finishes, and only then are the ports closed. So a stop loses nothing the gateway accepted;
 * what was still in kernel queues was never accepted. The caller wires SIGINT/SIGTERM to {@link #stop()} (a JVM
 * shutdown hook that stops, awaits the drain, closes and prints {@link #summary(boolean)}).
 *
 * <p>The status line ({@link #statusLine()}) sums packets and bytes per pipeline, with drops by counter name.
 * Thread-safety: {@link #stop()} and the status may be called from any thread; each pipeline is touched only by its
 * own thread while it runs.
 */
public final class GatewayRunner {
    /** A pipeline with the counters of its stages and a name for the status line. */
    public record Lane(String name, AbstractPipeline pipeline, XfrmStats stats) {
    }

    /** A port the runner stops (end of input) and closes, with its own counters for the summary. */
    public interface GatewayPort extends AutoCloseable {
        /** Its receive answers end of input from now on. */
        void stop();

        /** One line of counters. */
        String summary();

        /** A short name for the status line ("tun esp0", "udp 4500"). */
        String label();

        /** Bytes of the packets this port handed to a pipeline (IP packets, the rebuilt outer header included). */
        long bytesReceived();

        /** Bytes of the packets this port sent out of the gateway. */
        long bytesSent();

        /**
         * Waits (blocking the calling thread, the pipeline's that reads this port) until input may be ready or
         * {@code timeoutMillis} passed. Returns false when it did not wait (input is known to be ready, the port
         * stopped, or it cannot wait): the caller then backs off as usual.
         */
        default boolean awaitInput(int timeoutMillis) {
            return false;
        }

        @Override
        void close();
    }

    /** Empty receive calls (each a system call) before an idle thread blocks in poll. */
    static final int RETRIES_BEFORE_POLL = 8;
    /** Longest poll: bounds how late a stopped port's thread notices the stop. */
    static final int POLL_MILLIS = 20;

    private final List<Lane> lanes = new ArrayList<>();
    private final List<GatewayPort> ports = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Throwable> failures = new ArrayList<>();
    private CountDownLatch finished;
    private volatile boolean stopping;
    private boolean closed;
    private long startNanos;

    public GatewayRunner lane(String name, AbstractPipeline pipeline, XfrmStats stats) {
        lanes.add(new Lane(name, pipeline, stats));
        return this;
    }

    public GatewayRunner port(GatewayPort port) {
        ports.add(port);
        return this;
    }

    public List<Lane> lanes() { return lanes; }

    /** Starts one thread per pipeline. */
    public synchronized void start() {
        finished = new CountDownLatch(lanes.size());
        startNanos = System.nanoTime();
        for (Lane l : lanes) {
            Thread t = new Thread(() -> runLane(l), "espline-" + l.name());
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void runLane(Lane l) {
        final AbstractPipeline p = l.pipeline();
        final IdleBackoff backoff = new IdleBackoff();
        final GatewayPort waitable = p.source() instanceof GatewayPort g ? g : null;
        try {
            while (true) {
                final long deliveredBefore = p.delivered();
                final int n = p.runOnce();
                if (n < 0) {
                    break;
                }
                if (n == 0 && p.delivered() == deliveredBefore) {
                    idle(p, waitable, backoff);
                } else {
                    backoff.reset();
                }
            }
        } catch (Throwable t) {
            synchronized (failures) {
                failures.add(new IllegalStateException("pipeline " + l.name() + " failed", t));
            }
            stop(); // one lane down: the gateway cannot do its job, the others drain and end too
        } finally {
            finished.countDown();
        }
    }

    /**
     * A call found no work. While the pipeline holds nothing (no engine completions to wait for, nothing a full sink
     * held back) and a few retries found nothing either, the thread blocks in its source's poll(2) instead of
     * spinning, yielding or parking on a timer: on a machine with fewer cores than busy threads (two gateways, their
     * engine workers and the traffic's endpoints on two cores) every spin steals the CPU the crypto needs, and a
     * parked thread wakes late. poll wakes the thread the moment the kernel has input. While packets are in flight
     * (completions come from other threads, not from the fd) it backs off as before.
     */
    private static void idle(AbstractPipeline p, GatewayPort source, IdleBackoff backoff) {
        if (source != null && backoff.idleCalls() >= RETRIES_BEFORE_POLL && p.inFlight() == 0 && p.pending() == 0
                && source.awaitInput(POLL_MILLIS)) {
            backoff.reset();
            return;
        }
        backoff.idle();
    }

    /** Stops every source: the pipelines drain and finish. Idempotent, from any thread. */
    public void stop() {
        stopping = true;
        for (GatewayPort port : ports) {
            port.stop();
        }
    }

    public boolean isStopping() { return stopping; }

    /** Waits until every pipeline finished; true when they did within the time. */
    public boolean awaitFinished(long timeout, TimeUnit unit) throws InterruptedException {
        return finished.await(timeout, unit);
    }

    /** Closes the ports (after the pipelines finished). */
    public synchronized void close() {
        if (!closed) {
            closed = true;
            for (GatewayPort port : ports) {
                port.close();
            }
        }
    }

    public List<Throwable> failures() {
        synchronized (failures) {
            return new ArrayList<>(failures);
        }
    }

    private long lastStatusNanos;
    private long[] lastIn = new long[0];
    private long[] lastOut = new long[0];

    /**
     * "12.0 s  egress in 1234 out 56000  ingress in ... | tun esp0 0.52/0.01 Gbit/s  udp 4500 0.55/0.53 Gbit/s | drops 3
     * XfrmInStateSeqError=3": packets per pipeline, then each port's receive/send rate since the previous status line.
     * Called from one thread (the status printer).
     */
    public String statusLine() {
        final long now = System.nanoTime();
        final double s = Math.max(1e-9, (now - startNanos) / 1e9);
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%7.1f s", s));
        if (lastIn.length != ports.size()) {
            lastIn = new long[ports.size()];
            lastOut = new long[ports.size()];
            lastStatusNanos = startNanos;
        }
        final double interval = Math.max(1e-9, (now - lastStatusNanos) / 1e9);
        lastStatusNanos = now;
        for (int i = 0; i < ports.size(); i++) {
            GatewayPort port = ports.get(i);
            long in = port.bytesReceived();
            long out = port.bytesSent();
            b.append(String.format(Locale.ROOT, "  %s %.2f/%.2f Gbit/s", port.label(), (in - lastIn[i]) * 8 / interval / 1e9,
                    (out - lastOut[i]) * 8 / interval / 1e9));
            lastIn[i] = in;
            lastOut[i] = out;
        }
        long drops = 0;
        StringBuilder d = new StringBuilder();
        for (Lane l : lanes) {
            b.append(String.format(Locale.ROOT, "  %s in %d out %d", l.name(), l.pipeline().received(), l.pipeline().delivered()));
            drops += l.stats().totalDrops();
        }
        for (XfrmCounter c : XfrmCounter.values()) {
            long n = 0;
            for (Lane l : lanes) {
                n += l.stats().get(c);
            }
            if (c.isDrop() && n > 0) {
                d.append(' ').append(c.name()).append('=').append(n);
            }
        }
        b.append("  drops ").append(drops).append(d);
        return b.toString();
    }

    /** Every pipeline's packets and non-zero counters, then every port's counters. */
    public String summary(boolean drained) {
        StringBuilder b = new StringBuilder();
        final double s = (System.nanoTime() - startNanos) / 1e9;
        b.append(String.format(Locale.ROOT, "espline gateway: stopped after %.1f s%s%n", s,
                drained ? ", every pipeline drained" : ", NOT every pipeline drained in time"));
        for (Lane l : lanes) {
            AbstractPipeline p = l.pipeline();
            b.append(String.format(Locale.ROOT, "pipeline %s: received %d delivered %d pending %d in-flight %d%n",
                    l.name(), p.received(), p.delivered(), p.pending(), p.inFlight()));
            l.stats().snapshot().forEach((c, n) -> {
                if (n > 0) {
                    b.append(String.format(Locale.ROOT, "  %-28s %d%n", c.name(), n));
                }
            });
        }
        for (GatewayPort port : ports) {
            b.append(port.summary()).append('\n');
        }
        for (Throwable t : failures()) {
            b.append("failure: ").append(t.getMessage()).append(": ").append(t.getCause()).append('\n');
        }
        return b.toString();
    }
}
