package org.espline.cli.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.espline.dsl.espline.Buffers;
import org.espline.dsl.espline.EsplinePackage;
import org.espline.dsl.espline.GsoStage;
import org.espline.dsl.espline.Model;
import org.espline.dsl.espline.Pipeline;
import org.espline.dsl.espline.PipelineKind;
import org.espline.dsl.espline.TapStage;
import org.espline.dsl.runtime.ModelException;
import org.espline.dsl.runtime.ModelPipelines;
import org.espline.dsl.runtime.ModelProblem;
import org.espline.dsl.runtime.ModelSas;
import org.espline.generator.CompiledModel;
import org.espline.generator.EsplineGenerator;
import org.espline.generator.GeneratedPipelines;
import org.espline.generator.ModelGenerator;
import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.BufferStats;
import org.espline.runtime.pcap.PcapWriter;
import org.espline.runtime.pipeline.AbstractPipeline;
import org.espline.runtime.pipeline.IdleBackoff;
import org.espline.runtime.pipeline.PacketSink;
import org.espline.runtime.port.MemoryLink;
import org.espline.runtime.port.PcapPacketWriter;
import org.espline.runtime.port.SinkPort;
import org.espline.runtime.port.SourcePort;
import org.espline.runtime.sa.Policy;
import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.sa.PolicyLookup;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.sa.Selector;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * The main job, step by step: generate both models' Java, compile it in this JVM, wire the sender's tx pipeline
 * to the receiver's rx pipeline through a {@link MemoryLink} with an attacker ({@link WireFaults}) on it, feed a
 * {@link Workload}, check everything that comes out ({@link DeliveryCheck}) and print what happened. The two
 * pipelines run on threads of their own, as they would on two gateways; the calling thread draws the progress line.
 */
public final class GatewayDemo {
    /** What the user can choose. */
    public static final class Options {
        public long megabytes = 1024;
        public int tcpFlows = 4;
    }

    /** How the run ended. */
    public record Result(boolean ok, long deliveredPayloadBytes, double gbitPerSecond) {
    }

    /** The models have errors: nothing was generated. */
    public static final class ModelErrors extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient List<ModelProblem> problems;

        ModelErrors(String message, List<ModelProblem> problems) {
            super(message);
            this.problems = problems;
        }

        public List<ModelProblem> problems() { return problems; }
    }

    private static final int WRITE_SIZE = 64_000;
    private static final int TAP_LIMIT = 2000;

    private final PrintStream out;
    private final PrintStream progress;
    private final Options options;
    private final EsplineGenerator names = new EsplineGenerator();

    public GatewayDemo(PrintStream out, PrintStream progress, Options options) {
        this.out = out;
        this.progress = progress;
        this.options = options;
    }

    /** One side of the demo: a model, its loaded form and the pipeline of the wanted kind. */
    private record Side(Path file, Model model, Pipeline pipeline, String javaPackage) {
        String className(String simple) { return javaPackage + "." + simple; }
    }

    public Result run(Path txModel, Path rxModel, Path dir) throws IOException, ModelErrors, CompiledModel.CompileException {
        long t0 = System.nanoTime();
        Map<String, String> sources = new LinkedHashMap<>();
        Side tx = load(txModel, PipelineKind.TX, sources);
        Side rx = rxModel.equals(txModel) ? new Side(tx.file, tx.model, pipeline(tx.model, PipelineKind.RX, rxModel), tx.javaPackage)
                : load(rxModel, PipelineKind.RX, sources);
        out.printf("Espline demo: %s pipeline '%s' (tx) -> in-memory wire -> %s pipeline '%s' (rx)%n",
                tx.file.getFileName(), tx.pipeline.getName(), rx.file.getFileName(), rx.pipeline.getName());
        try (CompiledModel compiled = CompiledModel.compile(sources, dir.resolve("generated"))) {
            out.printf("generated %d Java files into %s and compiled them in-process (-Xlint:all -Werror) in %.1f s%n",
                    sources.size(), dir.resolve("generated").resolve("src"), (System.nanoTime() - t0) / 1e9);
            return run(compiled, tx, rx, dir);
        }
    }

    private Side load(Path file, PipelineKind kind, Map<String, String> sources) throws IOException, ModelErrors {
        ModelSas.Loaded loaded = ModelGenerator.load(file);
        if (loaded.hasErrors()) {
            throw new ModelErrors(file + " has errors", loaded.errors());
        }
        Model root = loaded.models().get(loaded.models().size() - 1);
        Pipeline p = pipeline(root, kind, file);
        try {
            sources.putAll(new ModelGenerator().generate(loaded, file, ModelGenerator.placeholderEnvironment(loaded.models())));
        } catch (ModelException e) {
            throw new ModelErrors(file + " has errors", e.problems());
        } catch (IllegalArgumentException e) {
            throw new ModelErrors(file + ": " + e.getMessage(), List.of());
        }
        return new Side(file, root, p, EsplineGenerator.javaPackage(root));
    }

    private static Pipeline pipeline(Model m, PipelineKind kind, Path file) throws ModelErrors {
        for (var e : m.getElements()) {
            if (e instanceof Pipeline p && p.getKind() == kind) {
                return p;
            }
        }
        throw new ModelErrors(file + " has no " + kind.getLiteral() + " pipeline to run", List.of());
    }

    private Result run(CompiledModel code, Side tx, Side rx, Path dir) throws IOException, ModelErrors {
        PolicyLookup spd;
        List<SaConfig> rxSas;
        try {
            spd = (PolicyLookup) code.constant(tx.className(names.policiesClassName(tx.model)), "SPD");
            @SuppressWarnings("unchecked")
            List<SaConfig> all = (List<SaConfig>) code.constant(rx.className(names.saClassName(rx.model)), "ALL");
            rxSas = all;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("generated classes lack what the generator always emits", e);
        } catch (ExceptionInInitializerError e) {
            // The generated SA constants read env: and file: keys when first used; a missing one lands here.
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new ModelErrors("the generated SAs of " + tx.file.getFileName() + " / " + rx.file.getFileName()
                    + " cannot be set up: " + cause.getMessage(), List.of());
        }
        Flows flows = flows(spd, tx);
        TrafficPattern pattern = new TrafficPattern(0x45535020L);
        Buffers txBuffers = tx.pipeline.getBuffers();
        int headroom = value(txBuffers, EsplinePackage.Literals.BUFFERS__HEADROOM, ModelPipelines.DEFAULT_HEADROOM);
        int tailroom = value(txBuffers, EsplinePackage.Literals.BUFFERS__TAILROOM, ModelPipelines.DEFAULT_TAILROOM);
        int fragments = value(txBuffers, EsplinePackage.Literals.BUFFERS__MAX_FRAGMENTS, ModelPipelines.DEFAULT_FRAGMENTS);
        int mtu = value(txBuffers, EsplinePackage.Literals.BUFFERS__MTU, ModelPipelines.DEFAULT_MTU);
        int poolSize = value(txBuffers, EsplinePackage.Literals.BUFFERS__POOL_SIZE, ModelPipelines.DEFAULT_POOL_SIZE);
        BufferPool hostPool = new BufferPool(256, headroom, flows.ipHeader() + 20 + flows.writeSize(), tailroom, fragments);
        BufferPool wirePool = new BufferPool(poolSize, headroom, mtu, tailroom, fragments);

        out.printf("workload: %d TCP flows x %s in %s writes, %d UDP datagrams of %d B, %d ICMP echo requests of %d B, "
                        + "%d packets the policy discards; %s -> %s%n",
                flows.tcpFlows(), mib(flows.tcpBytesPerFlow()), kib(flows.writeSize()), flows.udpDatagrams(), flows.udpSize(),
                flows.icmpEchoes(), flows.icmpSize(), flows.blockedDestination() == null ? 0 : flows.blockedPackets(),
                flows.source().getHostAddress(), flows.destination().getHostAddress());

        Workload workload = new Workload(flows, pattern, hostPool);
        MemoryLink link = new MemoryLink(ModelPipelines.DEFAULT_LINK_CAPACITY);
        // About twenty faults of each kind, however large the run.
        long wireEstimate = flows.tcpBytes() / 1400 + flows.udpDatagrams() + flows.icmpEchoes();
        WireFaults wire = new WireFaults(link, (int) Math.max(10, wireEstimate / 20), 3 * ModelPipelines.DEFAULT_LINK_CAPACITY);
        DeliveryCheck delivery = new DeliveryCheck(flows, pattern);
        XfrmStats txStats = new XfrmStats();
        XfrmStats rxStats = new XfrmStats();
        SaDatabase sad = new SaDatabase();
        for (SaConfig c : rxSas) {
            sad.put(new SecurityAssociation(c));
        }
        List<LimitedTap> taps = new ArrayList<>();
        AbstractPipeline txPipeline = construct(code, tx, workload, wire, txStats, sad, wirePool, dir, taps);
        AbstractPipeline rxPipeline = construct(code, rx, link, delivery, rxStats, sad, wirePool, dir, taps);

        Runner txRun = new Runner("espline-demo-tx", txPipeline);
        Runner rxRun = new Runner("espline-demo-rx", rxPipeline);
        long start = System.nanoTime();
        rxRun.start();
        txRun.start();
        long total = flows.tcpBytes() + (long) flows.udpDatagrams() * flows.udpSize() + (long) flows.icmpEchoes() * flows.icmpSize()
                + (flows.blockedDestination() == null ? 0 : (long) flows.blockedPackets() * flows.udpSize());
        while (!(txRun.join(200) & rxRun.join(0))) {
            if (txRun.failure != null) {
                link.finish(); // nothing more will come; let the receiver drain what did
            }
            if (rxRun.failure != null) {
                break; // the sender may wait on a full wire forever; its thread is a daemon
            }
            double s = (System.nanoTime() - start) / 1e9;
            progress.printf("\r  %6.1f s  sent %s of %s  delivered %s  %.2f Gbit/s   ", s, mib(workload.payloadBytes()), mib(total),
                    mib(delivery.payloadBytes()), delivery.payloadBytes() * 8 / s / 1e9);
            progress.flush();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        progress.print("\r" + " ".repeat(78) + "\r");
        progress.flush();
        for (LimitedTap t : taps) {
            t.close();
        }
        closeEngines(txPipeline);
        closeEngines(rxPipeline);
        return report(flows, workload, wire, delivery, txPipeline, rxPipeline, txStats, rxStats, hostPool, wirePool,
                txRun, rxRun, taps, seconds);
    }

    private Result report(Flows flows, Workload workload, WireFaults wire, DeliveryCheck delivery,
                          AbstractPipeline txPipeline, AbstractPipeline rxPipeline, XfrmStats txStats, XfrmStats rxStats,
                          BufferPool hostPool, BufferPool wirePool, Runner txRun, Runner rxRun, List<LimitedTap> taps,
                          double seconds) {
        out.println();
        out.printf("  %-34s %12s %14s %10s%n", "", "packets", "bytes", "Gbit/s");
        row("sent by the tx host", workload.packets(), workload.payloadBytes(), "payload", seconds);
        row("on the wire (ESP)", wire.packets(), wire.bytes(), "wire", seconds);
        out.printf("  %-34s %12d%n", "  + injected by an attacker", wire.tampered() + wire.replayed());
        row("delivered by the rx gateway", delivery.packets(), delivery.payloadBytes(), "payload", seconds);
        out.printf("  %-34s %12s%n", "  of which TCP (after GRO)", delivery.tcpPackets());
        out.printf("  in %.2f s on two pipeline threads (tx, rx) and their engines' workers; JDK %s; batches tx %d (+%d idle polls), rx %d (+%d idle polls)%n",
                seconds, Runtime.version(), txRun.busy, txRun.idle, rxRun.busy, rxRun.idle);
        out.println();
        out.println("drops by counter:");
        boolean any = false;
        for (XfrmCounter c : XfrmCounter.values()) {
            long n = txStats.get(c) + rxStats.get(c);
            if (c.isDrop() && n > 0) {
                out.printf("  %-28s %10d  %s%n", c.name(), n, why(c));
                any = true;
            }
        }
        if (!any) {
            out.println("  none");
        }
        long copies = hostPool.stats().copies.sum() + wirePool.stats().copies.sum();
        long linearisations = hostPool.stats().linearisations.sum() + wirePool.stats().linearisations.sum();
        long trailerSlots = hostPool.stats().trailerFragments.sum() + wirePool.stats().trailerFragments.sum();
        out.printf(Locale.ROOT, "copies: %d packet copies and %d linearisations in %d wire packets (%.1f and %.1f per million); "
                        + "%d ESP trailers went into a free fragment slot instead of a copy, the rest into reserved tailroom%n",
                copies, linearisations, wire.packets(), BufferStats.perMillion(copies, wire.packets()),
                BufferStats.perMillion(linearisations, wire.packets()), trailerSlots);
        for (LimitedTap t : taps) {
            out.printf("tap: %d packets recorded, the first %d in %s%n", t.seen, Math.min(t.seen, TAP_LIMIT), t.file);
        }

        long blocked = flows.blockedDestination() == null ? 0 : flows.blockedPackets();
        List<String> failures = new ArrayList<>();
        if (txRun.failure != null || rxRun.failure != null) {
            failures.add("a pipeline thread failed: " + (txRun.failure != null ? txRun.failure : rxRun.failure));
        }
        if (delivery.problemCount() > 0) {
            failures.add(delivery.problemCount() + " delivered packets were wrong:\n" + delivery.problems());
        }
        if (delivery.tcpFlowsComplete() != flows.tcpFlows() || delivery.udpReceived() != flows.udpDatagrams()
                || delivery.icmpReceived() != flows.icmpEchoes()) {
            failures.add(String.format("incomplete: TCP flows %d/%d, UDP %d/%d, ICMP %d/%d", delivery.tcpFlowsComplete(),
                    flows.tcpFlows(), delivery.udpReceived(), flows.udpDatagrams(), delivery.icmpReceived(), flows.icmpEchoes()));
        }
        if (rxStats.get(XfrmCounter.XfrmInStateProtoError) != wire.tampered() || rxStats.get(XfrmCounter.XfrmInStateSeqError) != wire.replayed()
                || txStats.get(XfrmCounter.XfrmOutPolBlock) != blocked) {
            failures.add("fault counters differ from the faults injected: " + wire.tampered() + " tampered, " + wire.replayed()
                    + " replayed, " + blocked + " to a discarded destination");
        }
        if (hostPool.outstanding() != 0 || wirePool.outstanding() != 0) {
            failures.add("buffers leaked: " + hostPool.outstanding() + " host and " + wirePool.outstanding() + " wire buffers never came back");
        }
        double gbit = delivery.payloadBytes() * 8 / seconds / 1e9;
        out.println();
        if (failures.isEmpty()) {
            out.printf("verified: every delivered byte is what was sent (%d/%d TCP streams complete, %d/%d UDP, %d/%d ICMP); "
                            + "every injected fault was dropped under its counter; no buffer leaked.%n",
                    delivery.tcpFlowsComplete(), flows.tcpFlows(), delivery.udpReceived(), flows.udpDatagrams(),
                    delivery.icmpReceived(), flows.icmpEchoes());
        } else {
            out.println("FAILED:");
            failures.forEach(f -> out.println("  " + f));
        }
        return new Result(failures.isEmpty(), delivery.payloadBytes(), gbit);
    }

    private void row(String what, long packets, long bytes, String kind, double seconds) {
        out.printf(Locale.ROOT, "  %-34s %12d %14d %10.2f%n", what, packets, bytes, bytes * 8 / seconds / 1e9);
    }

    private static String why(XfrmCounter c) {
        return switch (c) {
            case XfrmInStateProtoError -> "(copies with a flipped bit, injected on the wire: ICV check failed)";
            case XfrmInStateSeqError -> "(exact copies, replayed on the wire: outside or already in the window)";
            case XfrmOutPolBlock -> "(sent to a destination the tx policy discards)";
            default -> "";
        };
    }

    // ------------------------------------------------------------------ workload from the policy

    /** Addresses inside the first protect policy's prefixes, and one its discard policy catches, if any. */
    private Flows flows(PolicyLookup spd, Side tx) throws ModelErrors {
        Policy protect = null;
        for (Policy p : spd.all()) {
            if (p.action() == PolicyAction.PROTECT) {
                protect = p;
                break;
            }
        }
        if (protect == null) {
            throw new ModelErrors(tx.file + ": no policy protects any traffic, so the demo has nothing to send through '"
                    + tx.pipeline.getName() + "'", List.of());
        }
        Selector s = protect.selector();
        InetAddress src = hostIn(s.sourceAddress(), s.sourcePrefix(), 10);
        InetAddress dst = hostIn(s.destinationAddress(), s.destinationPrefix(), 20);
        InetAddress blocked = null;
        for (Policy p : spd.all()) {
            if (p.action() == PolicyAction.DISCARD && p.selector().isIpv6() == s.isIpv6()) {
                blocked = blockedBy(spd, p, src);
                if (blocked != null) {
                    break;
                }
            }
        }
        int tcpPort = port(s.destinationPortLow(), s.destinationPortHigh(), 5001);
        int udpPort = port(s.destinationPortLow(), s.destinationPortHigh(), 5353);
        long perFlow = options.megabytes * 1024 * 1024 / options.tcpFlows;
        int write = tx.pipeline.getStages().stream().anyMatch(GsoStage.class::isInstance) ? WRITE_SIZE : 1400;
        return new Flows(src, dst, blocked, options.tcpFlows, perFlow, write, 2000, 512, 500, 56, 100, tcpPort, udpPort);
    }

    private static int port(int low, int high, int wanted) {
        return wanted >= low && wanted <= high ? wanted : low;
    }

    /** An address in the discard policy's destination prefix that the SPD really sends to that policy. */
    private static InetAddress blockedBy(PolicyLookup spd, Policy discard, InetAddress src) {
        Selector s = discard.selector();
        byte[] srcBytes = src.getAddress();
        for (int host = 1; host < 4096; host += 97) {
            InetAddress d = hostIn(s.destinationAddress(), s.destinationPrefix(), host);
            if (d == null) {
                continue;
            }
            byte[] packet = new byte[2 * srcBytes.length];
            System.arraycopy(srcBytes, 0, packet, 0, srcBytes.length);
            System.arraycopy(d.getAddress(), 0, packet, srcBytes.length, srcBytes.length);
            // Vary the high host bits too, so a /0 prefix finds an address outside the protected range.
            if (spd.lookup(s.isIpv6(), packet, 0, srcBytes.length, 17, Flows.UDP_SOURCE_PORT, 5353) == discard) {
                return d;
            }
        }
        return null;
    }

    /** Host number {@code host} inside the prefix (spread over its free bits), or null when it does not fit. */
    private static InetAddress hostIn(InetAddress net, int prefix, int host) {
        byte[] a = net.getAddress();
        int bits = a.length * 8;
        int free = bits - prefix;
        long h = host;
        if (free <= 0) {
            return net;
        }
        if (free >= 24) {
            // A wide prefix (even /0): put the host in a distinctive place in the middle bits as well.
            h = ((long) host << 16) | host;
        }
        if (free < 63 && h >= (1L << free)) {
            return null;
        }
        for (int i = 0; i < Math.min(free, 40); i++) {
            int bit = bits - 1 - i;
            if (((h >>> i) & 1) != 0) {
                a[bit >>> 3] |= (byte) (0x80 >>> (bit & 7));
            }
        }
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    // ------------------------------------------------------------------ wiring

    /** The generated pipeline of {@code side}, with its tap stages recording into the output directory. */
    private AbstractPipeline construct(CompiledModel code, Side side, SourcePort source, SinkPort sink, XfrmStats stats, SaDatabase sad,
                                       BufferPool pool, Path dir, List<LimitedTap> taps) throws IOException {
        List<TapStage> tapStages = side.pipeline.getStages().stream().filter(TapStage.class::isInstance).map(TapStage.class::cast).toList();
        List<LimitedTap> mine = new ArrayList<>();
        for (TapStage t : tapStages) {
            mine.add(new LimitedTap(dir.resolve(Path.of(t.getFile()).getFileName())));
        }
        taps.addAll(mine);
        try {
            Class<?> type = code.load(side.className(names.pipelineClassName(side.pipeline)));
            return GeneratedPipelines.construct(type, source, sink, stats, sad, pool, mine::get);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct the generated pipeline " + side.pipeline.getName(), e);
        }
    }

    /** A generated pipeline with asynchronous engines is AutoCloseable: its close() stops the engine threads. */
    private static void closeEngines(AbstractPipeline p) {
        if (p instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + p.getClass().getSimpleName() + "'s engines", e);
            }
        }
    }

    private static int value(Buffers b, org.eclipse.emf.ecore.EAttribute a, int fallback) {
        return b != null && b.eIsSet(a) ? (Integer) b.eGet(a) : fallback;
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static String kib(long bytes) {
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }

    /** A tap that records the first {@value #TAP_LIMIT} packets to a pcap file and counts the rest. */
    private static final class LimitedTap implements PacketSink {
        final Path file;
        private final PcapWriter writer;
        private final PcapPacketWriter packets;
        long seen;

        LimitedTap(Path file) throws IOException {
            this.file = file;
            this.writer = new PcapWriter(file);
            this.packets = new PcapPacketWriter(writer);
        }

        @Override
        public void write(org.espline.runtime.buffer.PacketBuffer packet) throws IOException {
            if (seen++ < TAP_LIMIT) {
                packets.write(packet);
            }
        }

        void close() throws IOException {
            writer.close();
        }
    }

    /** A pipeline on a thread of its own, run until its source ends and everything is delivered. */
    private static final class Runner extends Thread {
        private final AbstractPipeline pipeline;
        volatile Throwable failure;

        Runner(String name, AbstractPipeline pipeline) {
            super(name);
            this.pipeline = pipeline;
            setDaemon(true);
        }

        /** Calls that found nothing to do (no input ready, or the wire full), and calls that moved packets. */
        volatile long idle;
        volatile long busy;

        @Override
        public void run() {
            try {
                IdleBackoff backoff = new IdleBackoff();
                long idleCalls = 0;
                long busyCalls = 0;
                int n;
                while ((n = pipeline.runOnce()) >= 0) {
                    if (n == 0) {
                        idleCalls++;
                        backoff.idle();
                    } else {
                        busyCalls++;
                        backoff.reset();
                    }
                }
                idle = idleCalls;
                busy = busyCalls;
            } catch (Throwable t) {
                failure = t;
            }
        }

        boolean join(int millis) {
            try {
                super.join(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
            return !isAlive();
        }
    }
}
