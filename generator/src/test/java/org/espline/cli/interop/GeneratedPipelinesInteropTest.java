package org.espline.cli.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.espline.cli.interop.ExampleModel.PipelineInfo;
import org.espline.cli.interop.ExampleModel.PipelineRun;
import org.espline.cli.interop.InnerPackets.Workload;
import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.esp.EspOutput;
import org.espline.runtime.pipeline.ClassifyStage;
import org.espline.runtime.pipeline.GsoStage;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.pipeline.Pipeline;
import org.espline.runtime.pipeline.Stage;
import org.espline.runtime.port.MemorySourcePort;
import org.espline.runtime.port.SinkPort;
import org.espline.runtime.port.SourcePort;
import org.espline.runtime.sa.Policy;
import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.sa.PolicyDatabase;
import org.espline.runtime.sa.PolicyLookup;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.sa.Selector;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The proof of the generator issue: every example model's generated code compiles, its pipelines send and receive
 * byte for byte what the interpreted pipelines of the same model do (same counters, same taps), and scapy decrypts
 * the ESP the generated tx pipelines sent back into the inner packets they carried.
 *
 * <p>Per model: the model is copied with literal keys ({@link ExampleModel}); each tx pipeline gets a workload
 * built from the generated SPD ({@link InnerPackets}) through the generated class and the interpreted pipeline; the
 * inner packets each SA carried come from the same classify (and gso) stages without encryption; each SA's ESP
 * becomes an {@code esp_interop.py check} cell ({@link EspCells}). Each rx pipeline gets the peer's tx wire
 * (gw-a's for gw-b and the reverse, the model's own otherwise) plus ESP the runtime's {@link EspOutput} made with
 * the SAs no example sends with, and must deliver the inner packets that were sent (TCP compared as streams where
 * GRO coalesces). Set {@code -Despline.interop.dir=DIR} to keep the files.
 */
class GeneratedPipelinesInteropTest {
    private static final int SOURCE_POOL = 2048;
    /** Room for a super-packet in a source buffer: the tun device's 64 KiB reads. */
    private static final int SUPER_PACKET_MTU = 65535;

    @TempDir
    static Path tempDir;

    static Path models() {
        String root = System.getProperty("espline.repo.root");
        Path base = root == null || root.isBlank() ? Path.of("..") : Path.of(root);
        return base.resolve("examples").resolve("models");
    }

    /** Every example model with pipelines, and the model whose tx pipelines feed its rx pipelines. */
    static Stream<Arguments> exampleModels() {
        return Stream.of(Arguments.of("site-to-site-gw-a", "site-to-site-gw-b"),
                Arguments.of("site-to-site-gw-b", "site-to-site-gw-a"),
                Arguments.of("host-to-host", "host-to-host"),
                Arguments.of("road-warrior-v6", "road-warrior-v6"),
                Arguments.of("offload", "offload"));
    }

    /** An inner packet after classify (and gso), with the SA that protects it (null: it leaves in the clear). */
    /** Pipelines of the example models that decrypt or encrypt on an asynchronous offload device. */
    private static final Set<String> OFFLOADED = Set.of("tx_fast", "rx_fast");

    record Classified(SaConfig sa, byte[] packet) {
    }

    /** What a model's tx pipelines put on the wire, and the inner packets behind it, index for index. */
    record Transmission(List<byte[]> wire, List<Classified> inner) {
        Set<Integer> spis() {
            Set<Integer> s = new HashSet<>();
            inner.stream().filter(c -> c.sa() != null).forEach(c -> s.add(c.sa().spi()));
            return s;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleModels")
    void generatedPipelinesMatchTheInterpretedOnesAndScapyDecryptsTheirEsp(String model, String peer) throws Exception {
        Path work = ExternalTools.workDir(tempDir, "generated-" + model);
        EspCells cells = new EspCells(work.resolve("cells"));
        try (ExampleModel m = ExampleModel.prepare(models().resolve(model + ".espl"), work.resolve("model"))) {
            PolicyLookup spd = m.generatedSpd();
            assertEquals(m.interpretedSpd(work.resolve("spd")).all().toString(), spd.all().toString(),
                    "generated and interpreted SPD rules");
            Transmission own = new Transmission(new ArrayList<>(), new ArrayList<>());
            int txPipelines = 0;
            for (PipelineInfo p : m.pipelines) {
                if (p.tx()) {
                    Transmission t = transmit(m, p, spd, work.resolve("tx-" + p.name()), true);
                    writeCells(cells, model + "-" + p.name(), t);
                    own.wire().addAll(t.wire());
                    own.inner().addAll(t.inner());
                    txPipelines++;
                }
            }
            assertTrue(txPipelines > 0, model + " has no tx pipeline");
            assertFalse(cells.names().isEmpty(), model + ": the tx pipelines sent no ESP packet at all");

            Transmission incoming = own;
            if (!peer.equals(model)) {
                try (ExampleModel p = ExampleModel.interpretedOnly(models().resolve(peer + ".espl"), work.resolve("peer"))) {
                    incoming = new Transmission(new ArrayList<>(), new ArrayList<>());
                    for (PipelineInfo tx : p.pipelines) {
                        if (tx.tx()) {
                            Transmission t = transmit(p, tx, p.interpretedSpd(work.resolve("peer-spd")),
                                    work.resolve("peer-tx-" + tx.name()), false);
                            incoming.wire().addAll(t.wire());
                            incoming.inner().addAll(t.inner());
                        }
                    }
                }
            }
            for (PipelineInfo p : m.pipelines) {
                if (!p.tx()) {
                    receive(m, p, spd, own, incoming, work.resolve("rx-" + p.name()));
                }
            }
        }
        scapyDecrypts(cells);
    }

    // ------------------------------------------------------------ tx

    /**
     * Runs tx pipeline {@code p} on its workload through the interpreted pipeline and (when {@code generated}) the
     * generated class, asserts they agree, and returns the wire with the inner packets behind it.
     */
    private static Transmission transmit(ExampleModel m, PipelineInfo p, PolicyLookup spd, Path dir, boolean generated)
            throws Exception {
        Workload w = InnerPackets.forSpd(spd, p.gsoMss() != null);
        PipelineRun interpreted = m.runInterpreted(p.name(), source(p, w), dir.resolve("interpreted"));
        if (generated) {
            PipelineRun gen = m.runGenerated(p.name(), source(p, w), null);
            assertSameRun(p.name(), interpreted, gen);
        }
        List<Classified> inner = classify(p, spd, w);
        List<byte[]> wire = interpreted.out();
        assertEquals(inner.size(), wire.size(), () -> p.name() + ": every packet classify (and gso) passed must leave, "
                + interpreted.stats());
        for (int i = 0; i < wire.size(); i++) {
            Classified c = inner.get(i);
            if (c.sa() == null) {
                assertArrayEquals(c.packet(), wire.get(i), p.name() + ": bypassed packet " + i + " must leave unchanged");
            } else {
                assertEquals(c.sa().spi(), spi(wire.get(i)), p.name() + ": packet " + i + " must leave as ESP of " + c.sa().name());
            }
        }
        long bypassed = inner.stream().filter(c -> c.sa() == null).count();
        assertEquals(inner.size() - bypassed, interpreted.stats().get(XfrmCounter.EsplineOutDelivered), interpreted.stats().toString());
        assertTrue(interpreted.stats().get(XfrmCounter.XfrmOutNoPols) > 0, "the packet no rule matches is dropped");
        return new Transmission(wire, inner);
    }

    /** The source of a tx pipeline: the workload's packets from pool-sized buffers, then its super-packets. */
    private static SourcePort source(PipelineInfo p, Workload w) {
        return new SequencePort(List.of(new MemorySourcePort(ExampleModel.pool(p, SOURCE_POOL, null), w.packets()),
                new MemorySourcePort(ExampleModel.pool(p, 8, SUPER_PACKET_MTU), w.superPackets())));
    }

    /** The inner packets as they reach encryption: the same classify (and gso) stages, fresh SAs, no encryption. */
    private static List<Classified> classify(PipelineInfo p, PolicyLookup spd, Workload w) {
        PolicyDatabase copy = new PolicyDatabase(spd.defaultAction());
        for (Policy rule : spd.all()) {
            copy.add(new Policy(rule.selector(), rule.action(), rule.sa() == null ? null : new SecurityAssociation(rule.sa().config())));
        }
        XfrmStats stats = new XfrmStats();
        List<Stage> stages = new ArrayList<>(List.of(new ClassifyStage(copy, stats)));
        if (p.gsoMss() != null) {
            stages.add(new GsoStage(p.gsoMss(), ExampleModel.modelPool(p), stats));
        }
        ClassifiedSink sink = new ClassifiedSink();
        new Pipeline(source(p, w), stages.toArray(new Stage[0]), sink, p.batch()).run(Long.MAX_VALUE);
        if (p.gsoMss() != null) {
            assertEquals(w.superPackets().size(), ((GsoStage) stages.get(1)).segmented(), "every super-packet is segmented");
        }
        return sink.packets;
    }

    /** Each SA's ESP packets, with the inner packets they carry, as one scapy cell. */
    private static void writeCells(EspCells cells, String prefix, Transmission t) throws Exception {
        Map<Integer, List<Integer>> bySpi = new LinkedHashMap<>();
        for (int i = 0; i < t.inner().size(); i++) {
            if (t.inner().get(i).sa() != null) {
                bySpi.computeIfAbsent(t.inner().get(i).sa().spi(), k -> new ArrayList<>()).add(i);
            }
        }
        for (List<Integer> indexes : bySpi.values()) {
            SaConfig sa = t.inner().get(indexes.get(0)).sa();
            cells.add(prefix + "-" + sa.name(), sa, indexes.stream().map(i -> t.inner().get(i).packet()).toList(),
                    indexes.stream().map(i -> t.wire().get(i)).toList());
        }
    }

    private static void scapyDecrypts(EspCells cells) {
        Path python = ExternalTools.scapyPython();
        ExternalTools.Result r = ExternalTools.run(List.of(python.toString(), ExternalTools.interopScript().toString(), "check",
                cells.matrix().toString()), null, Map.of());
        for (String name : cells.names()) {
            assertTrue(r.stdout().lines().anyMatch(l -> l.startsWith("PASS " + name + " ")),
                    () -> name + ": scapy did not decrypt the generated pipeline's ESP\n" + r.describe());
        }
        assertEquals(0, r.exitCode(), r::describe);
    }

    // ------------------------------------------------------------ rx

    /**
     * Feeds rx pipeline {@code p} the incoming wire plus ESP of the SAs nobody sent with, through the interpreted
     * pipeline and the generated class; they must agree and deliver the inner packets that were sent.
     */
    private static void receive(ExampleModel m, PipelineInfo p, PolicyLookup spd, Transmission own, Transmission incoming,
                                Path dir) throws Exception {
        List<SaConfig> sas = m.generatedSas();
        Set<Integer> inSad = new HashSet<>();
        sas.forEach(c -> inSad.add(c.spi()));
        List<byte[]> wire = new ArrayList<>(incoming.wire());
        List<byte[]> expected = new ArrayList<>();
        incoming.inner().stream().filter(c -> c.sa() != null && inSad.contains(c.sa().spi())).forEach(c -> expected.add(c.packet()));
        assertFalse(expected.isEmpty(), p.name() + ": the incoming wire holds no ESP for this model's SAD");
        // The SAs no tx pipeline of the examples sends with: the runtime's EspOutput encrypts for them.
        Set<Integer> sent = new HashSet<>(own.spis());
        sent.addAll(incoming.spis());
        BufferPool pool = ExampleModel.pool(p, SOURCE_POOL, null);
        int flow = 10;
        for (SaConfig c : sas) {
            if (sent.contains(c.spi())) {
                continue;
            }
            SecurityAssociation sa = new SecurityAssociation(c);
            EspOutput esp = new EspOutput(new XfrmStats());
            for (Selector s : inboundSelectors(c, spd)) {
                for (byte[] inner : InnerPackets.protectedTraffic(s, flow++)) {
                    wire.add(encrypt(esp, sa, inner, pool));
                    expected.add(inner);
                }
            }
        }
        PipelineRun interpreted = m.runInterpreted(p.name(), new MemorySourcePort(ExampleModel.pool(p, SOURCE_POOL, null), wire),
                dir.resolve("interpreted"));
        SaDatabase sad = new SaDatabase();
        sas.forEach(c -> sad.put(new SecurityAssociation(c)));
        PipelineRun generated = m.runGenerated(p.name(), new MemorySourcePort(ExampleModel.pool(p, SOURCE_POOL, null), wire), sad);
        assertSameRun(p.name(), interpreted, generated);
        assertEquals(expected.size(), interpreted.stats().get(XfrmCounter.EsplineInDelivered), interpreted.stats().toString());
        assertEquals(0, interpreted.stats().totalDrops(), interpreted.stats().toString());
        if (p.gro() && OFFLOADED.contains(p.name())) {
            // The device keeps each SA's order, not the order between SAs (see assertSameRun): compared flow by flow.
            assertSameTraffic(p.name(), TinyPcap.byFlow(expected), TinyPcap.byFlow(generated.out()));
        } else if (p.gro()) {
            assertSameTraffic(p.name(), expected, generated.out());
        } else {
            assertNull(TinyPcap.firstDifference(expected, generated.out()), () -> p.name() + ": delivered packets differ from those sent: "
                    + TinyPcap.firstDifference(expected, generated.out()));
        }
    }

    /**
     * The inner selectors an inbound SA carries: its own hosts in transport mode; in tunnel mode the model's outbound
     * PROTECT rules turned around (the answers), or its tunnel endpoints when the model protects nothing.
     */
    private static List<Selector> inboundSelectors(SaConfig c, PolicyLookup spd) {
        List<Selector> out = new ArrayList<>();
        if (c.mode() == SaMode.TUNNEL) {
            for (Policy rule : spd.all()) {
                if (rule.action() == PolicyAction.PROTECT) {
                    Selector s = rule.selector();
                    out.add(new Selector(s.destinationAddress(), s.destinationPrefix(), s.sourceAddress(), s.sourcePrefix(), s.protocol(),
                            s.destinationPortLow(), s.destinationPortHigh(), s.sourcePortLow(), s.sourcePortHigh()));
                }
            }
        }
        if (out.isEmpty()) {
            int bits = c.isIpv6() ? 128 : 32;
            out.add(new Selector(c.source(), bits, c.destination(), bits, 0, 0, 0xFFFF, 0, 0xFFFF));
        }
        return out;
    }

    private static byte[] encrypt(EspOutput esp, SecurityAssociation sa, byte[] inner, BufferPool pool) {
        PacketBuffer b = pool.acquire();
        System.arraycopy(inner, 0, b.array(), b.put(inner.length), inner.length);
        assertEquals(XfrmCounter.EsplineOutDelivered, esp.encapsulate(b, sa), sa.config().name());
        byte[] out = b.toByteArray();
        b.release();
        return out;
    }

    // ------------------------------------------------------------ comparisons

    private static void assertSameRun(String pipeline, PipelineRun interpreted, PipelineRun generated) {
        if (OFFLOADED.contains(pipeline)) {
            // An asynchronous offload device keeps each SA's order, not the order between SAs, and its completions
            // arrive in batches of their own, so GRO may cut a TCP flow at other places: the same traffic, flow by flow,
            // and the same drops.
            assertSameTraffic(pipeline, TinyPcap.byFlow(interpreted.out()), TinyPcap.byFlow(generated.out()));
            assertEquals(interpreted.stats().totalDrops(), generated.stats().totalDrops(), pipeline + ": drops");
            assertEquals(interpreted.pipeline().received(), generated.pipeline().received(), pipeline + ": received");
            return;
        }
        assertNull(TinyPcap.firstDifference(interpreted.out(), generated.out()), () -> pipeline
                + ": the generated pipeline's output differs from the interpreted one's: "
                + TinyPcap.firstDifference(interpreted.out(), generated.out()));
        assertEquals(interpreted.stats().snapshot(), generated.stats().snapshot(), pipeline + ": counters");
        assertEquals(interpreted.taps().size(), generated.taps().size(), pipeline + ": taps");
        for (int i = 0; i < interpreted.taps().size(); i++) {
            int tap = i;
            assertNull(TinyPcap.firstDifference(interpreted.taps().get(i), generated.taps().get(i)),
                    () -> pipeline + ": tap " + tap + ": " + TinyPcap.firstDifference(interpreted.taps().get(tap), generated.taps().get(tap)));
        }
        assertEquals(interpreted.pipeline().received(), generated.pipeline().received(), pipeline + ": received");
        assertEquals(interpreted.pipeline().delivered(), generated.pipeline().delivered(), pipeline + ": delivered");
    }

    /**
     * What GRO may change is packet boundaries within a TCP flow: everything else arrives as sent, in order, and each
     * TCP flow's payload bytes arrive complete and in order.
     */
    private static void assertSameTraffic(String pipeline, List<byte[]> sent, List<byte[]> delivered) {
        List<byte[]> sentOther = new ArrayList<>();
        List<byte[]> deliveredOther = new ArrayList<>();
        Map<String, ByteArrayOutputStream> sentTcp = new LinkedHashMap<>();
        Map<String, ByteArrayOutputStream> deliveredTcp = new LinkedHashMap<>();
        split(sent, sentOther, sentTcp);
        split(delivered, deliveredOther, deliveredTcp);
        assertNull(TinyPcap.firstDifference(sentOther, deliveredOther), () -> pipeline + ": non-TCP packets: "
                + TinyPcap.firstDifference(sentOther, deliveredOther));
        assertEquals(sentTcp.keySet(), deliveredTcp.keySet(), pipeline + ": TCP flows");
        for (String flow : sentTcp.keySet()) {
            assertArrayEquals(sentTcp.get(flow).toByteArray(), deliveredTcp.get(flow).toByteArray(), pipeline + ": TCP stream " + flow);
        }
        assertTrue(delivered.size() <= sent.size());
    }

    private static void split(List<byte[]> packets, List<byte[]> other, Map<String, ByteArrayOutputStream> tcp) {
        for (byte[] p : packets) {
            InnerPackets.Flow f = InnerPackets.Flow.of(p);
            if (f.protocol() == InnerPackets.TCP) {
                tcp.computeIfAbsent(f.key(), k -> new ByteArrayOutputStream()).writeBytes(f.tcpPayload());
            } else {
                other.add(p);
            }
        }
    }

    /** The SPI of an ESP packet (IPv4 or IPv6 without extension headers, UDP-encapsulated or not). */
    static int spi(byte[] p) {
        boolean v6 = (p[0] >> 4) == 6;
        int off = v6 ? 40 : (p[0] & 0x0F) * 4;
        if ((p[v6 ? 6 : 9] & 0xFF) == InnerPackets.UDP) {
            off += 8;
        }
        return ((p[off] & 0xFF) << 24) | ((p[off + 1] & 0xFF) << 16) | ((p[off + 2] & 0xFF) << 8) | (p[off + 3] & 0xFF);
    }

    // ------------------------------------------------------------ ports

    /** Reads its ports one after another, each to its end. */
    static final class SequencePort implements SourcePort {
        private final List<SourcePort> parts;
        private int current;

        SequencePort(List<SourcePort> parts) {
            this.parts = parts;
        }

        @Override
        public int receive(PacketBatch into) {
            while (current < parts.size()) {
                int n = parts.get(current).receive(into);
                if (n >= 0) {
                    return n;
                }
                current++;
            }
            return -1;
        }
    }

    /** Keeps each packet's bytes with the SA classify gave it, and releases it. */
    static final class ClassifiedSink implements SinkPort {
        final List<Classified> packets = new ArrayList<>();

        @Override
        public int send(PacketBatch from) {
            int n = from.size();
            for (int i = 0; i < n; i++) {
                PacketBuffer p = from.get(i);
                packets.add(new Classified(p.securityAssociation() instanceof SecurityAssociation sa ? sa.config() : null,
                        p.toByteArray()));
                p.release();
            }
            from.clear();
            return n;
        }
    }

    // ------------------------------------------------------------ the generated main

    /** tx: pcap in, classify, encrypt, tap, link; rx: link, decrypt, pcap out. */
    private static final String PCAP_LINK_MODEL = """
                package demo.pcap_link

                sa out_sa {
                	spi 0x00007001
                	dir out
                	mode tunnel src 192.0.2.10 dst 192.0.2.20
                	aead aes128gcm16 key 0x0102030405060708090a0b0c0d0e0f1011121314
                	esn
                	replay-window 64
                }

                policy out_p {
                	dir out
                	src 10.10.0.0/16 dst 10.20.0.0/16
                	protect out_sa
                }

                buffers small {
                	headroom 128
                	tailroom 64
                	mtu 1500
                	fragments 4
                	pool 256
                }

                pipeline sender tx {
                	buffers small
                	from pcap "in.pcap"
                	classify
                	encrypt
                	tap pcap "wire.pcap"
                	to link wire
                }

                pipeline receiver rx {
                	buffers small
                	from link wire
                	decrypt
                	to pcap "out.pcap"
                }
                """;

    /**
     * A model of pcap and link ports only: the generated main runs it on its own, the tx pipeline's ESP crosses the
     * link to the rx pipeline, and the output pcap holds the input's packets.
     */
    @Test
    void theGeneratedMainRunsAModelOfPcapAndLinkPorts() throws Exception {
        Path work = ExternalTools.workDir(tempDir, "generated-main");
        Path model = work.resolve("pcap-link.espl");
        Files.writeString(model, PCAP_LINK_MODEL, StandardCharsets.UTF_8);
        Path run = Files.createDirectories(work.resolve("run"));
        List<byte[]> in = new ArrayList<>();
        Selector s = new Selector(InnerPackets.address("10.10.0.0"), 16, InnerPackets.address("10.20.0.0"), 16, 0, 0, 0xFFFF, 0, 0xFFFF);
        for (int i = 0; i < 5; i++) {
            in.addAll(InnerPackets.protectedTraffic(s, i));
        }
        TinyPcap.write(run.resolve("in.pcap"), TinyPcap.LINKTYPE_RAW, in);
        try (ExampleModel m = ExampleModel.prepare(model, work.resolve("model"))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = runMain(m, "PcapLinkMain", run, out, err);
            assertEquals(0, status, () -> "exit status\n--- out ---\n" + out + "--- err ---\n" + err);
            assertNull(TinyPcap.firstDifference(in, TinyPcap.read(run.resolve("out.pcap")).packets()),
                    () -> "out.pcap: " + TinyPcap.firstDifference(in, read(run.resolve("out.pcap"))) + "\n" + out + err);
            List<byte[]> esp = TinyPcap.read(run.resolve("wire.pcap")).packets();
            assertEquals(in.size(), esp.size(), "ESP packets on the tap");
            assertTrue(esp.stream().allMatch(p -> p[9] == 50 && spi(p) == 0x7001), "the tap saw ESP of out_sa");
            String printed = out.toString(StandardCharsets.UTF_8);
            assertTrue(printed.contains("SenderPipeline: received " + in.size() + ", delivered " + in.size()), printed);
            assertTrue(printed.contains("ReceiverPipeline: received " + in.size() + ", delivered " + in.size()), printed);
        }
    }

    /**
     * An input pcap cut short in its last record: the sender stops on the error, the receiver still sees the end of
     * the link (it would wait for it forever otherwise), and the main reports the error with a non-zero status.
     */
    @Test
    void theGeneratedMainReportsAPipelineThatStopsOnAnError() throws Exception {
        Path work = ExternalTools.workDir(tempDir, "generated-main-broken");
        Path model = work.resolve("pcap-link.espl");
        Files.writeString(model, PCAP_LINK_MODEL, StandardCharsets.UTF_8);
        Path run = Files.createDirectories(work.resolve("run"));
        Selector s = new Selector(InnerPackets.address("10.10.0.0"), 16, InnerPackets.address("10.20.0.0"), 16, 0, 0, 0xFFFF, 0, 0xFFFF);
        TinyPcap.write(run.resolve("in.pcap"), TinyPcap.LINKTYPE_RAW, InnerPackets.protectedTraffic(s, 0));
        byte[] whole = Files.readAllBytes(run.resolve("in.pcap"));
        Files.write(run.resolve("in.pcap"), java.util.Arrays.copyOf(whole, whole.length - 10));
        try (ExampleModel m = ExampleModel.prepare(model, work.resolve("model"))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = runMain(m, "PcapLinkMain", run, out, err);
            String message = err.toString(StandardCharsets.UTF_8);
            assertEquals(1, status, () -> "exit status\n--- out ---\n" + out + "--- err ---\n" + message);
            assertTrue(message.contains("SenderPipeline") && message.contains("in.pcap"), message);
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("ReceiverPipeline: received "), out::toString);
        }
    }

    /**
     * gw-a's main opens its UDP socket before its TUN device: on a host without gw-a's address (192.0.2.1) the bind
     * fails, the main says so and exits 2 without running anything or creating a device (the gateway itself runs in
     * GatewayNetnsTest, inside network namespaces).
     */
    @Test
    void theGeneratedMainOfAGatewayModelNamesThePortItCannotOpen() throws Exception {
        Path work = ExternalTools.workDir(tempDir, "generated-main-gw-a");
        try (ExampleModel m = ExampleModel.prepare(models().resolve("site-to-site-gw-a.espl"), work.resolve("model"))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(2, runMain(m, "GwAMain", work, out, err));
            String message = err.toString(StandardCharsets.UTF_8);
            assertTrue(message.startsWith("udp 192.0.2.1 port 4500: bind: "), message);
            assertEquals("", out.toString(StandardCharsets.UTF_8));
        }
    }

    private static int runMain(ExampleModel m, String main, Path dir, ByteArrayOutputStream out, ByteArrayOutputStream err)
            throws Exception {
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            return (int) m.load(main).getMethod("run", Path.class, PrintStream.class, PrintStream.class).invoke(null, dir, o, e);
        }
    }

    private static List<byte[]> read(Path pcap) {
        try {
            return TinyPcap.read(pcap).packets();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }
}
