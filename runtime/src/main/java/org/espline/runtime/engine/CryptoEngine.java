package org.espline.runtime.engine;

import static org.espline.runtime.header.NetworkBytes.i32;
import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.esp.EspInput;
import org.espline.runtime.esp.EspOutput;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.header.Ipv6ExtensionWalker;
import org.espline.runtime.header.Ipv6Header;
import org.espline.runtime.pipeline.ClassifyStage;
import org.espline.runtime.pipeline.EncryptStage;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.sa.UdpEncapsulation;
import org.espline.runtime.stats.DeliveredTally;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * Asynchronous, parallel, ordered ESP crypto (the idea of Linux's pcrypt): N worker threads run the same work
 * as the inline stages ({@link EspOutput#encapsulate} for {@link Direction#ENCRYPT}, {@link EspInput#decapsulate}
 * for {@link Direction#DECRYPT}) while the pipeline thread goes on receiving; a reorder point releases the
 * results in the configured {@link Order}.
 *
 * <p>Design. Every submitted packet takes a <em>ticket</em>, a number counting up from 0 on the submitting
 * thread, and the slot {@code ticket & mask} of a ring of at least {@code capacity} slots (a power of two; at
 * most {@code capacity}, the model's {@code queue}, are in flight). The submitting thread fills the slot and
 * publishes the count of submitted tickets with one ordered store per {@link #offer} (publish last). Workers claim
 * a run of unclaimed tickets (a share of those waiting, at most {@value #MAX_CLAIM}) with one CAS on a shared
 * counter (so any idle worker takes the next packets, and a slow packet does not hold back the others), do the
 * work, store each outcome in its slot and then the ticket in the slot's completion word with a release
 * store. {@link #poll} reads completion words with acquire loads and walks the tickets from the oldest
 * unreleased one: a completed ticket is released (delivered to the output batch, or released to its pool if
 * the work dropped it) unless an earlier ticket of the same <em>lane</em> is still in flight. With
 * {@link Order#PER_SA} the lane is a hash of the SPI into {@value #LANES} lanes (an SA's packets stay in arrival
 * order; SAs that share a lane also keep their order relative to each other, which is stricter but never
 * wrong), and a packet without an SA (bypassed on output; not ESP, or no SPI found, on input) is a barrier
 * ordered against every lane, so with a single SA the output is exactly the inline stage's; {@link Order#GLOBAL}
 * makes every packet a barrier (arrival order); {@link Order#NONE} has no lanes (whatever completed is
 * released). A slot
 * is reused only after its ticket was released, so a full ring answers {@code offer} with fewer packets taken,
 * never by blocking or dropping. Drops pass through the reorder point like delivered packets: their tickets are
 * released in order, so nothing waits behind a dropped packet.
 *
 * <p>Waiting. Nobody spins for long: with workers plus a pipeline thread on fewer cores, a spinning thread takes the
 * core another one needs (and a pipeline thread that also ran tickets itself raced the workers for them, which made
 * throughput depend on who won). An idle worker polls briefly, then parks until {@link #offer} publishes (one unpark
 * per parked worker per offer); the pipeline thread, when the ring is full or its source dry and nothing is ready,
 * parks in {@link #awaitCompletions} until the oldest ticket and the one half the packets in flight further on are
 * done, woken by the workers that complete them: one wake-up per many packets on either side.
 *
 * <p>Sequence numbers (encrypt). The ESP sequence number is taken, and the packet accounted against the SA's
 * lifetimes, on the submitting thread in arrival order ({@link EspOutput#prepare}); the workers seal with the
 * number they are handed ({@link EspOutput#encapsulate(PacketBuffer, SecurityAssociation, long)}). So an SA's
 * packets carry consecutive numbers in arrival order, and the reorder point makes them leave in that order.
 * Packets that {@code prepare} drops (malformed, expired SA, hard lifetime), packets without an SA
 * (XfrmOutNoStates) end at submission and never take a ticket; bypassed packets
 * ({@link ClassifyStage#FLAG_BYPASS}) take one, so they keep their place among the others.
 *
 * <p>Replay (decrypt). The replay window is checked before and advanced after the ICV on the worker, under the
 * window's own lock (see {@link org.espline.runtime.replay.ReplayWindow}): completions may advance it out of
 * order, which is harmless as long as the window is at least as wide as the packets in flight
 * ({@code capacity}); a narrower window may drop packets that fell off its left edge meanwhile
 * (XfrmInStateSeqError), as in Linux with asynchronous crypto.
 *
 * <p>Threads and crypto objects. Workers are daemon threads named {@code espline-<name>-<i>}; each has its own
 * {@link EspOutput}/{@link EspInput} (header views), and takes the SA's transform with
 * {@link SecurityAssociation#transform()}, which is per thread (a thread-local per SA): a JCA {@code Cipher}
 * is never shared between workers, nor with the submitting thread. Packet outcomes are counted in the given
 * {@link XfrmStats} (atomic adds, so workers share it) and in the SAs' own, the same counters as inline; drops when
 * the work ends them, deliveries (of the engine's own work) when {@link #poll} releases them, added up per run of one
 * SA. The engine's events (queue full, reorder waits) go in its own {@link #events()}.
 *
 * <p>Threading contract: {@link #offer}, {@link #poll}, {@link #inFlight()} and {@link #consumed()} are called
 * by one thread, the pipeline's (single producer, single consumer of completions); {@link #close()} by that
 * thread or by one that owns the pipeline after it stopped. A worker that throws (a programming error, not a
 * malformed packet) completes its ticket as a drop (XfrmOutError/XfrmInError) so nothing stalls, and the next
 * {@link #poll} throws {@link IllegalStateException} with the cause.
 */
public final class CryptoEngine implements AutoCloseable {
    /** What the workers do. */
    public enum Direction { ENCRYPT, DECRYPT }

    /** In which order {@link #poll} releases completed packets. */
    public enum Order {
        /** An SA's packets in arrival order; packets of different SAs may overtake each other. */
        PER_SA,
        /** Arrival order over all packets. */
        GLOBAL,
        /** Completion order: no reorder waiting. */
        NONE
    }

    /**
     * What a worker does with one ticket. The engine's own work is the inline stages' ({@link EspOutput},
     * {@link EspInput}); an offload device that models hardware on its own threads supplies another (its engines,
     * its service time) through {@link DeviceHooks}. One instance per thread, made on that thread.
     */
    public interface Work {
        /**
         * Outbound: encapsulate and seal {@code p} with {@code sa}, counting the outcome as {@link EspOutput} does.
         *
         * @param seq the sequence number taken at submission, or 0 when the engine was told not to take it
         *            ({@link DeviceHooks#sequenceOnSubmit()} false: the work owns the SA's counter)
         */
        XfrmCounter encrypt(PacketBuffer p, SecurityAssociation sa, long seq);

        /** Inbound: whatever the engine's consumer expects; the outcome decides delivery as for the inline stage. */
        XfrmCounter decrypt(PacketBuffer p);
    }

    /**
     * The work of a device that segments (TSO): engines whose hooks allow more than one segment per packet
     * ({@link DeviceHooks#maxSegments()} above 1) require it of their work when a worker makes it.
     */
    public interface SegmentingWork extends Work {
        /**
         * Outbound TSO ({@link PacketBuffer#gsoSegments()} above 1): cut the super-packet into its segments and seal
         * segment {@code i} with {@code firstSeq + i}, appending the sealed ones to {@code out} in order. The work
         * owns {@code p} from here: it ends up in the segments or released with its drop counted; the engine
         * delivers {@code out} and never touches {@code p} again.
         *
         * @param firstSeq the first of the numbers reserved at submission, or 0 when the work owns the counter
         * @return {@link XfrmCounter#EsplineOutDelivered} when {@code out} holds segments, else the drop reason
         */
        XfrmCounter encryptSegments(PacketBuffer p, SecurityAssociation sa, long firstSeq, PacketBatch out);
    }

    /**
     * On the submitting thread, for each outbound packet with an SA: true to hand it to the workers, false when
     * the caller's software path must do it there and then (an offload device's fallback).
     */
    @FunctionalInterface
    public interface Admission {
        boolean admit(PacketBuffer p, SecurityAssociation sa);
    }

    /**
     * How an offload device runs on this engine's ring: its own per-thread {@link Work}; an admission check
     * (outbound, may be null: admit all); whether the submitting thread takes the sequence number (crypto offload)
     * or the work does (packet offload: the device owns the counter; then one worker keeps arrival order). A
     * device engine never runs tickets on the pipeline thread ({@link #help} does nothing): the point of the
     * device is that the pipeline thread does not do the crypto.
     */
    public record DeviceHooks(java.util.function.Supplier<Work> work, Admission admission, boolean sequenceOnSubmit,
                              int maxSegments) {
        /**
         * @param maxSegments TSO: the most segments one super-packet becomes (each ring slot keeps room for them);
         *                    1 for a device without TSO, whose packets are never segmented on the ring
         */
        public DeviceHooks {
            Objects.requireNonNull(work, "work");
            if (maxSegments < 1) {
                throw new IllegalArgumentException("maxSegments: " + maxSegments + " (expected: >= 1)");
            }
        }

        public DeviceHooks(java.util.function.Supplier<Work> work, Admission admission, boolean sequenceOnSubmit) {
            this(work, admission, sequenceOnSubmit, 1);
        }
    }

    /**
     * The inline stages' work, for an engine without device hooks. It leaves the count of delivered packets to
     * {@link #poll} (see {@link #countDelivery}).
     */
    private static final class InlineWork implements Work {
        private final EspOutput out;
        private final EspInput in;

        InlineWork(Direction direction, XfrmStats stats, SaDatabase sad) {
            this.out = direction == Direction.ENCRYPT ? new EspOutput(stats) : null;
            this.in = direction == Direction.DECRYPT ? new EspInput(sad, stats) : null;
        }

        @Override
        public XfrmCounter encrypt(PacketBuffer p, SecurityAssociation sa, long seq) {
            return out.encapsulateCountingDrops(p, sa, seq);
        }

        @Override
        public XfrmCounter decrypt(PacketBuffer p) {
            return in.decapsulateCountingDrops(p);
        }
    }

    /** Lanes of the per-SA reorder point (one bit each in a {@code long}). */
    static final int LANES = 64;
    /** The lane mask of a packet without an SA under {@link Order#PER_SA}: ordered against every lane. */
    private static final long BARRIER = -1L;
    private static final byte KIND_WORK = 0;
    private static final byte KIND_PASS = 1;
    /**
     * Idle polls of a worker before it parks (about a microsecond each with the PAUSE of current x86 cores): long
     * enough to bridge the gap between two batches of a busy pipeline, short enough not to take a core the pipeline
     * thread or the other workers need. No {@code Thread.yield}: with more busy threads than cores a yielding
     * worker keeps being rescheduled and burns the CPU the others wait for.
     */
    private static final int SPINS = 200;
    /** A parked thread's safety net: every wake-up is explicit (unpark), this only bounds a lost one. */
    private static final long PARK_NANOS = 1_000_000;
    /** Tickets a worker claims with one CAS at most (fewer when fewer are waiting per worker). */
    static final int MAX_CLAIM = 8;
    /** Polls of the awaited completion word before the pipeline thread parks in {@link #awaitCompletions}. */
    private static final int AWAIT_SPINS = 64;

    private final String name;
    private final Direction direction;
    private final Order order;
    private final int capacity;
    /** Slot of a ticket: {@code ticket & mask}; the ring has the next power of two of {@code capacity} slots. */
    private final int mask;
    private final XfrmStats stats;
    /** Deliveries the workers left to the poller, counted per run of one SA (poll's thread only). */
    private final DeliveredTally delivered;
    private final XfrmStats events = new XfrmStats();
    private final SaDatabase sad;
    private final boolean passClear;
    /** Null for the engine's own work. */
    private final DeviceHooks device;

    // --- slots: written by the submitter before publishing, read by the claiming worker, results back ---
    private final PacketBuffer[] packets;
    private final SecurityAssociation[] sas;
    private final long[] sequences;
    private final byte[] kinds;
    /** Per slot: the lane bits the ticket waits on and blocks (one lane, or {@link #BARRIER}). */
    private final long[] lanes;
    private final XfrmCounter[] results;
    /**
     * Per slot: the work delivered the packet and left its EsplineOut/InDelivered count to {@link #poll}, which adds
     * them up per run of one SA: two atomic adds per poll instead of two per packet on counters both workers share.
     */
    private final boolean[] countDelivery;
    /** TSO (null without): per slot, whether its ticket is a super-packet, and the sealed segments it became. */
    private final boolean[] segmented;
    private final PacketBatch[] segments;
    /** Per slot: ticket + 1 once that ticket's work is done (release store by the worker, acquire load by poll). */
    private final AtomicLongArray completed;

    // --- submitting/polling thread only ---
    private final boolean[] released;
    private final boolean[] waited;
    /** Per lane: its tickets in flight; {@link #activeLanes} has a bit for each lane with any (barriers not counted). */
    private final int[] laneTickets = new int[LANES];
    private long activeLanes;
    private long submitted;
    private long oldest;
    private int inFlight;
    private long consumed;
    /** Tickets behind the first waiting one that {@link #poll} examines for other lanes' finished packets. */
    static final int LOOKAHEAD = 64;

    private final EspOutput preparer;
    private final Admission admission;
    private final boolean sequenceOnSubmit;
    /** The pipeline thread's own ESP code for {@link #help} (created on first use, on that thread). */
    private Work helper;
    private long helped;
    private long awaited;
    private final Ipv6ExtensionWalker walker = new Ipv6ExtensionWalker();

    // --- shared with the workers ---
    /** Tickets below this are published (ordered store by the submitter). */
    private final AtomicLong published = new AtomicLong();
    /** The next ticket a worker may claim. */
    private final AtomicLong claimed = new AtomicLong();
    private final Worker[] workers;
    private volatile boolean closing;
    /** The pipeline thread while it is parked in {@link #awaitCompletions}, else null. */
    private volatile Thread waiter;
    /** The ticket whose completion wakes {@link #waiter} (written by it before it announces itself). */
    private volatile long wakeAt = Long.MAX_VALUE;
    /** The oldest ticket {@link #waiter} waits for: its completion wakes it too. */
    private volatile long wakeFirst = Long.MAX_VALUE;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private CryptoEngine(String name, Direction direction, int workers, int capacity, Order order, XfrmStats stats,
                         SaDatabase sad, boolean passClear, DeviceHooks device) {
        if (workers < 1 || capacity < 1) {
            throw new IllegalArgumentException("engine " + name + ": workers: " + workers + ", queue: " + capacity
                    + " (expected: workers >= 1, queue >= 1)");
        }
        this.name = Objects.requireNonNull(name, "name");
        this.direction = direction;
        this.order = Objects.requireNonNull(order, "order");
        this.capacity = capacity;
        final int slots = Integer.highestOneBit(capacity) == capacity ? capacity : Integer.highestOneBit(capacity) << 1;
        if (slots <= 0) {
            throw new IllegalArgumentException("engine " + name + ": queue: " + capacity + " (expected: <= 2^30)");
        }
        this.mask = slots - 1;
        this.stats = Objects.requireNonNull(stats, "stats");
        this.delivered = new DeliveredTally(stats,
                direction == Direction.ENCRYPT ? XfrmCounter.EsplineOutDelivered : XfrmCounter.EsplineInDelivered);
        this.sad = sad;
        this.passClear = passClear;
        this.device = device;
        this.packets = new PacketBuffer[slots];
        this.sas = new SecurityAssociation[slots];
        this.sequences = new long[slots];
        this.kinds = new byte[slots];
        this.lanes = new long[slots];
        this.results = new XfrmCounter[slots];
        this.countDelivery = new boolean[slots];
        if (device != null && device.maxSegments() > 1 && direction == Direction.ENCRYPT) {
            this.segmented = new boolean[slots];
            this.segments = new PacketBatch[slots];
            for (int i = 0; i < slots; i++) {
                this.segments[i] = new PacketBatch(device.maxSegments());
            }
        } else {
            this.segmented = null;
            this.segments = null;
        }
        this.completed = new AtomicLongArray(slots);
        this.released = new boolean[slots];
        java.util.Arrays.fill(released, true);
        this.waited = new boolean[slots];
        this.preparer = direction == Direction.ENCRYPT ? new EspOutput(stats) : null;
        this.admission = device == null ? null : device.admission();
        this.sequenceOnSubmit = device == null || device.sequenceOnSubmit();
        this.workers = new Worker[workers];
        for (int i = 0; i < workers; i++) {
            this.workers[i] = new Worker("espline-" + name + "-" + i);
        }
        for (Worker w : this.workers) {
            w.start();
        }
    }

    /**
     * An outbound engine: packets carry their SA in metadata (from classification), as for the inline
     * {@link org.espline.runtime.pipeline.EncryptStage}.
     *
     * @param name    names the worker threads
     * @param workers worker threads, at least 1
     * @param queue   packets in flight at most (submitted and not yet polled), at least 1
     */
    public static CryptoEngine encrypting(String name, int workers, int queue, Order order, XfrmStats stats) {
        return new CryptoEngine(name, Direction.ENCRYPT, workers, queue, order, stats, null, false, null);
    }

    /**
     * An inbound engine, as the inline {@link org.espline.runtime.pipeline.DecryptStage}: decrypted packets and,
     * with {@code passClear}, clear traffic (EsplineSkippedNotEsp) are delivered; other non-drop endings (IKE,
     * keepalive) are {@linkplain #consumed() consumed}.
     */
    public static CryptoEngine decrypting(String name, int workers, int queue, Order order, SaDatabase sad,
                                          XfrmStats stats, boolean passClear) {
        return new CryptoEngine(name, Direction.DECRYPT, workers, queue, order, stats,
                Objects.requireNonNull(sad, "sad"), passClear, null);
    }

    /**
     * An engine whose workers are an offload device's threads: the ring, the tickets, the per-SA reorder point and
     * back-pressure are this class's, the work per ticket the device's ({@link DeviceHooks}). Inbound, the work's
     * {@link XfrmCounter#EsplineInDelivered} delivers (and {@link XfrmCounter#EsplineSkippedNotEsp} with
     * {@code passClear}).
     *
     * @param sad inbound only (may be null outbound)
     */
    public static CryptoEngine forDevice(String name, Direction direction, int workers, int queue, Order order,
                                         XfrmStats stats, SaDatabase sad, boolean passClear, DeviceHooks hooks) {
        return new CryptoEngine(name, direction, workers, queue, order, stats, sad, passClear,
                Objects.requireNonNull(hooks, "hooks"));
    }

    public String name() { return name; }

    public Direction direction() { return direction; }

    public Order order() { return order; }

    /** The ring's slots: packets in flight at most. */
    public int capacity() { return capacity; }

    public int workers() { return workers.length; }

    /**
     * The engine's own events, EsplineEngineQueueFull and EsplineEngineReorderWait: kept apart from the pipeline's
     * counters (which count packet outcomes only, the same with an engine as inline) because how often the ring
     * fills or a completion waits depends on timing.
     */
    public XfrmStats events() { return events; }

    /** Packets submitted and not yet polled (submitting thread). */
    public int inFlight() { return inFlight; }

    /** Packets that ended in a worker under a non-drop counter other than delivery (decrypt: IKE, keepalive...). */
    public long consumed() { return consumed; }

    // ------------------------------------------------------------------ submission

    /**
     * Submits packets from the front of {@code in}, in order, until the ring is full; they are removed from
     * {@code in} and the rest stay there, in order, for the caller to offer again (back-pressure, never a drop).
     * A call that leaves packets counts one EsplineEngineQueueFull in {@link #events()}. Never blocks.
     *
     * @return packets taken from {@code in} (including those that ended at submission, see the class comment)
     * @throws IllegalStateException after {@link #close()}
     */
    public int offer(PacketBatch in) {
        if (closing) {
            throw new IllegalStateException("engine " + name + " is closed");
        }
        final int n = in.size();
        final int cap = capacity;
        final boolean encrypt = direction == Direction.ENCRYPT;
        long t = submitted;
        int taken = 0;
        int runEnd = 0;
        for (; taken < n; taken++) {
            final int s = (int) (t & mask);
            if (inFlight >= cap || !released[s]) {
                break;
            }
            final PacketBuffer p = in.get(taken);
            byte kind = KIND_WORK;
            boolean whole = false;
            int key;
            if (encrypt) {
                if (p.hasFlag(ClassifyStage.FLAG_BYPASS)) {
                    kind = KIND_PASS;
                    key = 0; // no SA: a barrier
                    sas[s] = null;
                } else if (!(p.securityAssociation() instanceof SecurityAssociation sa)) {
                    stats.increment(XfrmCounter.XfrmOutNoStates);
                    p.release();
                    continue;
                } else if (admission != null && !admission.admit(p, sa)) {
                    // Software fallback, here and now, on the SA's own transform; the packet still takes a
                    // ticket in its SA's lane, so it leaves in arrival order with the device's packets.
                    if (preparer.encapsulate(p, sa) != XfrmCounter.EsplineOutDelivered) {
                        p.release();
                        continue;
                    }
                    kind = KIND_PASS;
                    sas[s] = null;
                    key = sa.spi();
                } else {
                    // TSO: the device segments; its segments take consecutive numbers, reserved here in one step.
                    whole = segmented != null && p.gsoSegments() > 1;
                    long seq = 0;
                    if (sequenceOnSubmit) {
                        if (!whole && taken >= runEnd) {
                            runEnd = EncryptStage.reserveRun(preparer, in, taken, taken + cap - inFlight, sa);
                        }
                        seq = whole ? preparer.prepareSegments(p, sa, p.gsoSegments()) : preparer.prepare(p, sa);
                        if (seq == 0) {
                            p.release();
                            continue;
                        }
                    }

                    sas[s] = sa;
                    sequences[s] = seq;
                    key = sa.spi();
                }
            } else {
                if (!p.isLinear()) {
                    p.linearise();
                }
                key = espSpi(p);
            }
            packets[s] = p;
            kinds[s] = kind;
            if (segmented != null) {
                segmented[s] = whole;
            }
            final long bits = order == Order.NONE ? 0 : order == Order.GLOBAL || key == 0 ? BARRIER : 1L << lane(key);
            lanes[s] = bits;
            if (bits != 0 && bits != BARRIER) {
                final int l = Long.numberOfTrailingZeros(bits);
                if (laneTickets[l]++ == 0) {
                    activeLanes |= bits;
                }
            }
            released[s] = false;
            waited[s] = false;
            t++;
            inFlight++;
        }
        if (preparer != null) {
            preparer.endBatch(); // gives back what a run reserved for packets that did not fit
        }
        in.removeFirst(taken);
        if (t != submitted) {
            submitted = t;
            published.set(t); // volatile store: publishes the slots; StoreLoad before reading the parked flags
            for (Worker w : workers) {
                if (w.parked) {
                    LockSupport.unpark(w);
                }
            }
        }
        if (taken < n) {
            events.increment(XfrmCounter.EsplineEngineQueueFull);
        }
        return taken;
    }

    private static int lane(int key) {
        final int h = key * 0x9E3779B9;
        return (h ^ (h >>> 16)) & (LANES - 1);
    }

    /**
     * The SPI of an ESP or ESP-in-UDP packet, or 0 when it is neither (such packets share lane {@code lane(0)}).
     * Only for choosing the lane: the worker parses the packet for real.
     */
    private int espSpi(PacketBuffer p) {
        final byte[] a = p.array();
        final int off = p.data();
        final int len = p.linearLength();
        if (len < 1) {
            return 0;
        }
        int proto;
        int pay;
        int end;
        final int version = u8(a, off) >>> 4;
        if (version == 4 && len >= 20) {
            final int ihl = (a[off] & 0x0F) << 2;
            proto = u8(a, off + 9);
            pay = off + ihl;
            end = off + Math.min(len, u16(a, off + 2));
        } else if (version == 6 && len >= Ipv6Header.LENGTH) {
            end = off + Math.min(len, Ipv6Header.LENGTH + u16(a, off + Ipv6Header.PAYLOAD_LENGTH_OFFSET));
            if (!walker.walk(a, off, end)) {
                return 0;
            }
            proto = walker.protocol();
            pay = walker.protocolOffset();
        } else {
            return 0;
        }
        if (proto == IpProtocols.ESP && pay + 4 <= end) {
            return i32(a, pay);
        }
        if (proto == IpProtocols.UDP && pay + 12 <= end
                && (u16(a, pay) == UdpEncapsulation.IKE_NAT_T_PORT || u16(a, pay + 2) == UdpEncapsulation.IKE_NAT_T_PORT)) {
            return i32(a, pay + 8);
        }
        return 0;
    }

    // ------------------------------------------------------------------ completion

    /**
     * Releases completed packets into {@code out}, in the configured order, as many as fit: delivered packets
     * are appended, dropped and consumed ones released to their pools (their counters were counted by the
     * worker). Never blocks.
     *
     * @return packets released from the engine (appended or ended)
     * @throws IllegalStateException when a worker failed with an exception
     */
    public int poll(PacketBatch out) {
        final Throwable f = failure.get();
        if (f != null) {
            throw new IllegalStateException("engine " + name + ": a worker failed", f);
        }
        final long end = submitted;
        long blocked = 0;
        int ended = 0;
        int behindBlocked = 0;
        for (long t = oldest; t < end; t++) {
            final int s = (int) (t & mask);
            if (released[s]) {
                continue;
            }
            if (blocked != 0 && ++behindBlocked > LOOKAHEAD) {
                // Past a waiting ticket, look only so far for other lanes' finished packets: scanning the whole ring
                // on every poll made one slow ticket cost O(queue) per call (a single SA's lane is all of it).
                break;
            }
            final long bit = lanes[s];
            final boolean done = completed.get(s) == t + 1; // volatile load: acquires the worker's results
            if ((blocked & bit) != 0) {
                if (done && !waited[s]) {
                    waited[s] = true;
                    events.increment(XfrmCounter.EsplineEngineReorderWait);
                }
                blocked |= bit;
                continue;
            }
            if (!done) {
                blocked |= bit;
                // Past here only tickets of lanes that are not blocked can leave, and a barrier never: when every lane
                // with tickets in flight is blocked (a single SA's traffic), stop at the first incomplete ticket.
                if (blocked == BARRIER || (bit != 0 && (activeLanes & ~blocked) == 0)) {
                    // Every lane waits: nothing later can be released. Note the next ticket's wait if it is done,
                    // rather than walk the whole ring on every poll.
                    final long next = t + 1;
                    final int ns = (int) (next & mask);
                    if (next < end && !released[ns] && !waited[ns] && completed.get(ns) == next + 1) {
                        waited[ns] = true;
                        events.increment(XfrmCounter.EsplineEngineReorderWait);
                    }
                    break;
                }
                continue;
            }
            final PacketBuffer p = packets[s];
            final XfrmCounter r = results[s];
            if (segmented != null && segmented[s]) {
                // A super-packet's sealed segments leave together, or wait for room; the super-packet itself
                // belongs to them (or was released by the work) and is not touched here.
                final PacketBatch segs = segments[s];
                if (segs.size() > out.remaining()) {
                    break;
                }
                out.moveFrom(segs);
            } else if (isDelivered(r)) {
                if (!out.add(p)) {
                    break;
                }
                if (countDelivery[s]) {
                    delivered.add(p.securityAssociation() instanceof SecurityAssociation a ? a : null);
                }
            } else {
                if (!r.isDrop()) {
                    consumed++;
                }
                p.release();
            }
            packets[s] = null;
            sas[s] = null;
            results[s] = null;
            released[s] = true;
            if (bit != 0 && bit != BARRIER) {
                final int l = Long.numberOfTrailingZeros(bit);
                if (--laneTickets[l] == 0) {
                    activeLanes &= ~bit;
                }
            }
            inFlight--;
            ended++;
        }
        long o = oldest;
        while (o < end && released[(int) (o & mask)]) {
            o++;
        }
        oldest = o;
        delivered.flush();
        return ended;
    }

    private boolean isDelivered(XfrmCounter r) {
        return r == XfrmCounter.EsplineOutDelivered || r == XfrmCounter.EsplineInDelivered
                || (passClear && r == XfrmCounter.EsplineSkippedNotEsp);
    }

    /** Does ticket {@code ticket}'s work (a worker, or the pipeline thread helping) and publishes the result. */
    private void process(long ticket, Work work) {
        final int s = (int) (ticket & mask);
        final PacketBuffer p = packets[s];
        XfrmCounter r;
        try {
            if (kinds[s] == KIND_PASS) {
                r = XfrmCounter.EsplineOutDelivered;
            } else if (direction == Direction.ENCRYPT && segmented != null && segmented[s]) {
                if (!(work instanceof SegmentingWork sw)) {
                    // Counted below as an error and reported by the engine's failure, like any fault of the work.
                    throw new IllegalStateException(name + ": hooks allow " + segments[s].capacity()
                            + " segments per packet, but the device's work does not segment (TSO)");
                }
                r = sw.encryptSegments(p, sas[s], sequences[s], segments[s]);
            } else if (direction == Direction.ENCRYPT) {
                r = work.encrypt(p, sas[s], sequences[s]);
            } else {
                r = work.decrypt(p);
            }
        } catch (RuntimeException | Error e) {
            r = direction == Direction.ENCRYPT ? XfrmCounter.XfrmOutError : XfrmCounter.XfrmInError;
            stats.increment(r);
            failure.compareAndSet(null, e);
        }
        results[s] = r;
        countDelivery[s] = work instanceof InlineWork
                && (r == XfrmCounter.EsplineOutDelivered || r == XfrmCounter.EsplineInDelivered) && kinds[s] != KIND_PASS;
        completed.lazySet(s, ticket + 1); // publish last: release store of the packet and the result
    }

    /**
     * After a worker completed the tickets {@code first..last}: wakes the pipeline thread if it is parked waiting for
     * one of them (the oldest it waits for, or the later one that batches its wake-ups). The full fence orders the release stores of the completions before the read of {@link #waiter}
     * (StoreLoad), pairing with the waiter's volatile store of itself before it re-reads the completion word: one
     * of the two sees the other, so a wake-up is never lost. Once per claimed run of tickets, not per packet.
     */
    private void completed(long first, long last) {
        java.lang.invoke.VarHandle.fullFence(); // StoreLoad: completions before the read of waiter
        final Thread w = waiter;
        if (w != null) {
            final long f = wakeFirst;
            // Taking the waiter (CAS to null) makes the wake-up one per wait: the other worker, or this one's next run,
            // finds no waiter until the pipeline thread announces itself again.
            if ((last >= wakeAt || (first <= f && f <= last)) && WAITER.compareAndSet(this, w, null)) {
                LockSupport.unpark(w);
            }
        }
    }

    private static final java.lang.invoke.VarHandle WAITER;

    static {
        try {
            WAITER = java.lang.invoke.MethodHandles.lookup().findVarHandle(CryptoEngine.class, "waiter", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Waits, parked, until the oldest unreleased ticket and the one {@code want - 1} places past it (at least half of
     * the packets in flight; at most the last submitted one) have completed, at most {@code maxNanos}: what the
     * pipeline thread does when the ring is full or its source dry and nothing is ready to release, instead of spinning
     * on {@link #poll} and taking the CPU the workers need. The workers that complete those two tickets unpark it (at
     * most two wake-ups per call, not one per packet). Returns at once when nothing is in flight or both are complete;
     * an early return is harmless (the caller polls and may wait again).
     *
     * @param want completions the caller needs (the packets it holds back), at least 1
     */
    public void awaitCompletions(int want, long maxNanos) {
        if (inFlight == 0) {
            return;
        }
        // The oldest unreleased ticket is what poll waits for; the later one, at least half of what is in flight,
        // batches the wake-ups: the other half keeps the workers busy while this thread catches up, and a wake-up (a
        // futex call and a context switch on each side, microseconds) is paid per many packets. Both must be done:
        // with two workers the later one may finish first while the oldest is still with a worker, and returning
        // then made this thread spin on empty polls, on the very core that worker needed.
        final long first = oldest;
        final long last = Math.min(first + Math.max(Math.max(1, want), inFlight / 2) - 1, submitted - 1);
        final int fs = (int) (first & mask);
        final int ls = (int) (last & mask);
        for (int i = 0; i < AWAIT_SPINS; i++) {
            if (completed.get(fs) == first + 1 && completed.get(ls) == last + 1) {
                return;
            }
            Thread.onSpinWait();
        }
        awaited++;
        wakeFirst = first;
        wakeAt = last;
        final Thread me = Thread.currentThread();
        final long deadline = System.nanoTime() + maxNanos;
        for (;;) {
            waiter = me; // volatile store, then re-check: see completed(long, long), which takes it when it wakes us
            if ((completed.get(fs) == first + 1 && completed.get(ls) == last + 1) || failure.get() != null) {
                break;
            }
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            LockSupport.parkNanos(this, left);
        }
        waiter = null;
        wakeAt = Long.MAX_VALUE;
        wakeFirst = Long.MAX_VALUE;
    }

    /** Times the pipeline thread waited in {@link #awaitCompletions} (parked or about to). */
    public long awaited() { return awaited; }

    /**
     * Runs up to {@code max} unclaimed tickets on the calling thread (the pipeline's): caller-runs, for a caller that
     * wants its pipeline thread to do crypto when it would otherwise wait for completions. {@link EngineStage} does not:
     * there the pipeline thread waits parked ({@link #awaitCompletions}) and the workers own the crypto, so that an
     * engine of N workers is N crypto threads (pcrypt's split of networking and crypto CPUs) and not N plus a pipeline
     * thread that races them for tickets (which made one worker's throughput depend on who won). The results are published and released in order exactly as a worker's; the thread uses its
     * own transform instances (per thread per SA), never a worker's.
     *
     * @return tickets run here
     */
    public int help(int max) {
        if (device != null) {
            return 0;
        }
        int n = 0;
        while (n < max) {
            final long c = claimed.get();
            if (c >= published.get()) {
                break;
            }
            if (!claimed.compareAndSet(c, c + 1)) {
                continue;
            }
            if (helper == null) {
                helper = new InlineWork(direction, stats, sad);
            }
            process(c, helper);
            n++;
        }
        helped += n;
        return n;
    }

    /** Tickets the pipeline thread ran itself ({@link #help}). */
    public long helped() { return helped; }

    // ------------------------------------------------------------------ shutdown

    /**
     * Drains and stops: refuses further {@link #offer}s, lets the workers complete every submitted packet, then
     * waits for them to end. Everything submitted can still be {@linkplain #poll polled} afterwards; nothing is
     * lost. Idempotent.
     */
    @Override
    public void close() {
        closing = true;
        for (Worker w : workers) {
            LockSupport.unpark(w);
        }
        boolean interrupted = false;
        for (Worker w : workers) {
            for (;;) {
                try {
                    w.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean isClosed() { return closing; }

    @Override
    public String toString() {
        return "CryptoEngine[" + name + " " + direction + " workers=" + workers.length + " queue=" + capacity
                + " order=" + order + " inFlight=" + inFlight + "]";
    }

    /** A worker: claims the next published ticket, does the inline stage's work on it, publishes the outcome. */
    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(String threadName) {
            super(threadName);
            setDaemon(true);
        }

        @Override
        public void run() {
            final Work work = device == null ? new InlineWork(direction, stats, sad) : device.work().get();
            final AtomicLong claimed = CryptoEngine.this.claimed;
            final AtomicLong published = CryptoEngine.this.published;
            final int n = workers.length;
            int idle = 0;
            for (;;) {
                final long c = claimed.get();
                final long waiting = published.get() - c;
                if (waiting > 0) {
                    // Claim a run of tickets with one CAS (a share of what waits, so the other workers get theirs):
                    // the shared counter's cache line moves once per run instead of once per packet.
                    final int k = (int) Math.max(1, Math.min(MAX_CLAIM, waiting / n));
                    if (claimed.compareAndSet(c, c + k)) {
                        for (long t = c; t < c + k; t++) {
                            process(t, work);
                        }
                        completed(c, c + k - 1);
                        idle = 0;
                    }
                    continue;
                }
                if (closing) {
                    // closing is set after the last offer, so the published count read above is final.
                    if (claimed.get() >= published.get()) {
                        return;
                    }
                    continue;
                }
                if (++idle <= SPINS) {
                    Thread.onSpinWait();
                } else {
                    parked = true; // volatile store, then re-check: offer stores published before reading parked
                    if (claimed.get() >= published.get() && !closing) {
                        LockSupport.parkNanos(this, PARK_NANOS);
                    }
                    parked = false;
                    idle = 0;
                }
            }
        }

    }
}
