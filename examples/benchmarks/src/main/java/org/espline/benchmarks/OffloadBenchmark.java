package org.espline.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.espline.dsl.runtime.ModelException;
import org.espline.dsl.runtime.ModelPipelines;
import org.espline.dsl.runtime.ModelSas;
import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.offload.OffloadDevice;
import org.espline.runtime.pipeline.AbstractPipeline;
import org.espline.runtime.pipeline.IdleBackoff;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The point of offload: how much CPU the pipeline thread spends per packet, and the throughput, when AES-128-GCM
 * (tunnel mode) runs in software on that thread, on a lookaside accelerator (two engines of its own, no modelled
 * latency), or on the simulated inline NIC (its own thread). Traffic is 1400-byte UDP packets, or 64,000-byte TCP
 * writes cut into 1360-byte segments ({@code gso}): by the pipeline's GSO stage, except on {@code nic-tso}, a NIC
 * with TSO that takes the super-packets whole and segments and encrypts on its own thread.
 *
 * <p>One operation is one ESP packet delivered to the sink. Besides the score, each iteration prints, per packet
 * delivered, the pipeline (benchmark) thread's CPU time ({@link ThreadMXBean}) and its busy time: the wall time of
 * the {@code runOnce} calls that moved packets, VPP's clocks-per-packet idea. The CPU time includes polling a device
 * that has nothing ready (spin and yield before the thread parks); the busy time is the pipeline's own work
 * ({@code pipeline thread N ns CPU, M ns busy per packet}). The sink checks consecutive ESP sequence numbers; a trial
 * with a drop, a gap or a software fallback fails at teardown.
 *
 * <p>Run: {@code java -jar examples/benchmarks/target/benchmarks.jar OffloadBenchmark}; a smoke:
 * {@code ... OffloadBenchmark -f 1 -wi 0 -i 1 -r 1}. Expect software to spend the most CPU per packet on the pipeline
 * thread and the devices much less (copying into buffers, classify and the ring remain); throughput gains need
 * spare cores, since the devices' threads are the machine's own.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class OffloadBenchmark {
    private static final int BATCH = 32;
    private static final int WRITE = 64_000;
    private static final int MSS = 1360;

    @Param({"software", "lookaside", "nic", "nic-tso"})
    public String backend;

    @Param({"1400", "gso"})
    public String traffic;

    private AbstractPipeline tx;
    private XfrmStats stats;
    private ModelPipelines.Built built;
    private AsyncEngineBenchmark.OrderCheckingSink sink;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private long cpuAtStart;
    private long busyNanos;
    private final IdleBackoff backoff = new IdleBackoff();
    private long packetsAtStart;

    static String model(String type, boolean gso) {
        return String.join("\n",
                "sa a_to_b {",
                "\tspi 0x00001001",
                "\tmode tunnel src 192.0.2.1 dst 198.51.100.1",
                "\taead aes128gcm16 key 0x000102030405060708090a0b0c0d0e0fcafebabe",
                "\toffload dev",
                "}",
                "policy site_b {",
                "\tdir out",
                "\tsrc 10.1.0.0/16 dst 10.2.0.0/16",
                "\tprotect a_to_b",
                "}",
                "offload dev {",
                "\ttype " + (type.equals("nic-tso") ? "nic\n\ttso" : type),
                type.equals("lookaside") ? "\tworkers 2\n\tring 256" : type.startsWith("nic") ? "\tring 256" : "",
                "}",
                "buffers wan {",
                "\theadroom 128",
                "\ttailroom 64",
                "\tmtu 1500",
                "\tfragments 4",
                "\tpool 4096",
                "}",
                "pipeline egress tx {",
                "\tbuffers wan",
                "\tbatch " + BATCH,
                "\tfrom link lan",
                "\tclassify",
                gso ? "\tgso mss " + MSS : "",
                "\tencrypt offload dev",
                "\tto link wan",
                "}", "");
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException, ModelException {
        boolean gso = traffic.equals("gso");
        Path dir = Files.createTempDirectory("espline-offload-bench");
        Path file = dir.resolve("offload-bench.espl");
        Files.writeString(file, model(backend, gso), StandardCharsets.UTF_8);
        BufferPool hostPool = gso ? new BufferPool(4 * BATCH, 128, 65535, 64, 4) : new BufferPool(8 * BATCH, 128, 1500, 64, 4);
        byte[] template = gso ? PipelineBenchmark.Templates.tcp4(WRITE) : PipelineBenchmark.Templates.udp4(1400 - 28);
        sink = new AsyncEngineBenchmark.OrderCheckingSink();
        built = new ModelPipelines(new ModelSas())
                .withSource("egress", new PipelineBenchmark.LoopSource(hostPool, template))
                .withSink("egress", sink)
                .outputDirectory(dir)
                .build(file);
        if (!built.notes().isEmpty()) {
            throw new IllegalStateException("notes: " + built.notes());
        }
        tx = built.pipeline("egress");
        stats = built.stats("egress");
    }

    @Setup(Level.Iteration)
    public void startIteration() {
        cpuAtStart = threads.getCurrentThreadCpuTime();
        packetsAtStart = sink.packets;
        busyNanos = 0;
    }

    @TearDown(Level.Iteration)
    public void endIteration() {
        long packets = sink.packets - packetsAtStart;
        double perPacket = packets == 0 ? 0 : (double) (threads.getCurrentThreadCpuTime() - cpuAtStart) / packets;
        double busyPerPacket = packets == 0 ? 0 : (double) busyNanos / packets;
        System.out.printf("%n  %s/%s: pipeline thread %.0f ns CPU, %.0f ns busy per packet over %d packets%n", backend, traffic,
                perPacket, busyPerPacket, packets);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        built.close();
        long fallback = stats.get(XfrmCounter.EsplineOffloadFallback);
        if (sink.packets == 0 || stats.totalDrops() != 0 || sink.gaps != 0 || fallback != 0) {
            throw new IllegalStateException("the benchmark measured drops, disorder or fallback, not offload: " + stats
                    + ", sequence gaps " + sink.gaps);
        }
        for (OffloadDevice d : built.offloadDevices()) {
            if (d.stateCount() == 0) {
                throw new IllegalStateException("device " + d + " holds no SA");
            }
        }
    }

    /**
     * Drives the pipeline until {@value #BATCH} more ESP packets are delivered. While a device holds everything and
     * nothing comes back, the thread backs off as a gateway's pipeline thread does ({@link IdleBackoff}: spin, yield,
     * park), so its CPU time is the pipeline's work, not a busy wait for the device.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long egress() {
        final long target = sink.packets + BATCH;
        while (sink.packets < target) {
            final long before = sink.packets;
            final long t0 = System.nanoTime();
            if (tx.runOnce() == 0 && sink.packets == before) {
                backoff.idle();
            } else {
                busyNanos += System.nanoTime() - t0;
                backoff.reset();
            }
        }
        return sink.packets;
    }
}
