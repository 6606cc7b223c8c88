package org.espline.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.espline.dsl.runtime.ModelException;
import org.espline.dsl.runtime.ModelPipelines;
import org.espline.dsl.runtime.ModelSas;
import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;
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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import bench_gateway.EgressPipeline;

/**
 * The generated and the interpreted tx pipeline of the same model ({@code src/main/espline/bench-gateway.espl}: gateway
 * A's egress of the site-to-site example, classify, gso, encrypt with AES-128-GCM in ESP-in-UDP, without the byte
 * lifetime) on the same traffic, in the same run: the price (or gain) of specialisation. The generated class comes from
 * espline-maven-plugin at build time; the interpreted one is built by {@link ModelPipelines} from the model file at setup.
 * A trial that dropped anything fails at teardown: the numbers are for packets that were encrypted.
 *
 * <p>One operation is one inner packet handed to the pipeline: a 64- or 1400-byte UDP datagram (the per-packet path;
 * GSO passes it through; at 64 bytes the per-packet work the generator specialises is the largest share) or a 64,000-byte
 * TCP write (GSO cuts it into 48 segments of 1360 bytes, each its own ESP
 * packet). Both variants pay the same copy of the template into a pool buffer per packet (the source port);
 * the sink releases what arrives. Compare {@code generated} against {@code interpreted} per traffic kind.
 *
 * <p>Run: {@code java -jar examples/benchmarks/target/benchmarks.jar PipelineBenchmark -prof gc}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class PipelineBenchmark {
    private static final int BATCH = 32;

    @Param({"generated", "interpreted"})
    public String pipeline;

    @Param({"udp64", "udp1400", "tcp64000"})
    public String traffic;

    private AbstractPipeline tx;
    private XfrmStats stats;
    private ModelPipelines.Built built;
    private ReleasingSink sink;

    @Setup(Level.Trial)
    public void setUp() throws IOException, ModelException {
        boolean tcp = traffic.startsWith("tcp");
        byte[] template = tcp ? Templates.tcp4(64_000) : Templates.udp4(Integer.parseInt(traffic.substring(3)) - 28);
        // Room for a whole super-packet: the pool of the source holds 64 KB buffers either way.
        BufferPool hostPool = new BufferPool(4 * BATCH, 128, 65_535, 64, 17);
        LoopSource source = new LoopSource(hostPool, template);
        sink = new ReleasingSink();
        if (pipeline.equals("generated")) {
            BufferPool wirePool = new BufferPool(8192, 128, 1500, 64, 17);
            stats = new XfrmStats();
            tx = new EgressPipeline(source, stats, wirePool, sink);
        } else {
            Path dir = Files.createTempDirectory("espline-bench");
            try (InputStream in = PipelineBenchmark.class.getResourceAsStream("/models/bench-gateway.espl")) {
                Files.copy(in, dir.resolve("bench-gateway.espl"));
            }
            built = new ModelPipelines(new ModelSas())
                    .withSource("egress", source)
                    .withSink("egress", sink)
                    .outputDirectory(dir)
                    .build(dir.resolve("bench-gateway.espl"));
            tx = built.pipeline("egress");
            stats = built.stats("egress");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (built != null) {
            built.close();
        }
        if (sink.packets == 0 || stats.totalDrops() != 0) {
            throw new IllegalStateException("the benchmark measured drops, not encryption: " + stats);
        }
    }

    /** One batch of {@value #BATCH} inner packets through classify, (gso,) encrypt. */
    @Benchmark
    @org.openjdk.jmh.annotations.OperationsPerInvocation(BATCH)
    public int egress() {
        return tx.runOnce();
    }

    /** Hands the pipeline copies of one template, as fast as it takes them; never ends. */
    static final class LoopSource implements SourcePort {
        private final BufferPool pool;
        private final byte[] template;

        LoopSource(BufferPool pool, byte[] template) {
            this.pool = pool;
            this.template = template;
        }

        @Override
        public int receive(PacketBatch into) {
            int n = 0;
            while (into.remaining() > 0) {
                PacketBuffer p = pool.acquire();
                if (p == null) {
                    break;
                }
                System.arraycopy(template, 0, p.array(), p.put(template.length), template.length);
                into.add(p);
                n++;
            }
            return n;
        }
    }

    /** Takes everything and releases it: the wire costs nothing here. */
    static final class ReleasingSink implements SinkPort {
        long packets;

        @Override
        public int send(PacketBatch from) {
            int n = from.size();
            for (int i = 0; i < n; i++) {
                from.get(i).release();
            }
            from.clear();
            packets += n;
            return n;
        }
    }

    /** Inner packets from 10.1.0.5 to 10.2.0.7, which gw-a's policy protects with a_to_b. */
    static final class Templates {
        private Templates() {
        }

        static byte[] udp4(int payload) {
            byte[] p = ip4(17, 8 + payload);
            int u = 20;
            put16(p, u, 40000);
            put16(p, u + 2, 5353);
            put16(p, u + 4, 8 + payload);
            fill(p, u + 8);
            InternetChecksum.updateTransportChecksum(p, 0, p.length);
            return p;
        }

        static byte[] tcp4(int payload) {
            byte[] p = ip4(6, 20 + payload);
            int t = 20;
            put16(p, t, 40001);
            put16(p, t + 2, 5001);
            put16(p, t + 4, 0x1000);
            p[t + 12] = 5 << 4;
            p[t + 13] = 0x18; // ACK, PSH
            put16(p, t + 14, 0xFFFF);
            fill(p, t + 20);
            InternetChecksum.updateTransportChecksum(p, 0, p.length);
            return p;
        }

        private static byte[] ip4(int protocol, int upper) {
            byte[] p = new byte[20 + upper];
            p[0] = 0x45;
            put16(p, 2, p.length);
            put16(p, 6, 0x4000);
            p[8] = 64;
            p[9] = (byte) protocol;
            p[12] = 10;
            p[13] = 1;
            p[15] = 5;
            p[16] = 10;
            p[17] = 2;
            p[19] = 7;
            put16(p, 10, InternetChecksum.checksum(p, 0, 20));
            return p;
        }

        private static void fill(byte[] p, int from) {
            for (int i = from; i < p.length; i++) {
                p[i] = (byte) (i * 31 + 7);
            }
        }

        private static void put16(byte[] a, int at, int v) {
            a[at] = (byte) (v >>> 8);
            a[at + 1] = (byte) v;
        }
    }
}
