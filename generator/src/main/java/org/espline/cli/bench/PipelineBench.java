package org.espline.cli.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.espline.dsl.runtime.ModelPipelines;
import org.espline.dsl.runtime.ModelSas;
import org.espline.generator.GeneratedPipelines;
import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.header.Ipv4Header;
import org.espline.runtime.header.TcpHeader;
import org.espline.runtime.pipeline.AbstractPipeline;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.port.MemoryLink;
import org.espline.runtime.port.SinkPort;
import org.espline.runtime.port.SourcePort;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmStats;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The one benchmark {@code espline bench} runs, once per row, each in a forked JVM: a generated pipeline (loaded from
 * the compiled-classes directory {@link #classes} with a URLClassLoader and constructed reflectively by its constructor's
 * parameter types, as the demo does), the interpreted pipeline of the same model, or a baseline.
 *
 * <p>One operation is one packet (per-packet rows: one inner IPv4 packet of {@code size} bytes on tx, one ESP packet
 * on rx) or one TCP write (GSO/GRO rows: a super-packet of {@code size} payload bytes on tx, the ESP packets GSO made of
 * one such write on rx). An invocation is {@value #OPS} operations: the source hands out exactly that many and the
 * pipeline runs until it has taken them.
 *
 * <p>Sources copy a prebuilt packet into a pool buffer per packet (what a NIC or tun read costs at least); the sink
 * releases what arrives (the wire is free). The baselines pay the same copy, then seal or open with the raw JCA (or do
 * nothing more: arraycopy, the memory limit), on the same packet sizes. Rx sources replay a ring of ESP packets the
 * model's own tx pipeline encrypted at setup, with consecutive sequence numbers; since the ring repeats, the rx SAs are
 * installed with their anti-replay window off (window 0), which this harness says in every rx row's note. Everything
 * else of ESP input runs.
 *
 * <p>At teardown the fork writes what JMH does not measure (packets, buffer copies and linearisations, sequence-number
 * order, drops) to the side file {@link #side}, which the host reads.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public class PipelineBench {
    /** Operations per benchmark invocation: two batches of 32 packets or writes. */
    public static final int OPS = 64;

    /** Directory of the compiled generated classes ("" for the baselines and the interpreted pipeline). */
    @Param("")
    public String classes;

    /** Generated pipeline class, {@code interpreted:NAME} or {@code baseline}. */
    @Param("")
    public String pipeline;

    /** {@code key=value;...}: dir, traffic, size, mss, src, dst, peer, model, baseline, cipher (see the class comment). */
    @Param("")
    public String workload;

    /** Where the fork writes its counters at teardown. */
    @Param("")
    public String side;

    private Map<String, String> w;
    private AbstractPipeline running;
    /** tx-rx rows: the rx pipeline behind {@link #running}, over an in-memory wire, run on the same thread. */
    private AbstractPipeline receiving;
    private XfrmStats rxStats;
    private LoopSource source;
    private CountingSink sink;
    private XfrmStats stats;
    private final List<BufferPool> pools = new ArrayList<>();
    private URLClassLoader loader;
    private ModelPipelines.Built built;
    private Baseline baseline;
    private int perOp;
    private int packetsPerOp;
    private String note = "";

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        w = parse(workload);
        boolean endToEnd = "tx-rx".equals(w.get("dir"));
        boolean tx = endToEnd || "tx".equals(w.get("dir"));
        boolean tcp = "tcp".equals(w.get("traffic"));
        int size = Integer.parseInt(w.get("size"));
        int mss = Integer.parseInt(w.getOrDefault("mss", "1360"));
        InetAddress src = InetAddress.getByName(w.get("src"));
        InetAddress dst = InetAddress.getByName(w.get("dst"));
        byte[] inner = tcp ? Packets.tcp4(src, dst, size) : Packets.udp4(src, dst, size);
        int[] shape = tcp ? Packets.segments(size, mss) : new int[] {size};
        if (pipeline.equals("baseline")) {
            baseline = new Baseline(w.get("baseline"), w.getOrDefault("cipher", "null"), shape);
            packetsPerOp = shape.length;
            return;
        }
        packetsPerOp = shape.length;
        if (!classes.isEmpty()) {
            loader = new URLClassLoader(new URL[] {Path.of(classes).toUri().toURL()}, PipelineBench.class.getClassLoader());
        }
        // A gateway's pool size (bench.espl: pool 8192); a thousand for 64 KiB super-packets.
        BufferPool hostPool = "stack".equals(w.get("source")) ? pool(8192, 1500)
                : pool(inner.length <= 2000 ? 8192 : 1024, inner.length);
        BufferPool wirePool = pool(16_384, 1500);
        sink = new CountingSink(tx && !endToEnd);
        stats = new XfrmStats();
        if (endToEnd) {
            // tx -> wire -> rx with the model's own SAs (anti-replay on: sequence numbers are fresh); the source numbers
            // its packets in the IPv4 ID and the sink checks they arrive in that order.
            perOp = 1;
            LoopSource s = new LoopSource(hostPool, List.of(inner));
            s.stampIds = true;
            source = s;
            sink.innerOrder = true;
            MemoryLink wire = new MemoryLink(4096);
            BufferPool rxPool = pool(16_384, 1500);
            rxStats = new XfrmStats();
            running = construct(pipeline, source, wire, stats, null, wirePool);
            receiving = construct(w.get("rx"), wire, sink, rxStats, rxSad(false), rxPool);
            pools.add(wirePool);
            pools.add(rxPool);
            pools.add(hostPool);
            for (BufferPool p : pools) {
                p.stats().reset();
            }
            return;
        }
        if (tx && tcp && "stack".equals(w.get("source"))) {
            perOp = shape.length; // a host stack without GSO: one segment per packet, each built and checksummed
            source = new StackSource(hostPool, inner, mss);
            note = "per-packet tx of TCP writes: the source cuts each write into MSS segments as a host stack without GSO "
                    + "does (headers, payload copy, TCP checksum per segment)";
        } else if (tx) {
            perOp = 1; // the source hands out one packet or one super-packet per operation
            source = new LoopSource(hostPool, List.of(inner));
        } else {
            sink.hostChecksums = tcp;
            List<byte[]> esp = encryptRing(inner, tcp ? 8 : 256, src, dst); // small enough for the caches, as the tx template is
            perOp = shape.length;
            source = new LoopSource(wirePool, esp);
            if (!tcp) {
                // Inner packets numbered 0..ring-1 by the tx pipeline that made the ring: they must come out in that order
                // (an asynchronous engine reorders its completions per SA).
                sink.innerOrder = true;
                sink.idModulus = esp.size();
            }
            note = "rx: anti-replay window off (a ring of " + esp.size() + " ESP packets repeats)";
        }
        if (pipeline.startsWith("interpreted:")) {
            String name = pipeline.substring("interpreted:".length());
            built = new ModelPipelines(new ModelSas())
                    .withSource(name, source)
                    .withSink(name, sink)
                    .outputDirectory(Files.createTempDirectory("espline-bench"))
                    .build(Path.of(w.get("model")));
            running = built.pipeline(name);
            stats = built.stats(name);
            pools.add(built.pool(name));
        } else {
            SaDatabase sad = tx ? null : rxSad(true);
            running = construct(pipeline, source, sink, stats, sad, wirePool);
            pools.add(wirePool);
        }
        pools.add(hostPool);
        for (BufferPool p : pools) {
            p.stats().reset();
        }
    }

    private static BufferPool pool(int capacity, int mtu) {
        return new BufferPool(capacity, 128, Math.max(mtu, 1500), 64, 17);
    }

    /** The generated class of the pipeline, constructed by parameter types; its taps record nothing here. */
    private AbstractPipeline construct(String className, SourcePort from, SinkPort to, XfrmStats s, SaDatabase sad, BufferPool pool)
            throws ReflectiveOperationException {
        return GeneratedPipelines.construct(loader.loadClass(className), from, to, s, sad != null ? sad : new SaDatabase(), pool,
                i -> packet -> { });
    }

    /** Every SA of the model for ESP input; anti-replay off when a ring of ESP packets repeats. */
    private SaDatabase rxSad(boolean replayOff) throws ReflectiveOperationException {
        @SuppressWarnings("unchecked")
        List<SaConfig> all = (List<SaConfig>) loader.loadClass(w.get("sas")).getField("ALL").get(null);
        SaDatabase sad = new SaDatabase();
        for (SaConfig c : all) {
            sad.put(new SecurityAssociation(replayOff ? c.toBuilder().replayWindow(0).build() : c));
        }
        return sad;
    }

    /** ESP packets of {@code ops} operations, made once by the model's own tx pipeline {@code peer}. */
    private List<byte[]> encryptRing(byte[] inner, int ops, InetAddress src, InetAddress dst) throws ReflectiveOperationException {
        BufferPool host = pool(4 * OPS, inner.length);
        BufferPool wire = pool(16_384, 1500);
        LoopSource s = new LoopSource(host, List.of(inner));
        s.stampIds = true; // the rx sink checks the order of the inner packets by these
        List<byte[]> esp = new ArrayList<>();
        SinkPort collect = new SinkPort() {
            @Override
            public int send(PacketBatch from) {
                int n = from.size();
                for (int i = 0; i < n; i++) {
                    PacketBuffer p = from.get(i);
                    esp.add(p.toByteArray());
                    p.release();
                }
                from.clear();
                return n;
            }
        };
        XfrmStats st = new XfrmStats();
        AbstractPipeline peer = construct(w.get("peer"), s, collect, st, null, wire);
        s.quota = ops;
        while (s.quota > 0) {
            peer.runOnce();
        }
        if (esp.isEmpty() || st.totalDrops() != 0) {
            throw new IllegalStateException("the tx pipeline " + w.get("peer") + " made no ESP packets for " + src.getHostAddress()
                    + " -> " + dst.getHostAddress() + ": " + st);
        }
        return esp;
    }

    /** {@value #OPS} packets or writes through the pipeline (or the baseline). */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public long run() throws GeneralSecurityException {
        if (baseline != null) {
            long r = 0;
            for (int i = 0; i < OPS; i++) {
                r += baseline.op();
            }
            return r;
        }
        if (receiving != null) {
            source.quota += OPS;
            final long target = sink.packets + OPS;
            while (sink.packets < target) {
                running.runOnce();
                receiving.runOnce();
                if (stats.totalDrops() != 0 || rxStats.totalDrops() != 0) {
                    throw new IllegalStateException("tx-rx dropped packets: tx " + stats + ", rx " + rxStats);
                }
            }
            return sink.packets;
        }
        source.quota += (long) OPS * perOp;
        while (source.quota > 0) {
            if (running.runOnce() < 0) {
                throw new IllegalStateException("the pipeline finished");
            }
        }
        return sink.packets;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("packets_per_op", Integer.toString(packetsPerOp));
        out.put("jdk", Runtime.version().toString());
        if (baseline == null) {
            long copies = 0;
            long linear = 0;
            for (BufferPool p : pools) {
                if (p != null) {
                    copies += p.stats().copies.sum();
                    linear += p.stats().linearisations.sum();
                }
            }
            long espPackets = "rx".equals(w.get("dir")) ? source.handedOut : sink.packets;
            out.put("esp_packets", Long.toString(espPackets));
            out.put("delivered_packets", Long.toString(sink.packets));
            out.put("copies", Long.toString(copies));
            out.put("linearisations", Long.toString(linear));
            out.put("out_of_order", Long.toString(sink.outOfOrder));
            long drops = stats.totalDrops() + (rxStats == null ? 0 : rxStats.totalDrops());
            out.put("drops", Long.toString(drops));
            out.put("note", note);
            if (built != null) {
                built.close();
            }
            if (running instanceof AutoCloseable ac) {
                try {
                    ac.close(); // an asynchronous engine's workers, once there are any
                } catch (Exception e) {
                    out.put("note", note + "; close failed: " + e);
                }
            }
            if (sink.badChecksums != 0) {
                out.put("error", sink.badChecksums + " packets reached the host with a TCP checksum it could not verify");
            }
            if (sink.packets == 0 || drops != 0) {
                out.put("error", "the trial measured drops, not ESP: " + stats + (rxStats == null ? "" : ", rx " + rxStats));
            }
        }
        StringBuilder text = new StringBuilder();
        out.forEach((k, v) -> text.append(k).append('=').append(v.replace('\n', ' ')).append('\n'));
        Files.writeString(Path.of(side), text.toString());
        if (loader != null) {
            loader.close();
        }
    }

    static Map<String, String> parse(String spec) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : spec.split(";")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                m.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        return m;
    }

    /** Hands out copies of a ring of packets, one per pool buffer, while its quota lasts; never ends. */
    static class LoopSource implements SourcePort {
        final BufferPool pool;
        final List<byte[]> ring;
        long quota;
        long handedOut;
        private int next;

        /** Number the packets in their IPv4 ID (header checksum patched), for an order check at the far end. */
        boolean stampIds;
        private int id;

        LoopSource(BufferPool pool, List<byte[]> ring) {
            this.pool = pool;
            this.ring = ring;
        }

        private void stamp(byte[] a, int ip) {
            final int old = (a[ip + 4] & 0xFF) << 8 | (a[ip + 5] & 0xFF);
            final int v = id++ & 0xFFFF;
            a[ip + 4] = (byte) (v >>> 8);
            a[ip + 5] = (byte) v;
            final int sum = (a[ip + 10] & 0xFF) << 8 | (a[ip + 11] & 0xFF);
            final int patched = InternetChecksum.adjust16(sum, old, v);
            a[ip + 10] = (byte) (patched >>> 8);
            a[ip + 11] = (byte) patched;
        }

        @Override
        public int receive(PacketBatch into) {
            int n = 0;
            while (quota > 0 && into.remaining() > 0) {
                PacketBuffer p = pool.acquire();
                if (p == null) {
                    break;
                }
                fill(p);
                into.add(p);
                n++;
                quota--;
            }
            handedOut += n;
            return n;
        }

        /** Writes the next packet into the empty buffer {@code p}. */
        void fill(PacketBuffer p) {
            byte[] t = ring.get(next);
            next = next + 1 == ring.size() ? 0 : next + 1;
            final int at = p.put(t.length);
            System.arraycopy(t, 0, p.array(), at, t.length);
            if (stampIds) {
                stamp(p.array(), at);
            }
        }
    }

    /**
     * A host's TCP output without GSO: each write of the template super-packet leaves as MSS-sized segments, each in a
     * buffer of its own with its headers written, its payload copied from the write and its TCP checksum computed
     * (what the kernel's tcp_sendmsg and tcp_transmit_skb do per segment when nothing offloads), one source packet per
     * segment. Sequence numbers advance across writes.
     */
    static final class StackSource extends LoopSource {
        private final byte[] write;
        private final int mss;
        private final int payloadLength;
        private final int segments;
        private final Ipv4Header ip = new Ipv4Header();
        private final TcpHeader tcp = new TcpHeader();
        private int segment;
        private int sequence;

        StackSource(BufferPool pool, byte[] write, int mss) {
            super(pool, List.of(write));
            this.write = write;
            this.mss = mss;
            this.payloadLength = write.length - Packets.IPV4 - Packets.TCP;
            this.segments = (payloadLength + mss - 1) / mss;
            this.sequence = new TcpHeader().wrap(write, Packets.IPV4).sequenceNumber();
        }

        @Override
        void fill(PacketBuffer p) {
            int from = segment * mss;
            int len = Math.min(mss, payloadLength - from);
            int total = Packets.IPV4 + Packets.TCP + len;
            byte[] a = p.array();
            int at = p.put(total);
            System.arraycopy(write, 0, a, at, Packets.IPV4 + Packets.TCP);
            System.arraycopy(write, Packets.IPV4 + Packets.TCP + from, a, at + Packets.IPV4 + Packets.TCP, len);
            boolean last = segment == segments - 1;
            ip.wrap(a, at).totalLength(total).identification(sequence & 0xFFFF).updateChecksum();
            tcp.wrap(a, at + Packets.IPV4).sequenceNumber(sequence + from).flags(last ? 0x18 : 0x10);
            InternetChecksum.updateTransportChecksum(a, at, at + total);
            segment = last ? 0 : segment + 1;
            if (last) {
                sequence += payloadLength;
            }
        }
    }

    /** Releases what arrives; on tx, checks that ESP sequence numbers of each SPI only go up by one. */
    static final class CountingSink implements SinkPort {
        private final boolean esp;
        /**
         * rx of TCP writes: the host behind the gateway verifies the TCP checksum of every packet it is handed, except
         * those the gateway marked verified (GRO checks every segment it coalesces): the work GRO saves the host.
         */
        boolean hostChecksums;
        /** tx-rx: the inner packets' IPv4 IDs (numbered by the source) must arrive one up each time. */
        boolean innerOrder;
        /** Numbers wrap here (a repeating ring of numbered packets), else at 2^16. */
        int idModulus = 1 << 16;
        private int lastId = -1;
        long packets;
        long outOfOrder;
        long badChecksums;
        private int lastSpi;
        private long lastSeq = -1;

        CountingSink(boolean esp) {
            this.esp = esp;
        }

        @Override
        public int send(PacketBatch from) {
            int n = from.size();
            for (int i = 0; i < n; i++) {
                PacketBuffer p = from.get(i);
                if (esp && p.linearLength() >= 28) {
                    byte[] a = p.array();
                    int at = p.data() + ((a[p.data()] & 0x0F) << 2);
                    int spi = get32(a, at);
                    long seq = get32(a, at + 4) & 0xFFFFFFFFL;
                    if (spi == lastSpi && lastSeq >= 0 && seq != lastSeq + 1) {
                        outOfOrder++;
                    }
                    lastSpi = spi;
                    lastSeq = seq;
                }
                if (innerOrder) {
                    final int id = (p.array()[p.data() + 4] & 0xFF) << 8 | (p.array()[p.data() + 5] & 0xFF);
                    if (lastId >= 0 && id != (lastId + 1) % idModulus) {
                        outOfOrder++;
                    }
                    lastId = id;
                }
                if (hostChecksums && !p.hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED) && (!p.isLinear()
                        || InternetChecksum.verifyTransportChecksum(p.array(), p.data(), p.tail()) != InternetChecksum.Status.VALID)) {
                    badChecksums++;
                }
                p.release();
            }
            from.clear();
            packets += n;
            return n;
        }

        private static int get32(byte[] a, int at) {
            return (a[at] & 0xFF) << 24 | (a[at + 1] & 0xFF) << 16 | (a[at + 2] & 0xFF) << 8 | (a[at + 3] & 0xFF);
        }
    }

    /**
     * The limits: per packet of the row's shape, the source's copy of the inner (or ESP) packet into a buffer, then a
     * raw JCA seal or open of it with a fresh nonce (RFC 4106-like layout: 8 bytes AAD, 8 bytes IV, payload, ICV), or
     * nothing more (arraycopy).
     */
    static final class Baseline {
        private static final int AT = 16;
        private static final long TEMPLATE = 1L << 48;
        private static final long TEMPLATE2 = 1L << 49;
        private final String kind;
        private final String cipher;
        private final int[] shape;
        private final byte[][] plain;
        private final byte[][] sealed;
        /** The same, sealed with other nonces: opens alternate, since JDK 17's ChaCha20 refuses a re-init with the last nonce. */
        private final byte[][] sealedToo;
        private boolean flip = true; // the first open uses TEMPLATE: the last init (setup) was TEMPLATE2
        private final byte[] buf;
        private Cipher jca;
        private Mac mac;
        private SecretKeySpec key;
        private final byte[] nonce = new byte[12];
        private final byte[] iv = new byte[16];
        private final byte[] icv = new byte[32];
        private long counter;
        private int next;

        Baseline(String kind, String cipher, int[] shape) throws GeneralSecurityException {
            this.kind = kind;
            this.cipher = cipher;
            this.shape = shape;
            int max = 0;
            for (int s : shape) {
                max = Math.max(max, s);
            }
            buf = new byte[AT + max + 64];
            plain = new byte[shape.length][];
            sealed = new byte[shape.length][];
            sealedToo = new byte[shape.length][];
            for (int i = 0; i < shape.length; i++) {
                plain[i] = new byte[AT + pad(shape[i]) + 32];
                for (int j = AT; j < AT + shape[i]; j++) {
                    plain[i][j] = (byte) (j * 31 + 7);
                }
            }
            if (!kind.equals("arraycopy")) {
                switch (cipher) {
                    case "aes-128-gcm", "aes-256-gcm" -> {
                        jca = Cipher.getInstance("AES/GCM/NoPadding");
                        key = new SecretKeySpec(new byte[cipher.startsWith("aes-128") ? 16 : 32], "AES");
                    }
                    case "chacha20-poly1305" -> {
                        jca = Cipher.getInstance("ChaCha20-Poly1305");
                        key = new SecretKeySpec(new byte[32], "ChaCha20");
                    }
                    case "aes-128-cbc-hmac-sha-256" -> {
                        jca = Cipher.getInstance("AES/CBC/NoPadding");
                        key = new SecretKeySpec(new byte[16], "AES");
                        mac = Mac.getInstance("HmacSHA256");
                        mac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
                    }
                    default -> throw new IllegalArgumentException("no JCA baseline for cipher " + cipher);
                }
                for (int i = 0; i < shape.length; i++) {
                    sealed[i] = plain[i].clone();
                    seal(sealed[i], pad(shape[i]), TEMPLATE + i);
                    sealedToo[i] = plain[i].clone();
                    seal(sealedToo[i], pad(shape[i]), TEMPLATE2 + i);
                }
                counter = 1; // seals count up from 1, far from the templates' nonces
            }
        }

        private int pad(int size) {
            return "aes-128-cbc-hmac-sha-256".equals(cipher) ? (size + 2 + 15) & ~15 : (size + 2 + 3) & ~3;
        }

        long op() throws GeneralSecurityException {
            long r = 0;
            for (int i = 0; i < shape.length; i++) {
                int len = pad(shape[i]);
                switch (kind) {
                    case "arraycopy" -> {
                        System.arraycopy(plain[i], AT, buf, AT, shape[i]);
                        r += buf[AT + (int) (counter++ & 15)];
                    }
                    case "jca-seal" -> {
                        System.arraycopy(plain[i], AT, buf, AT, shape[i]);
                        r += seal(buf, len, ++counter);
                    }
                    case "jca-seal-open" -> { // tx-rx: what one packet costs the crypto at both ends
                        System.arraycopy(plain[i], AT, buf, AT, shape[i]);
                        r += seal(buf, len, ++counter);
                        r += open(buf, len, counter);
                    }
                    default -> {
                        flip = !flip;
                        System.arraycopy(flip ? sealedToo[i] : sealed[i], 0, buf, 0, AT + len + 16);
                        r += open(buf, len, (flip ? TEMPLATE2 : TEMPLATE) + i);
                    }
                }
            }
            return r;
        }

        private void nonce(long n) {
            for (int i = 0; i < 8; i++) {
                nonce[4 + i] = (byte) (n >>> (56 - 8 * i));
                iv[8 + i] = nonce[4 + i];
            }
        }

        private int seal(byte[] b, int len, long n) throws GeneralSecurityException {
            nonce(n);
            if (mac != null) {
                jca.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv));
                int out = jca.doFinal(b, AT, len, b, AT);
                mac.update(b, 0, AT + len);
                mac.doFinal(icv, 0);
                System.arraycopy(icv, 0, b, AT + len, 16);
                return out;
            }
            jca.init(Cipher.ENCRYPT_MODE, key, spec());
            jca.updateAAD(b, 0, 8);
            return jca.doFinal(b, AT, len, b, AT);
        }

        private int open(byte[] b, int len, long n) throws GeneralSecurityException {
            nonce(n);
            if (mac != null) {
                mac.update(b, 0, AT + len);
                mac.doFinal(icv, 0);
                if (icv[0] != b[AT + len]) {
                    throw new IllegalStateException("baseline ICV mismatch");
                }
                jca.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(iv));
                return jca.doFinal(b, AT, len, b, AT);
            }
            jca.init(Cipher.DECRYPT_MODE, key, spec());
            jca.updateAAD(b, 0, 8);
            return jca.doFinal(b, AT, len + 16, b, AT);
        }

        private java.security.spec.AlgorithmParameterSpec spec() {
            return jca.getAlgorithm().startsWith("ChaCha") ? new IvParameterSpec(nonce) : new GCMParameterSpec(128, nonce);
        }
    }
}
