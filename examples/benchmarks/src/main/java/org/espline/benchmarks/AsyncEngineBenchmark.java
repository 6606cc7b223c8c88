package org.espline.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.espline.dsl.runtime.ModelException;
import org.espline.dsl.runtime.ModelPipelines;
import org.espline.dsl.runtime.ModelSas;
import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.pipeline.AbstractPipeline;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.port.SinkPort;
import org.espline.runtime.port.SourcePort;
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
 * An interpreted tx pipeline (classify, encrypt with AES-128-GCM in tunnel mode) on 1400-byte UDP packets, with the
 * encryption inline on the pipeline's thread or on an asynchronous engine of 1 or 2 workers ({@code queue 256,
 * order per-sa}): what handing the crypto to other threads costs or gains. The model is written at setup with the
 * engine block of the {@code engine} parameter.
 *
 * <p>One operation is one packet encrypted and delivered to the sink. An invocation drives the pipeline until
 * {@value #BATCH} more packets reached the sink (with an engine, a call of {@code runOnce} may deliver packets of
 * earlier calls, or none while the workers are busy, so counting calls would not count packets). The sink checks
 * that the ESP sequence numbers arrive consecutive, and a trial that dropped anything or saw a gap fails at teardown.
 *
 * <p>Run: {@code java -jar examples/benchmarks/target/benchmarks.jar AsyncEngineBenchmark}. Expect the async
 * variants to gain only where there are spare cores: the pipeline thread still copies each packet into a buffer,
 * classifies it and takes its sequence number, and on a busy two-core machine the workers compete with it.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class AsyncEngineBenchmark {
    private static final int BATCH = 32;

    @Param({"inline", "async1", "async2"})
    public String engine;

    private AbstractPipeline tx;
    private XfrmStats stats;
    private ModelPipelines.Built built;
    private OrderCheckingSink sink;

    static String model(String engineBody) {
        return String.join("\n",
                "sa a_to_b {",
                "\tspi 0x00001001",
                "\tmode tunnel src 192.0.2.1 dst 198.51.100.1",
                "\taead aes128gcm16 key 0x000102030405060708090a0b0c0d0e0fcafebabe",
                "}",
                "policy site_b {",
                "\tdir out",
                "\tsrc 10.1.0.0/16 dst 10.2.0.0/16",
                "\tprotect a_to_b",
                "}",
                "engine crypto {",
                "\t" + engineBody,
                "}",
                "buffers wan {",
                "\theadroom 128",
                "\ttailroom 64",
                "\tmtu 1500",
                "\tpool 1024",
                "}",
                "pipeline egress tx {",
                "\tbuffers wan",
                "\tbatch " + BATCH,
                "\tfrom link lan",
                "\tclassify",
                "\tencrypt engine crypto",
                "\tto link wan",
                "}", "");
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException, ModelException {
        String body = switch (engine) {
            case "inline" -> "inline";
            case "async1" -> "workers 1\n\tqueue 256\n\torder per-sa";
            case "async2" -> "workers 2\n\tqueue 256\n\torder per-sa";
            default -> throw new IllegalArgumentException("engine: " + engine);
        };
        Path dir = Files.createTempDirectory("espline-bench");
        Path file = dir.resolve("async-engine.espl");
        Files.writeString(file, model(body), StandardCharsets.UTF_8);
        BufferPool hostPool = new BufferPool(8 * BATCH, 128, 1500, 64, 4);
        sink = new OrderCheckingSink();
        built = new ModelPipelines(new ModelSas())
                .withSource("egress", new PipelineBenchmark.LoopSource(hostPool, PipelineBenchmark.Templates.udp4(1400 - 28)))
                .withSink("egress", sink)
                .outputDirectory(dir)
                .build(file);
        if (!built.notes().isEmpty()) {
            throw new IllegalStateException("notes: " + built.notes());
        }
        tx = built.pipeline("egress");
        stats = built.stats("egress");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        built.close();
        if (sink.packets == 0 || stats.totalDrops() != 0 || sink.gaps != 0) {
            throw new IllegalStateException("the benchmark measured drops or disorder, not encryption: " + stats
                    + ", sequence gaps " + sink.gaps);
        }
    }

    /** Drives the pipeline until {@value #BATCH} more packets are encrypted and delivered. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long egress() {
        final long target = sink.packets + BATCH;
        while (sink.packets < target) {
            tx.runOnce();
        }
        return sink.packets;
    }

    /** Releases what arrives after checking that the ESP sequence numbers are consecutive. */
    static final class OrderCheckingSink implements SinkPort {
        long packets;
        long lastSequence;
        long gaps;

        @Override
        public int send(PacketBatch from) {
            final int n = from.size();
            for (int i = 0; i < n; i++) {
                final PacketBuffer p = from.get(i);
                final byte[] a = p.array();
                final int esp = p.data() + 20;
                final long seq = ((a[esp + 4] & 0xFFL) << 24) | ((a[esp + 5] & 0xFF) << 16) | ((a[esp + 6] & 0xFF) << 8)
                        | (a[esp + 7] & 0xFF);
                if (seq != lastSequence + 1) {
                    gaps++;
                }
                lastSequence = seq;
                p.release();
            }
            from.clear();
            packets += n;
            return n;
        }
    }
}
