package org.espline.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.espline.dsl.runtime.ModelPipelines;
import org.espline.dsl.runtime.ModelSas;
import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.pipeline.AbstractPipeline;
import org.espline.runtime.stats.XfrmStats;

/**
 * Where the CPU goes per packet in {@link AsyncEngineBenchmark}'s pipeline (AES-128-GCM tx, 1400-byte packets): runs
 * the pipeline (with bench.espl's engines: queue 1024, order per-sa; a source pool of 8192) on the main thread (the pipeline thread, driven as the benchmark drives it: {@code runOnce} in a loop)
 * for a few seconds after a warm-up and prints, per thread, the CPU time it used per packet delivered
 * ({@link ThreadMXBean#getThreadCpuTime}), next to the wall time per packet and the throughput. Unlike JMH's
 * throughput this stays meaningful on a machine busy with other work: with {@code c} the workers' CPU and {@code p}
 * the pipeline thread's per packet, two workers can at best reach {@code 2 / (c + p)} packets per second on two
 * cores, one worker {@code 1 / c}.
 *
 * <p>Run: {@code java -cp examples/benchmarks/target/benchmarks.jar org.espline.benchmarks.AsyncEngineCpu async2 5}
 * (engine {@code inline}, {@code async1} or {@code async2}; seconds measured).
 */
public final class AsyncEngineCpu {
    private AsyncEngineCpu() {
    }

    public static void main(String[] args) throws Exception {
        final String engine = args.length > 0 ? args[0] : "async2";
        final double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        final int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        final String body = switch (engine) {
            case "inline" -> "inline";
            case "async1" -> "workers 1\n\tqueue 1024\n\torder per-sa";
            case "async2" -> "workers 2\n\tqueue 1024\n\torder per-sa";
            default -> throw new IllegalArgumentException("engine: " + engine + " (expected: inline, async1, async2)");
        };
        final Path dir = Files.createTempDirectory("espline-cpu");
        final Path file = dir.resolve("async-engine.espl");
        Files.writeString(file, AsyncEngineBenchmark.model(body), StandardCharsets.UTF_8);
        final BufferPool hostPool = new BufferPool(8192, 128, 1500, 64, 4); // bench.espl's engines and pool
        final AsyncEngineBenchmark.OrderCheckingSink sink = new AsyncEngineBenchmark.OrderCheckingSink();
        try (ModelPipelines.Built built = new ModelPipelines(new ModelSas())
                .withSource("egress", new PipelineBenchmark.LoopSource(hostPool, PipelineBenchmark.Templates.udp4(1400 - 28)))
                .withSink("egress", sink)
                .outputDirectory(dir)
                .build(file)) {
            final AbstractPipeline tx = built.pipeline("egress");
            final XfrmStats stats = built.stats("egress");
            final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            run(tx, sink, 2.0); // warm-up
            for (int r = 0; r < rounds; r++) {
                final List<Thread> workers = workers();
                final long[] before = new long[workers.size()];
                for (int i = 0; i < before.length; i++) {
                    before[i] = mx.getThreadCpuTime(workers.get(i).getId());
                }
                final long mine = mx.getCurrentThreadCpuTime();
                final long packets = sink.packets;
                final long wall = System.nanoTime();
                run(tx, sink, seconds);
                final double n = sink.packets - packets;
                final double wallNs = (System.nanoTime() - wall) / n;
                final double p = (mx.getCurrentThreadCpuTime() - mine) / n;
                final StringBuilder w = new StringBuilder();
                double c = 0;
                for (int i = 0; i < before.length; i++) {
                    final double ci = (mx.getThreadCpuTime(workers.get(i).getId()) - before[i]) / n;
                    c += ci;
                    w.append(String.format(Locale.ROOT, " %s %.0f", workers.get(i).getName(), ci));
                }
                System.out.printf(Locale.ROOT, "%s: %.2f Gbit/s, wall %.0f ns/pkt, pipeline thread %.0f ns/pkt, workers %.0f ns/pkt (%s), total %.0f%n",
                        engine, 1400 * 8 / wallNs, wallNs, p, c, w.toString().trim(), p + c);
            }
            if (stats.totalDrops() != 0 || sink.gaps != 0) {
                throw new IllegalStateException("drops or disorder: " + stats + ", gaps " + sink.gaps);
            }
        }
    }

    private static void run(AbstractPipeline tx, AsyncEngineBenchmark.OrderCheckingSink sink, double seconds) {
        final long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            final long target = sink.packets + 32;
            while (sink.packets < target) {
                tx.runOnce();
            }
        }
    }

    private static List<Thread> workers() {
        final List<Thread> out = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("espline-")) {
                out.add(t);
            }
        }
        out.sort((a, b) -> a.getName().compareTo(b.getName()));
        return out;
    }
}
