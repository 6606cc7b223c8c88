package org.espline.runtime.sa;

import org.espline.runtime.header.InternetChecksum;

import java.net.Inet4Address;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Consumer;

import org.espline.runtime.crypto.EspTransform;
import org.espline.runtime.crypto.EspTransforms;
import org.espline.runtime.replay.ReplayWindow;
import org.espline.runtime.stats.XfrmStats;

/**
 * A live SA: its immutable {@link SaConfig} plus the little mutable state the packet path shares
 * between threads: the outbound sequence counter, the inbound replay window, lifetime usage and
 * per-SA counters. Everything else is final so the JIT can fold it.
 *
 * <p>Thread-safe. Crypto objects are per thread ({@link #transform()}), never shared.
 */
public final class SecurityAssociation {
    /** Life of the SA as lifetimes see it. */
    public enum State { VALID, SOFT_EXPIRED, EXPIRED }

    private final SaConfig config;
    private final byte[] sourceBytes;
    private final byte[] destinationBytes;
    /** Ones'-complement sum of the 16-bit words of both IPv4 addresses (0 for IPv6): an outer header's constant part. */
    private final int ipv4AddressSum;
    private final boolean ipv6;
    private final long maxSequence;
    private final AtomicLong outboundSequence;
    private final ReplayWindow replayWindow;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong packets = new AtomicLong();
    private final long addedNanos;
    private final XfrmStats stats = new XfrmStats();
    private final ThreadLocal<EspTransform> transforms;
    private volatile State state = State.VALID;
    private static final AtomicReferenceFieldUpdater<SecurityAssociation, State> STATE =
            AtomicReferenceFieldUpdater.newUpdater(SecurityAssociation.class, State.class, "state");
    private volatile Consumer<SecurityAssociation> softExpireListener;

    public SecurityAssociation(SaConfig config) {
        this(config, System.nanoTime());
    }

    SecurityAssociation(SaConfig config, long addedNanos) {
        this.config = config;
        this.sourceBytes = config.source().getAddress();
        this.destinationBytes = config.destination().getAddress();
        this.ipv4AddressSum = destinationBytes.length == 4 && sourceBytes.length == 4
                ? InternetChecksum.add(InternetChecksum.sum(sourceBytes, 0, 4), InternetChecksum.sum(destinationBytes, 0, 4))
                : 0;
        this.ipv6 = !(config.destination() instanceof Inet4Address);
        // RFC 4303 §3.3.3: the counter must not cycle; the last usable number is 2^32-1, or 2^64-1 with ESN.
        this.maxSequence = config.esn() ? -1L : 0xFFFF_FFFFL;
        this.outboundSequence = new AtomicLong(config.outboundSequence());
        this.replayWindow = new ReplayWindow(config.replayWindow(), config.inboundSequence());
        this.addedNanos = addedNanos;
        this.transforms = ThreadLocal.withInitial(() -> EspTransforms.create(config));
    }

    public SaConfig config() { return config; }

    public int spi() { return config.spi(); }

    public boolean isIpv6() { return ipv6; }

    /** Source address bytes (4 or 16), for writing outer headers; callers must not modify them. */
    public byte[] sourceBytes() { return sourceBytes; }

    /** Destination address bytes (4 or 16), for writing outer headers; callers must not modify them. */
    public byte[] destinationBytes() { return destinationBytes; }

    /**
     * The folded ones'-complement sum of the source and destination addresses when both are IPv4: ESP output adds
     * the per-packet fields to it for the outer header's checksum instead of summing the header it just wrote.
     */
    public int ipv4AddressSum() { return ipv4AddressSum; }

    public boolean destinationEquals(byte[] a, int off) {
        byte[] d = destinationBytes;
        for (int i = 0; i < d.length; i++) {
            if (a[off + i] != d[i]) {
                return false;
            }
        }
        return true;
    }

    /** This thread's transform for the SA's algorithm and keys. */
    public EspTransform transform() { return transforms.get(); }

    public ReplayWindow replayWindow() { return replayWindow; }

    public XfrmStats stats() { return stats; }

    public State state() { return state; }

    /**
     * The next outbound sequence number, or 0 when the counter is exhausted: the SA must then be
     * replaced, and the caller drops the packet under XfrmOutStateSeqError. Never wraps.
     */
    public long nextOutboundSequence() {
        final long max = maxSequence;
        for (;;) {
            long cur = outboundSequence.get();
            if (cur == max) {
                return 0;
            }
            if (outboundSequence.compareAndSet(cur, cur + 1)) {
                return cur + 1;
            }
        }
    }

    /**
     * Reserves {@code n} consecutive outbound sequence numbers in one step (a TSO super-packet's segments) and returns
     * the first; 0 when fewer than {@code n} are left, and then none is taken. Never wraps, never hands a number out
     * twice, whatever other threads take meanwhile.
     */
    public long reserveOutboundSequences(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n: " + n + " (expected: n >= 1)");
        }
        final long max = maxSequence;
        for (;;) {
            final long cur = outboundSequence.get();
            // Unsigned: with ESN the space is the whole of 2^64 - 1.
            if (Long.compareUnsigned(max - cur, n) < 0) {
                return 0;
            }
            if (outboundSequence.compareAndSet(cur, cur + n)) {
                return cur + 1;
            }
        }
    }

    /**
     * Gives back {@code count} reserved numbers from {@code next} on, the end of a reservation, when they were never
     * used and nobody has taken a number since (the usual case: only a packet dropped after its run was reserved
     * leaves some); otherwise they stay taken, a gap the receiver's window skips. Never lets a used number out again.
     */
    public void returnOutboundSequences(long next, int count) {
        if (count > 0) {
            outboundSequence.compareAndSet(next + count - 1, next - 1);
        }
    }

    /** The last outbound sequence number handed out. */
    public long outboundSequence() { return outboundSequence.get(); }

    /** Called when the soft lifetime is first reached (e.g. to start a rekey). */
    public void onSoftExpire(Consumer<SecurityAssociation> listener) { this.softExpireListener = listener; }

    /** Marks the SA expired (hard lifetime or deletion). */
    public void expire() { state = State.EXPIRED; }

    public boolean isExpired() {
        if (state == State.EXPIRED) {
            return true;
        }
        Lifetime hard = config.hardLifetime();
        if (hard.seconds() != Long.MAX_VALUE && elapsedSeconds() >= hard.seconds()) {
            state = State.EXPIRED;
            return true;
        }
        return false;
    }

    /**
     * Accounts one packet of {@code length} bytes against the lifetimes.
     *
     * @return false when this packet would pass the hard limit: the SA is now expired and the caller
     *         drops the packet as XfrmIn/OutStateExpired
     */
    public boolean account(int length) {
        return account(1, length);
    }

    /**
     * Accounts {@code count} packets of {@code length} bytes in all (a TSO super-packet's segments) against the
     * lifetimes, as {@link #account(int)} does for one.
     */
    public boolean account(int count, long length) {
        Lifetime hard = config.hardLifetime();
        long p = packets.addAndGet(count);
        long b = bytes.addAndGet(length);
        if (p > hard.packets() || b > hard.bytes()) {
            state = State.EXPIRED;
            return false;
        }
        Lifetime soft = config.softLifetime();
        if (state == State.VALID && (p >= soft.packets() || b >= soft.bytes()
                || (soft.seconds() != Long.MAX_VALUE && elapsedSeconds() >= soft.seconds()))) {
            raiseSoftExpire();
        }
        return true;
    }

    /**
     * {@link #account(int, long)} for a run of {@code count} packets of one batch, taken in one step instead of one
     * per packet; false, with nothing accounted, when the run would cross a hard limit, so that the caller accounts
     * those packets one by one and the limit falls on the exact packet. (Another thread may still cross it between
     * the check and the add: then the SA expires, as it would for a packet.)
     */
    public boolean accountRun(int count, long length) {
        final Lifetime hard = config.hardLifetime();
        if (packets.get() + count > hard.packets() || bytes.get() + length > hard.bytes()) {
            return false;
        }
        return account(count, length);
    }

    /** Takes back what {@link #accountRun} accounted for packets that were then dropped before they were sent. */
    public void unaccount(int count, long length) {
        if (count > 0) {
            packets.addAndGet(-count);
        }
        if (length > 0) {
            bytes.addAndGet(-length);
        }
    }

    private void raiseSoftExpire() {
        // CAS, not check-then-set: an expire() (SA deleted, hard limit) landing between a check and a
        // plain write would be overwritten and the dead SA would pass isExpired() again.
        if (!STATE.compareAndSet(this, State.VALID, State.SOFT_EXPIRED)) {
            return;
        }
        stats.increment(org.espline.runtime.stats.XfrmCounter.EsplineSoftExpire);
        Consumer<SecurityAssociation> l = softExpireListener;
        if (l != null) {
            l.accept(this);
        }
    }

    private long elapsedSeconds() {
        return (System.nanoTime() - addedNanos) / 1_000_000_000L;
    }

    public long packets() { return packets.get(); }

    public long bytes() { return bytes.get(); }

    @Override
    public String toString() {
        return "SecurityAssociation[" + config + " state=" + state + " oseq=" + outboundSequence.get()
                + " " + replayWindow + "]";
    }
}
