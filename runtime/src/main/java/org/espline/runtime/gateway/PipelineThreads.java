package org.espline.runtime.gateway;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.espline.runtime.pipeline.AbstractPipeline;
import org.espline.runtime.port.SinkPort;
import org.espline.runtime.stats.XfrmStats;

/**
 * What a generated {@code main} does with the pipelines it built, kept here so that every generated main is a call
 * and not a copy: one thread per pipeline until each has ended, each pipeline's counters printed, and for gateway
 * ports a SIGINT/SIGTERM hook that stops them and lets the pipelines drain. Stateless.
 */
public final class PipelineThreads {
    /** How long a signal waits for the pipelines to drain before the JVM exits anyway (with status 1). */
    static final long DRAIN_SECONDS = 10;

    private PipelineThreads() {
    }

    /**
     * Runs {@code pipelines.get(i)} on a thread of its own until it ends. A pipeline that stops on an error has its
     * sink {@code sinks.get(i)} ended all the same, so a pipeline reading that link still finishes. Then prints each
     * pipeline's packets and {@code stats.get(i)} to {@code out}.
     *
     * @return 0 when every pipeline ran to the end of its input, 1 when one did not (said on {@code err})
     */
    public static int runToEnd(List<AbstractPipeline> pipelines, List<SinkPort> sinks, List<XfrmStats> stats,
                               PrintStream out, PrintStream err) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < pipelines.size(); i++) {
            AbstractPipeline p = pipelines.get(i);
            SinkPort sink = sinks.get(i);
            Thread t = new Thread(() -> {
                try {
                    p.run(Long.MAX_VALUE);
                } catch (RuntimeException e) {
                    err.println(name(p) + ": " + e.getMessage() + (e.getCause() == null ? "" : ": " + e.getCause().getMessage()));
                } finally {
                    if (!p.isFinished()) {
                        sink.finish();
                    }
                }
            }, name(p));
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        int status = 0;
        for (int i = 0; i < pipelines.size(); i++) {
            AbstractPipeline p = pipelines.get(i);
            out.println(name(p) + ": received " + p.received() + ", delivered " + p.delivered() + ", " + stats.get(i));
            if (!p.isFinished()) {
                err.println(name(p) + " stopped before the end of its input");
                status = 1;
            }
        }
        return status;
    }

    /**
     * On SIGINT/SIGTERM: stops {@code ports} (their pipelines drain and finish), waits up to {@value #DRAIN_SECONDS} s
     * for {@code done} (counted down once the counters are printed and the ports closed), and exits 0 when it came in
     * time, 1 when not: a drained stop is a clean stop, not 143.
     */
    public static void stopOnSignal(List<? extends GatewayRunner.GatewayPort> ports, CountDownLatch done) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (GatewayRunner.GatewayPort g : ports) {
                g.stop();
            }
            boolean drained = false;
            try {
                drained = done.await(DRAIN_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(drained ? 0 : 1);
        }, "espline-shutdown"));
    }

    private static String name(AbstractPipeline p) {
        return p.getClass().getSimpleName();
    }
}
