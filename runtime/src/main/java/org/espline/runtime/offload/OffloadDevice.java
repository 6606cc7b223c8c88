package org.espline.runtime.offload;

import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.crypto.TransformSource;
import org.espline.runtime.engine.CryptoEngine;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.header.Ipv6Header;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * An IPsec offload device, in the shape of Linux's {@code xfrmdev_ops}: {@link #addState} pushes an SA (not a
 * policy) and may refuse it ({@code xdo_dev_state_add}); {@link #deleteState} stops its use and {@link #freeState}
 * forgets it ({@code xdo_dev_state_delete/free}); {@link #offloadOk} is asked per packet
 * ({@code xdo_dev_offload_ok}); {@link #advanceEsn} tells the device the stack's ESN window
 * ({@code xdo_dev_state_advance_esn}); {@link #counters} reads the device's per-SA counters. What the device refuses
 * goes through software crypto with the same wire bytes ({@link OffloadEncryptStage}, {@link OffloadDecryptStage},
 * counted as EsplineOffloadFallback).
 *
 * <p>Subclasses say where the crypto runs: on the pipeline thread ({@link #synchronous()}: the software paths) or on
 * the device's own threads, through a {@link CryptoEngine} ring whose per-ticket work is the device's
 * ({@link #newEngine}). They supply the engines ({@link #transforms()}) and, for a device model, its service time
 * ({@link #serviceDelay}).
 *
 * <p>Thread safety: the SA table is a concurrent map (control plane on any thread, lookups on the packet path
 * without locks or allocation); {@link #offloadOk} and the counters may be called from any thread.
 */
public abstract class OffloadDevice implements AutoCloseable {
    private final String name;
    private final OffloadKind kind;
    private final OffloadCapabilities capabilities;
    private final ConcurrentHashMap<SecurityAssociation, DeviceState> states = new ConcurrentHashMap<>();
    /** Refusals (EsplineOffloadStateRefused), packet rejections (EsplineOffloadPacketRejected). */
    private final XfrmStats events = new XfrmStats();
    private final long[] refusals = new long[AddResult.values().length];
    private final List<CryptoEngine> engines = new CopyOnWriteArrayList<>();
    /** SAs {@link #addState} refused, so that pushing on first use asks once per SA. */
    private final ConcurrentHashMap<SecurityAssociation, AddResult> refused = new ConcurrentHashMap<>();
    /** Null: SAs are pushed only by {@link #addState}; else the names pushed on first use (empty: every SA). */
    private volatile java.util.Set<String> pushOnFirstUse;
    private volatile boolean closed;

    protected OffloadDevice(String name, OffloadKind kind, OffloadCapabilities capabilities) {
        this.name = Objects.requireNonNull(name, "name");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.capabilities = Objects.requireNonNull(capabilities, "capabilities");
    }

    public final String name() { return name; }

    public final OffloadKind kind() { return kind; }

    public final OffloadCapabilities capabilities() { return capabilities; }

    /** True when the crypto runs on the calling (pipeline) thread; false when the device has its own threads. */
    public abstract boolean synchronous();

    /** A new per-thread source of the device's transforms (null: the SAs' own JCA transforms). */
    protected abstract TransformSource transforms();

    /** Whether the device's engines can run {@code sa}'s algorithms at all (beyond the capability list). */
    protected boolean canRun(SaConfig sa) {
        return true;
    }

    // ------------------------------------------------------------------ control plane (xdo_dev_state_*)

    /**
     * Pushes {@code sa} to the device. Refusals are answers, not errors: the SA's packets then take the software
     * path. Adding an SA twice is accepted once.
     */
    public final synchronized AddResult addState(SecurityAssociation sa) {
        Objects.requireNonNull(sa, "sa");
        AddResult r;
        if (closed) {
            r = AddResult.DEVICE_CLOSED;
        } else if (states.containsKey(sa)) {
            return AddResult.OFFLOADED;
        } else if (!OffloadAlgorithms.supports(capabilities.algorithms(), sa.config()) || !canRun(sa.config())) {
            r = AddResult.UNSUPPORTED_ALGORITHM;
        } else if (sa.config().esn() && !capabilities.esn()) {
            r = AddResult.ESN_UNSUPPORTED;
        } else if (states.size() >= capabilities.saTableSize()) {
            r = AddResult.TABLE_FULL;
        } else {
            states.put(sa, new DeviceState(sa));
            return AddResult.OFFLOADED;
        }
        refusals[r.ordinal()]++;
        events.increment(XfrmCounter.EsplineOffloadStateRefused);
        refused.put(sa, r);
        return r;
    }

    /**
     * Push SAs when their first packet arrives rather than by {@link #addState} up front (for generated pipelines,
     * which meet their SAs at run time): the SAs named in {@code names}, or every SA when it is empty. Each SA is
     * offered once; a refusal stands.
     */
    public final void pushOnFirstUse(java.util.Set<String> names) {
        this.pushOnFirstUse = java.util.Set.copyOf(names);
    }

    private DeviceState firstUse(SecurityAssociation sa) {
        final java.util.Set<String> names = pushOnFirstUse;
        if (names == null || refused.containsKey(sa) || (!names.isEmpty() && !names.contains(sa.config().name()))) {
            return null;
        }
        addState(sa);
        return states.get(sa);
    }

    /** Stops offloading {@code sa}: its next packets take the software path. The table slot stays used until {@link #freeState}. */
    public final void deleteState(SecurityAssociation sa) {
        final DeviceState st = states.get(sa);
        if (st != null) {
            st.deleted = true;
        }
    }

    /** Forgets {@code sa} (after {@link #deleteState}, once nothing of it is in flight), freeing its table slot. */
    public final synchronized void freeState(SecurityAssociation sa) {
        final DeviceState st = states.get(sa);
        if (st != null) {
            st.deleted = true;
            states.remove(sa);
        }
    }

    /** Whether {@code sa} is on the device and not deleted. */
    public final boolean holds(SecurityAssociation sa) {
        final DeviceState st = states.get(sa);
        return st != null && !st.deleted;
    }

    /** SAs in the table (deleted ones until freed). */
    public final int stateCount() { return states.size(); }

    /**
     * The stack's ESN window moved to {@code top}: the device infers the high half of received sequence numbers
     * from the larger of this and what it verified itself.
     */
    public final void advanceEsn(SecurityAssociation sa, long top) {
        final DeviceState st = states.get(sa);
        if (st != null) {
            st.advanceEsn(top);
        }
    }

    /** The device's counters for {@code sa}, or null when the device does not hold it. */
    public final OffloadSaCounters counters(SecurityAssociation sa) {
        final DeviceState st = states.get(sa);
        return st == null ? null : st.snapshot();
    }

    /** How often {@link #addState} answered {@code result}. */
    public final synchronized long refusals(AddResult result) {
        return refusals[result.ordinal()];
    }

    /**
     * The device's events: EsplineOffloadStateRefused, EsplineOffloadPacketRejected, and EsplineOffloadBusy (how
     * often its rings were full when the pipeline offered packets). A fresh snapshot.
     */
    public final XfrmStats events() {
        XfrmStats s = new XfrmStats();
        events.snapshot().forEach(s::add);
        for (CryptoEngine e : engines) {
            s.add(XfrmCounter.EsplineOffloadBusy, e.events().get(XfrmCounter.EsplineEngineQueueFull));
        }
        return s;
    }

    // ------------------------------------------------------------------ packet path

    /**
     * Whether the device takes this packet of {@code sa} ({@code xdo_dev_offload_ok}): the SA is offloaded and not
     * deleted, the packet fits, and, unless the device parses them, it has no IPv4 options or IPv6 extension
     * headers. A rejection of a packet of an offloaded SA counts EsplineOffloadPacketRejected in {@link #events()}.
     */
    public final boolean offloadOk(SecurityAssociation sa, PacketBuffer p) {
        DeviceState st = states.get(sa);
        if (st == null) {
            st = firstUse(sa);
        }
        if (st == null || st.deleted) {
            return false;
        }
        if (!packetFits(p)) {
            events.increment(XfrmCounter.EsplineOffloadPacketRejected);
            return false;
        }
        return true;
    }

    private boolean packetFits(PacketBuffer p) {
        final OffloadCapabilities caps = capabilities;
        if (p.length() > caps.maxPacketLength()) {
            return false;
        }
        if (caps.ipOptions()) {
            return true;
        }
        final byte[] a = p.array();
        final int off = p.data();
        final int len = p.linearLength();
        if (len < 1) {
            return false;
        }
        final int version = u8(a, off) >>> 4;
        if (version == 4) {
            return (a[off] & 0x0F) == 5;
        }
        if (version == 6 && len >= Ipv6Header.LENGTH) {
            final int next = u8(a, off + Ipv6Header.NEXT_HEADER_OFFSET);
            return next != IpProtocols.HOPOPT && next != IpProtocols.ROUTING && next != IpProtocols.FRAGMENT
                    && next != IpProtocols.DSTOPTS;
        }
        return false;
    }

    /** The device's state for {@code sa} if it is offloaded and not deleted, else null (packet path). */
    final DeviceState state(SecurityAssociation sa) {
        final DeviceState st = states.get(sa);
        return st == null || st.deleted ? null : st;
    }

    /** What the device's service takes beyond the crypto (a device model's latency and rate); waits until then. */
    protected void serviceDelay(long startNanos) {
    }

    /** Worker threads of an asynchronous device. */
    protected int workers() { return 1; }

    /** Slots of each of an asynchronous device's rings. */
    protected int ringSize() { return 256; }

    /**
     * A ring on the device's threads for one direction ({@link CryptoEngine#forDevice}); the device closes it in
     * {@link #close()}.
     *
     * @param sad       inbound only
     * @param passClear packet offload inbound: deliver clear traffic (as {@link org.espline.runtime.pipeline.DecryptStage})
     */
    final CryptoEngine newEngine(CryptoEngine.Direction direction, XfrmStats stats, SaDatabase sad, boolean passClear) {
        return newEngine(direction, stats, sad, passClear, null, 1);
    }

    /**
     * @param segmentPool TSO (outbound, a device with {@link OffloadCapabilities#tso()}): where the device's threads
     *                    take segment buffers; null without TSO
     * @param maxSegments TSO: the most segments one super-packet becomes; 1 without TSO
     */
    final CryptoEngine newEngine(CryptoEngine.Direction direction, XfrmStats stats, SaDatabase sad, boolean passClear,
                                 org.espline.runtime.buffer.BufferPool segmentPool, int maxSegments) {
        if (synchronous()) {
            throw new IllegalStateException(name + " runs on the pipeline thread: it has no engine");
        }
        if (closed) {
            throw new IllegalStateException("offload device " + name + " is closed");
        }
        final boolean encrypt = direction == CryptoEngine.Direction.ENCRYPT;
        final boolean packetOffload = kind == OffloadKind.PACKET;
        final CryptoEngine.Admission admission = encrypt && !packetOffload ? (p, sa) -> {
            // A TSO super-packet reaches the ring only after OffloadEncryptStage asked offloadOk for it whole.
            if (p.gsoSegments() > 1 || offloadOk(sa, p)) {
                return true;
            }
            countFallback(stats, sa);
            return false;
        } : null;
        // Packet offload: the device takes the sequence numbers, so one thread keeps arrival order.
        final int threads = packetOffload && encrypt ? 1 : workers();
        final CryptoEngine e = CryptoEngine.forDevice(name + (encrypt ? "-tx" : "-rx"), direction, threads, ringSize(),
                CryptoEngine.Order.PER_SA, stats, sad, passClear,
                new CryptoEngine.DeviceHooks(() -> new DeviceWork(this, stats, sad, segmentPool), admission, !packetOffload,
                        segmentPool == null ? 1 : maxSegments));
        engines.add(e);
        return e;
    }

    static void countFallback(XfrmStats stats, SecurityAssociation sa) {
        stats.increment(XfrmCounter.EsplineOffloadFallback);
        sa.stats().increment(XfrmCounter.EsplineOffloadFallback);
    }

    /** Drains and stops the device's rings (everything submitted completes and can still be polled). Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (CryptoEngine e : engines) {
            e.close();
        }
    }

    public final boolean isClosed() { return closed; }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + " " + kind + " sas=" + states.size() + "]";
    }
}
