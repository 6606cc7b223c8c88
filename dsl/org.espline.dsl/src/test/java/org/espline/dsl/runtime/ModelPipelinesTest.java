package org.espline.dsl.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.engine.CryptoEngine;
import org.espline.runtime.engine.EngineStage;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.pcap.PcapReader;
import org.espline.runtime.pcap.PcapRecord;
import org.espline.runtime.pipeline.ClassifyStage;
import org.espline.runtime.pipeline.DecryptStage;
import org.espline.runtime.pipeline.EncryptStage;
import org.espline.runtime.pipeline.GroStage;
import org.espline.runtime.pipeline.GsoStage;
import org.espline.runtime.gso.GsoSegmenter;
import org.espline.runtime.pipeline.Pipeline;
import org.espline.runtime.pipeline.TapStage;
import org.espline.runtime.port.CollectingPort;
import org.espline.runtime.port.MemoryLink;
import org.espline.runtime.port.MemorySourcePort;
import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.stats.XfrmCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model to interpreted pipelines: a two-gateway model end to end, the example models, and what is refused. */
class ModelPipelinesTest {
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMP = 1;
    private static final int[] SIZES = {0, 1, 15, 16, 17, 63, 100, 255, 512, 999, 1400};

    @TempDir
    Path dir;

    private static final String TWO_GATEWAYS = String.join("\n",
            "sa a_to_b {",
            "\tspi 0x00001001",
            "\tmode tunnel src 192.0.2.1 dst 198.51.100.1",
            "\tencap udp 4500 4500",
            "\taead aes128gcm16 key 0x000102030405060708090a0b0c0d0e0fcafebabe",
            "\treplay-window 1024",
            "}",
            "policy web_clear {",
            "\tdir out",
            "\tsrc 10.1.0.0/16 dst 10.9.0.0/16",
            "\tproto tcp",
            "\tdport 8000-8080",
            "\tbypass",
            "}",
            "policy site_b {",
            "\tdir out",
            "\tsrc 10.1.0.0/16 dst 10.2.0.0/16",
            "\tprotect a_to_b",
            "}",
            "policy ignored_inbound {",
            "\tdir in",
            "\tsrc any dst any",
            "\tdiscard",
            "}",
            "engine crypto {",
            "\tworkers 2",
            "}",
            "buffers wan {",
            "\theadroom 128",
            "\ttailroom 64",
            "\tmtu 1500",
            "\tfragments 4",
            "\tpool 256",
            "}",
            "pipeline a_tx tx {",
            "\tbuffers wan",
            "\tbatch 16",
            "\tfrom link lan_a",
            "\tclassify",
            "\tencrypt engine crypto",
            "\ttap pcap \"a-wan.pcap\"",
            "\tto link wan",
            "}",
            "pipeline b_rx rx {",
            "\tbuffers wan",
            "\tfrom link wan",
            "\tdecrypt",
            "\ttap pcap \"b-clear.pcap\"",
            "\tchecksum",
            "\tto link lan_b",
            "}", "");

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private static Path examples() {
        return Path.of(System.getProperty("espline.models.dir", "../../examples/models"));
    }

    @Test
    void twoGatewaysCarryEveryByteOverTheSharedLink() throws Exception {
        Path model = write("two.espl", TWO_GATEWAYS);
        Path out = Files.createDirectories(dir.resolve("out"));
        List<byte[]> traffic = traffic(10, "10.1.0.", "10.2.0.");
        ModelPipelines builder = new ModelPipelines(new ModelSas(n -> null)).outputDirectory(out);
        CollectingPort lanB = new CollectingPort();
        // Without substitutes every port is what the model names: three links.
        try (ModelPipelines.Built plain = builder.build(model)) {
            assertEquals(256, plain.pool("a_tx").capacity());
            assertEquals(Set.of("lan_a", "wan", "lan_b"), plain.links().keySet());
        }

        // Build again with the outer ports substituted (the pool is per build, so the source is made after it).
        DeferredSource lanA = new DeferredSource();
        builder.withSource("a_tx", lanA).withSink("b_rx", lanB);
        try (ModelPipelines.Built built = builder.build(model)) {
            BufferPool pool = built.pool("a_tx");
            assertSame(pool, built.pool("b_rx"));
            assertEquals(Set.of("wan"), built.pools().keySet());
            assertEquals(Set.of("wan"), built.links().keySet());
            lanA.port = new MemorySourcePort(pool, traffic);

            Pipeline tx = built.pipeline("a_tx");
            Pipeline rx = built.pipeline("b_rx");
            assertEquals(16, tx.batchSize());
            assertEquals(ModelPipelines.DEFAULT_BATCH, rx.batchSize());
            assertInstanceOf(ClassifyStage.class, built.stages("a_tx").get(0));
            // engine crypto { workers 2 }: asynchronous, queue and order by default.
            EngineStage encrypt = assertInstanceOf(EngineStage.class, built.stages("a_tx").get(1));
            assertEquals(2, encrypt.engine().workers());
            assertEquals(ModelPipelines.DEFAULT_ENGINE_QUEUE, encrypt.engine().capacity());
            assertEquals(CryptoEngine.Order.PER_SA, encrypt.engine().order());
            assertEquals(List.of(encrypt.engine()), built.engines());
            assertInstanceOf(TapStage.class, built.stages("a_tx").get(2));
            assertInstanceOf(DecryptStage.class, built.stages("b_rx").get(0));
            assertEquals(1, built.sad().size());
            // web_clear and site_b (dir in is not in the outbound SPD); default discard.
            assertEquals(2, built.spd().all().size());
            assertEquals(PolicyAction.DISCARD, built.spd().defaultAction());
            assertEquals(List.of(), built.skippedStages());
            assertEquals(List.of(), built.notes());

            drive(tx, rx);

            assertEquals(traffic.size(), tx.received());
            assertEquals(traffic.size(), tx.delivered());
            assertEquals(traffic.size(), rx.received());
            assertEquals(traffic.size(), rx.delivered());
            assertEquals(traffic.size(), lanB.packets().size());
            for (int i = 0; i < traffic.size(); i++) {
                assertArrayEquals(traffic.get(i), lanB.packets().get(i), "packet " + i);
            }
            assertTrue(lanB.isFinished());
            assertEquals(0, built.stats("a_tx").totalDrops(), built.stats("a_tx").toString());
            assertEquals(0, built.stats("b_rx").totalDrops(), built.stats("b_rx").toString());
            assertEquals(traffic.size(), built.stats("a_tx").get(XfrmCounter.EsplineOutDelivered));
            assertEquals(traffic.size(), built.stats("b_rx").get(XfrmCounter.EsplineInDelivered));
            assertEquals(traffic.size(), ((TapStage) built.stages("a_tx").get(2)).records());
            assertEquals(0, pool.outstanding(), "pool balances");
        }
        // Closed: both tap files are complete. The wire tap holds ESP-in-UDP to port 4500, the rx tap the clear packets.
        List<byte[]> wire = read(out.resolve("a-wan.pcap"));
        assertEquals(traffic.size(), wire.size());
        for (byte[] p : wire) {
            assertEquals(UDP, p[9]);
            assertEquals(4500, ((p[22] & 0xFF) << 8) | (p[23] & 0xFF));
            assertEquals(0x1001, ((p[28] & 0xFF) << 24 | (p[29] & 0xFF) << 16 | (p[30] & 0xFF) << 8 | (p[31] & 0xFF)));
        }
        List<byte[]> clear = read(out.resolve("b-clear.pcap"));
        assertEquals(traffic.size(), clear.size());
        for (int i = 0; i < traffic.size(); i++) {
            assertArrayEquals(traffic.get(i), clear.get(i), "tap record " + i);
        }
    }

    @Test
    void theSpdFollowsThePolicies() throws Exception {
        Path model = write("two.espl", TWO_GATEWAYS);
        CollectingPort sink = new CollectingPort();
        DeferredSource src = new DeferredSource();
        List<byte[]> traffic = List.of(
                packet(TCP, 10, "10.1.0.5", "10.9.0.1", 40000, 8080, 1), // bypass (port range)
                packet(TCP, 10, "10.1.0.5", "10.9.0.1", 40000, 8081, 2), // no policy: default discard
                packet(UDP, 10, "10.1.0.5", "10.2.0.1", 40000, 53, 3)); // protect
        try (ModelPipelines.Built built = new ModelPipelines(new ModelSas(n -> null)).outputDirectory(dir)
                .withSource("a_tx", src).withSink("a_tx", sink)
                .build(model)) {
            src.port = new MemorySourcePort(built.pool("a_tx"), traffic);
            built.pipeline("a_tx").run(Long.MAX_VALUE);
            assertEquals(2, sink.packets().size());
            assertArrayEquals(traffic.get(0), sink.packets().get(0));
            assertEquals(1, built.stats("a_tx").get(XfrmCounter.EsplineBypass));
            assertEquals(1, built.stats("a_tx").get(XfrmCounter.XfrmOutNoPols));
            assertEquals(1, built.stats("a_tx").get(XfrmCounter.EsplineOutDelivered));
            built.links().get("wan").releaseQueued();
            assertEquals(0, built.pool("a_tx").outstanding());
        }
    }

    @Test
    void siteToSiteExamplesBuildWithGsoGroAndSubstitutedPorts() throws Exception {
        MemoryLink nat = new MemoryLink(1024);
        CollectingPort lanB = new CollectingPort();
        DeferredSource lanA = new DeferredSource();
        Path out = Files.createDirectories(dir.resolve("out"));
        ModelSas sas = new ModelSas(n -> null);
        try (ModelPipelines.Built a = new ModelPipelines(sas).outputDirectory(out).skipUnsupportedStages(true)
                .withSource("egress", lanA)
                .withSink("egress", nat)
                .withSource("ingress", new DeferredSource())
                .withSink("ingress", new CollectingPort())
                .build(examples().resolve("site-to-site-gw-a.espl"));
             ModelPipelines.Built b = new ModelPipelines(sas).outputDirectory(out).skipUnsupportedStages(true)
                .withSource("egress", new DeferredSource())
                .withSink("egress", new CollectingPort())
                .withSource("ingress", nat)
                .withSink("ingress", lanB)
                .build(examples().resolve("site-to-site-gw-b.espl"))) {
            assertEquals(List.of(), a.skippedStages());
            assertEquals(List.of(), b.skippedStages());
            // The bundled gateways run crypto inline (two gateways share the demo's two cores), with fragment slots
            // enough for GRO's 64 segments.
            assertInstanceOf(EncryptStage.class, a.stages("egress").get(2));
            assertInstanceOf(DecryptStage.class, a.stages("ingress").get(0));
            assertEquals(List.of(), a.notes().stream().map(ModelProblem::message).toList());
            GsoStage gso = assertInstanceOf(GsoStage.class, a.stages("egress").get(1));
            assertEquals(1360, gso.mss());
            assertEquals(32 * GsoSegmenter.maxSegments(1360), a.pipeline("egress").workCapacity());
            GroStage gro = assertInstanceOf(GroStage.class, b.stages("ingress").get(1));
            assertEquals(65535, gro.maxSize());
            assertEquals(64, gro.maxSegments());
            assertEquals(50, gro.flushMicros());
            assertTrue(a.sad().all().stream().allMatch(sa -> sa.config().gro()), "gro on in the model");
            assertTrue(a.notes().stream().allMatch(n -> n.severity() == ModelProblem.Severity.WARNING
                    && n.file().endsWith("site-to-site-gw-a.espl") && n.line() > 1));
            assertEquals(2, a.sad().size());
            // ike (src any dst any: IPv4 and IPv6), site_b, rest.
            assertEquals(4, a.spd().all().size());
            assertEquals(List.of(PolicyAction.BYPASS, PolicyAction.BYPASS, PolicyAction.PROTECT, PolicyAction.DISCARD),
                    a.spd().all().stream().map(org.espline.runtime.sa.Policy::action).toList());
            assertTrue(a.spd().all().get(1).selector().isIpv6());
            assertEquals("a_to_b", a.spd().all().get(2).sa().config().name());
            assertEquals(8192, a.pool("egress").capacity());
            assertEquals(32, a.pipeline("egress").batchSize());

            List<byte[]> traffic = traffic(3, "10.1.0.", "10.2.0.");
            lanA.port = new MemorySourcePort(a.pool("egress"), traffic);
            drive(a.pipeline("egress"), b.pipeline("ingress"));
            // The 1400-byte TCP payloads left gw-a as two segments (mss 1360). The example's engines are asynchronous,
            // so the two segments may come off gw-b's engine in different batches, and GRO flushes at every batch end:
            // each pair arrives coalesced (byte for byte the original) or as its two segments, never otherwise.
            assertEquals(3, gso.segmented());
            assertTrue(gro.coalesced() <= 3, "coalesced " + gro.coalesced());
            assertEquals(traffic.size() + 3 - gro.coalesced(), lanB.packets().size());
            assertEquals(nonTcp(traffic), nonTcp(lanB.packets()), "UDP and ICMP arrive unchanged, in order");
            assertEquals(tcpStreams(traffic), tcpStreams(lanB.packets()), "every TCP flow's bytes arrive in order");
            long whole = lanB.packets().stream().filter(p -> traffic.stream().anyMatch(t -> java.util.Arrays.equals(t, p))).count();
            assertEquals(traffic.size() - 3 + gro.coalesced(), whole, "coalesced pairs are the original packets");
            assertEquals(0, a.stats("egress").totalDrops());
            assertEquals(0, b.stats("ingress").totalDrops());
            assertEquals(0, a.pool("egress").outstanding());
            assertEquals(0, b.pool("ingress").outstanding());
        }
        // The tap comes after GRO: it records what gw-b delivered.
        assertEquals(lanB.packets().size(), read(out.resolve("gw-b-ingress.pcap")).size());
    }

    @Test
    void unsupportedStagesAndPortsAreRefusedWithTheirPositions() throws Exception {
        ModelException e = assertThrows(ModelException.class, () -> new ModelPipelines(new ModelSas(n -> null))
                .outputDirectory(dir).build(examples().resolve("site-to-site-gw-a.espl")));
        Set<String> messages = new TreeSet<>();
        for (ModelProblem p : e.problems()) {
            messages.add(p.message());
            assertTrue(p.file().endsWith("site-to-site-gw-a.espl"), p.toString());
            assertTrue(p.line() > 1, p.toString());
        }
        assertEquals(new TreeSet<>(List.of(
                "port tun opens a device of this host: run the model with espline run, or substitute the port",
                "port udp opens a device of this host: run the model with espline run, or substitute the port")), messages);
        assertEquals(4, e.problems().size(), e.getMessage());
        // Skipping stages still leaves the ports.
        ModelException ports = assertThrows(ModelException.class, () -> new ModelPipelines(new ModelSas(n -> null))
                .outputDirectory(dir).skipUnsupportedStages(true).build(examples().resolve("site-to-site-gw-b.espl")));
        assertEquals(4, ports.problems().size(), ports.getMessage());
        assertTrue(ports.problems().stream().allMatch(p -> p.message().endsWith("run the model with espline run, or substitute the port")));
        // A model with errors is refused with them.
        Path bad = write("bad.espl", "pipeline p tx { buffers nowhere from link a to link b }\n");
        ModelException errors = assertThrows(ModelException.class,
                () -> new ModelPipelines(new ModelSas(n -> null)).build(bad));
        assertTrue(errors.getMessage().contains("bad.espl:1:"), errors.getMessage());
    }

    @Test
    void defaultsApplyWhenTheModelLeavesThemOut() throws Exception {
        Path model = write("min.espl", "pipeline p rx {\n\tfrom link x\n\tdecrypt\n\tto pcap \"out.pcap\"\n}\n");
        try (ModelPipelines.Built built = new ModelPipelines(new ModelSas(n -> null)).outputDirectory(dir).build(model)) {
            assertEquals(ModelPipelines.DEFAULT_BATCH, built.pipeline("p").batchSize());
            BufferPool pool = built.pool("p");
            assertEquals(ModelPipelines.DEFAULT_POOL_SIZE, pool.capacity());
            assertEquals(ModelPipelines.DEFAULT_HEADROOM, pool.headroom());
            assertEquals(ModelPipelines.DEFAULT_HEADROOM + ModelPipelines.DEFAULT_MTU + ModelPipelines.DEFAULT_TAILROOM,
                    pool.bufferSize());
            built.links().get("x").finish();
            assertEquals(-1, built.pipeline("p").runOnce());
        }
        assertEquals(0, read(dir.resolve("out.pcap")).size());
    }

    @Test
    void aPcapFileRunsThroughToAPcapFile() throws Exception {
        Path model = write("files.espl", String.join("\n",
                "sa a_to_b {",
                "\tspi 0x00001001",
                "\tmode tunnel src 192.0.2.1 dst 198.51.100.1",
                "\taead aes128gcm16 key 0x000102030405060708090a0b0c0d0e0fcafebabe",
                "}",
                "policy site_b {",
                "\tsrc 10.1.0.0/16 dst 10.2.0.0/16",
                "\tprotect a_to_b",
                "}",
                "pipeline seal tx {",
                "\tfrom pcap \"clear.pcap\"",
                "\tclassify",
                "\tencrypt",
                "\tto link wire",
                "}",
                "pipeline open rx {",
                "\tfrom link wire",
                "\tdecrypt",
                "\tto pcap \"back.pcap\"",
                "}", ""));
        List<byte[]> traffic = traffic(2, "10.1.0.", "10.2.0.");
        try (org.espline.runtime.pcap.PcapWriter w = new org.espline.runtime.pcap.PcapWriter(dir.resolve("clear.pcap"))) {
            for (byte[] p : traffic) {
                w.write(p, 0, p.length, 0, 0);
            }
        }
        try (ModelPipelines.Built built = new ModelPipelines(new ModelSas(n -> null)).outputDirectory(dir).build(model)) {
            drive(built.pipeline("seal"), built.pipeline("open"));
            assertEquals(0, built.stats("seal").totalDrops());
            assertEquals(0, built.stats("open").totalDrops());
            assertEquals(0, built.pool("seal").outstanding());
        }
        List<byte[]> back = read(dir.resolve("back.pcap"));
        assertEquals(traffic.size(), back.size());
        for (int i = 0; i < traffic.size(); i++) {
            assertArrayEquals(traffic.get(i), back.get(i), "packet " + i);
        }
    }

    @Test
    void txAndRxRunOnTwoThreadsOverTheirLink() throws Exception {
        Path model = write("two.espl", TWO_GATEWAYS);
        List<byte[]> traffic = traffic(40, "10.1.0.", "10.2.0.");
        DeferredSource lanA = new DeferredSource();
        CollectingPort lanB = new CollectingPort();
        try (ModelPipelines.Built built = new ModelPipelines(new ModelSas(n -> null)).outputDirectory(dir).linkCapacity(64)
                .withSource("a_tx", lanA).withSink("b_rx", lanB)
                .build(model)) {
            lanA.port = new MemorySourcePort(built.pool("a_tx"), traffic);
            assertEquals(64, built.links().get("wan").capacity());
            Thread rx = new Thread(() -> built.pipeline("b_rx").run(Long.MAX_VALUE), "rx");
            rx.start();
            built.pipeline("a_tx").run(Long.MAX_VALUE);
            rx.join(60_000);
            assertTrue(built.pipeline("b_rx").isFinished());
            assertEquals(traffic.size(), lanB.packets().size());
            for (int i = 0; i < traffic.size(); i++) {
                assertArrayEquals(traffic.get(i), lanB.packets().get(i), "packet " + i);
            }
            assertEquals(0, built.stats("a_tx").totalDrops() + built.stats("b_rx").totalDrops());
            assertEquals(0, built.pool("a_tx").outstanding());
        }
    }

    @Test
    void misusedLinksAndUnknownPipelinesAreRefused() throws Exception {
        Path model = write("two-senders.espl", String.join("\n",
                "pipeline one tx {", "\tfrom link a", "\tto link wire", "}",
                "pipeline two tx {", "\tfrom link b", "\tto link wire", "}", ""));
        ModelException e = assertThrows(ModelException.class,
                () -> new ModelPipelines(new ModelSas(n -> null)).outputDirectory(dir).build(model));
        assertEquals(1, e.problems().size(), e.getMessage());
        assertEquals("two-senders.espl:7:10: error: link wire already has a sender, pipeline one: a link is one wire"
                + " with one sender and one receiver", e.problems().get(0).toString().substring(
                        e.problems().get(0).file().length() - "two-senders.espl".length()));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> new ModelPipelines(new ModelSas(n -> null)).outputDirectory(dir)
                        .withSink("three", new CollectingPort()).build(model));
        assertEquals("withSource/withSink: the model has no pipeline three (pipelines: [one, two])", unknown.getMessage());
    }

    // ---------------------------------------------------------------- helpers

    /** A source whose real port is set after the build (it needs the build's pool). */
    private static final class DeferredSource implements org.espline.runtime.port.SourcePort {
        org.espline.runtime.port.SourcePort port;

        @Override
        public int receive(org.espline.runtime.pipeline.PacketBatch into) {
            return port == null ? -1 : port.receive(into);
        }
    }

    /**
     * Runs both pipelines on this thread until both are finished. Crypto engines work on their own threads, so
     * the guard against a hang is a generous deadline, not a count of calls.
     */
    private static void drive(Pipeline tx, Pipeline rx) {
        final long deadline = System.nanoTime() + 120_000_000_000L;
        while (!(tx.isFinished() && rx.isFinished())) {
            tx.runOnce();
            rx.runOnce();
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("pipelines do not finish");
            }
        }
    }

    /** Runs one pipeline on this thread until it is finished (same guard as {@link #drive}). */
    private static void drive(Pipeline p) {
        final long deadline = System.nanoTime() + 120_000_000_000L;
        while (p.runOnce() >= 0) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("pipeline does not finish");
            }
        }
    }

    /** Wire output and delivered traffic of the two-gateway model with {@code engineBody} as the engine's body. */
    private List<List<byte[]>> runTwoGateways(String engineBody, String outDir, List<byte[]> traffic) throws Exception {
        Path model = write(outDir + ".espl", TWO_GATEWAYS.replace("\tworkers 2", engineBody)
                .replace("\tdecrypt\n", "\tdecrypt engine crypto\n"));
        Path out = Files.createDirectories(dir.resolve(outDir));
        DeferredSource lanA = new DeferredSource();
        DeferredSource wanIn = new DeferredSource();
        CollectingPort wan = new CollectingPort();
        CollectingPort lanB = new CollectingPort();
        try (ModelPipelines.Built built = new ModelPipelines(new ModelSas(n -> null)).outputDirectory(out)
                .withSource("a_tx", lanA).withSink("a_tx", wan)
                .withSource("b_rx", wanIn).withSink("b_rx", lanB)
                .build(model)) {
            assertEquals(List.of(), built.notes());
            lanA.port = new MemorySourcePort(built.pool("a_tx"), traffic);
            drive(built.pipeline("a_tx"));
            wanIn.port = new MemorySourcePort(built.pool("b_rx"), wan.packets());
            drive(built.pipeline("b_rx"));
            assertEquals(0, built.stats("a_tx").totalDrops(), built.stats("a_tx").toString());
            assertEquals(0, built.stats("b_rx").totalDrops(), built.stats("b_rx").toString());
            assertEquals(0, built.pool("a_tx").outstanding(), "pool balances");
        }
        return List.of(wan.packets(), lanB.packets());
    }

    @Test
    void anAsynchronousEngineMakesTheSameWireAsAnInlineOne() throws Exception {
        List<byte[]> traffic = traffic(40, "10.1.0.", "10.2.0.");
        List<List<byte[]>> inline = runTwoGateways("\tinline", "inline", traffic);
        List<List<byte[]>> async = runTwoGateways("\tworkers 2\n\tqueue 64\n\torder per-sa", "async", traffic);
        assertEquals(traffic.size(), inline.get(0).size());
        assertEquals(traffic.size(), async.get(0).size());
        for (int i = 0; i < traffic.size(); i++) {
            // AES-GCM's output is a function of key, sequence number and packet: same order, same bytes.
            assertArrayEquals(inline.get(0).get(i), async.get(0).get(i), "wire packet " + i);
            assertArrayEquals(traffic.get(i), async.get(1).get(i), "delivered packet " + i);
            assertArrayEquals(traffic.get(i), inline.get(1).get(i), "delivered packet " + i);
        }
    }

    /**
     * {@code encrypt offload X} / {@code decrypt offload X} on every backend type, and SA-level {@code offload X} under
     * plain stages: the same wire and the same delivered packets as inline crypto, the SA on the device, the packets
     * marked by it, nothing through the fallback.
     */
    @Test
    void offloadTargetsMakeTheSameWireAsInlineCrypto() throws Exception {
        List<byte[]> traffic = traffic(10, "10.1.0.", "10.2.0.");
        List<List<byte[]>> inline = runTwoGateways("\tinline", "inline-ref", traffic);
        for (String type : List.of("software", "bouncycastle", "lookaside", "nic")) {
            for (boolean saLevel : new boolean[] {false, true}) {
                String text = TWO_GATEWAYS.replace("engine crypto {\n\tworkers 2\n}", "offload dev {\n\ttype " + type + "\n}");
                text = saLevel
                        ? text.replace("\tencrypt engine crypto", "\tencrypt").replace("\treplay-window 1024", "\treplay-window 1024\n\toffload dev")
                        : text.replace("\tencrypt engine crypto", "\tencrypt offload dev").replace("\tdecrypt\n", "\tdecrypt offload dev\n");
                String name = type + (saLevel ? "-sa" : "-stage");
                Path model = write(name + ".espl", text);
                DeferredSource lanA = new DeferredSource();
                DeferredSource wanIn = new DeferredSource();
                CollectingPort wan = new CollectingPort();
                CollectingPort lanB = new CollectingPort();
                List<org.espline.runtime.offload.OffloadDevice> devices;
                try (ModelPipelines.Built built = new ModelPipelines(new ModelSas(n -> null))
                        .outputDirectory(Files.createDirectories(dir.resolve(name)))
                        .withSource("a_tx", lanA).withSink("a_tx", wan)
                        .withSource("b_rx", wanIn).withSink("b_rx", lanB)
                        .build(model)) {
                    assertEquals(List.of(), built.notes(), name);
                    assertInstanceOf(org.espline.runtime.offload.OffloadEncryptStage.class, built.stages("a_tx").get(1), name);
                    assertInstanceOf(org.espline.runtime.offload.OffloadDecryptStage.class, built.stages("b_rx").get(0), name);
                    devices = built.offloadDevices();
                    assertEquals(1, devices.size(), name);
                    assertTrue(devices.get(0).holds(built.sad().all().get(0)), name + ": the SA is on the device");
                    lanA.port = new MemorySourcePort(built.pool("a_tx"), traffic);
                    drive(built.pipeline("a_tx"));
                    wanIn.port = new MemorySourcePort(built.pool("b_rx"), wan.packets());
                    drive(built.pipeline("b_rx"));
                    for (String p : List.of("a_tx", "b_rx")) {
                        assertEquals(0, built.stats(p).totalDrops(), name + " " + built.stats(p));
                        assertEquals(0, built.stats(p).get(XfrmCounter.EsplineOffloadFallback), name + " " + built.stats(p));
                    }
                    // Sent and received through the one device: twice the traffic in its counters.
                    assertEquals(2L * traffic.size(), devices.get(0).counters(built.sad().all().get(0)).packets(), name);
                }
                assertTrue(devices.get(0).isClosed(), name + ": closed with the build");
                assertEquals(traffic.size(), wan.packets().size(), name);
                for (int i = 0; i < traffic.size(); i++) {
                    assertArrayEquals(inline.get(0).get(i), wan.packets().get(i), name + " wire packet " + i);
                    assertArrayEquals(traffic.get(i), lanB.packets().get(i), name + " delivered packet " + i);
                }
            }
        }
    }

    /**
     * TSO wiring: {@code gso mss N} before {@code encrypt offload X} on a {@code nic} target with {@code tso} hands the
     * super-packets through and the NIC segments them; without {@code tso} the gso stage segments. Both give the same
     * wire bytes.
     */
    @Test
    void gsoBeforeATsoNicHandsSuperPacketsThroughWithTheSameWire() throws Exception {
        List<byte[]> traffic = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            traffic.add(packet(TCP, 3000 + 4111 * i, "10.1.0.10", "10.2.0.20", 40000, 443, 100 + i));
        }
        List<List<byte[]>> wires = new ArrayList<>();
        for (boolean tso : new boolean[] {false, true}) {
            String name = tso ? "nic-tso" : "nic-gso";
            Path model = write(name + ".espl", TWO_GATEWAYS
                    .replace("engine crypto {\n\tworkers 2\n}", "offload dev {\n\ttype nic\n" + (tso ? "\ttso\n" : "") + "}")
                    .replace("\tencrypt engine crypto", "\tgso mss 1360\n\tencrypt offload dev"));
            DeferredSource lanA = new DeferredSource();
            CollectingPort wan = new CollectingPort();
            try (ModelPipelines.Built built = new ModelPipelines(new ModelSas(n -> null))
                    .outputDirectory(Files.createDirectories(dir.resolve(name)))
                    .withSource("a_tx", lanA).withSink("a_tx", wan)
                    .withSource("b_rx", new DeferredSource()).withSink("b_rx", new CollectingPort())
                    .build(model)) {
                assertEquals(List.of(), built.notes(), name);
                GsoStage gso = assertInstanceOf(GsoStage.class, built.stages("a_tx").get(1), name);
                assertEquals(tso, gso.isHandingThrough(), name);
                org.espline.runtime.offload.OffloadEncryptStage encrypt = assertInstanceOf(
                        org.espline.runtime.offload.OffloadEncryptStage.class, built.stages("a_tx").get(2), name);
                lanA.port = new MemorySourcePort(new BufferPool(16, 128, 65_535, 64, 4), traffic);
                drive(built.pipeline("a_tx"));
                assertEquals(tso ? traffic.size() : 0, encrypt.superPacketsToDevice(), name);
                assertEquals(tso ? traffic.size() : 0, gso.handedThrough(), name);
                assertEquals(0, built.stats("a_tx").totalDrops(), name + " " + built.stats("a_tx"));
                assertEquals(0, built.stats("a_tx").get(XfrmCounter.EsplineOffloadFallback), name);
                assertEquals(0, built.pool("a_tx").outstanding(), name + ": buffers leaked");
            }
            wires.add(wan.packets());
        }
        assertTrue(wires.get(0).size() > traffic.size(), "super-packets were segmented");
        assertEquals(wires.get(0).size(), wires.get(1).size());
        for (int i = 0; i < wires.get(0).size(); i++) {
            assertArrayEquals(wires.get(0).get(i), wires.get(1).get(i), "wire packet " + i);
        }
    }

    private static List<byte[]> read(Path file) throws IOException {
        List<byte[]> out = new ArrayList<>();
        try (PcapReader r = new PcapReader(file)) {
            PcapRecord rec = new PcapRecord();
            while (r.next(rec)) {
                out.add(rec.copyIpPacket());
            }
        }
        return out;
    }

    /** The non-TCP packets, as hex, in order. */
    private static List<String> nonTcp(List<byte[]> packets) {
        return packets.stream().filter(p -> p[9] != TCP).map(java.util.HexFormat.of()::formatHex).toList();
    }

    /** Each TCP flow's (by source port) payload bytes in arrival order, as hex, keyed by port. */
    private static java.util.Map<Integer, String> tcpStreams(List<byte[]> packets) {
        java.util.Map<Integer, StringBuilder> m = new java.util.TreeMap<>();
        for (byte[] p : packets) {
            if (p[9] == TCP) {
                int ihl = (p[0] & 0x0F) * 4;
                int sport = ((p[ihl] & 0xFF) << 8) | (p[ihl + 1] & 0xFF);
                int doff = ((p[ihl + 12] & 0xFF) >>> 4) * 4;
                m.computeIfAbsent(sport, k -> new StringBuilder())
                        .append(java.util.HexFormat.of().formatHex(p, ihl + doff, p.length));
            }
        }
        java.util.Map<Integer, String> out = new java.util.TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.toString()));
        return out;
    }

    private static List<byte[]> traffic(int rounds, String from, String to) {
        List<byte[]> l = new ArrayList<>();
        long seed = 1;
        for (int r = 0; r < rounds; r++) {
            for (int proto : new int[] {TCP, UDP, ICMP}) {
                for (int size : SIZES) {
                    l.add(packet(proto, size, from + (10 + r), to + 20, 40000 + r, proto == TCP ? 443 : 53, seed++));
                }
            }
        }
        return l;
    }

    /** An IPv4 packet with {@code payload} random bytes behind a TCP, UDP or ICMP header, lengths and checksums right. */
    private static byte[] packet(int proto, int payload, String src, String dst, int sport, int dport, long seed) {
        final int th = proto == TCP ? 20 : 8;
        final byte[] p = new byte[20 + th + payload];
        new Random(seed).nextBytes(p);
        try {
            System.arraycopy(InetAddress.getByName(src).getAddress(), 0, p, 12, 4);
            System.arraycopy(InetAddress.getByName(dst).getAddress(), 0, p, 16, 4);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        p[0] = 0x45;
        p[1] = 0;
        put16(p, 2, p.length);
        put16(p, 6, 0x4000);
        p[8] = 64;
        p[9] = (byte) proto;
        put16(p, 10, 0);
        put16(p, 10, InternetChecksum.checksum(p, 0, 20));
        if (proto == TCP) {
            put16(p, 20, sport);
            put16(p, 22, dport);
            p[32] = 0x50;
            p[33] = 0x18;
            put16(p, 38, 0);
        } else if (proto == UDP) {
            put16(p, 20, sport);
            put16(p, 22, dport);
            put16(p, 24, th + payload);
        } else {
            p[20] = 8;
            p[21] = 0;
        }
        if (InternetChecksum.updateTransportChecksum(p, 0, p.length) != InternetChecksum.Status.VALID) {
            throw new AssertionError("test packet not checksummable");
        }
        return p;
    }

    private static void put16(byte[] a, int off, int v) {
        a[off] = (byte) (v >>> 8);
        a[off + 1] = (byte) v;
    }
}
