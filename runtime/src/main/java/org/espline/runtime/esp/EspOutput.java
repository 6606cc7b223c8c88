package org.espline.runtime.esp;

import static org.espline.runtime.header.NetworkBytes.put16;
import static org.espline.runtime.header.NetworkBytes.put32;
import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.crypto.EspTransform;
import org.espline.runtime.crypto.PayloadPieces;
import org.espline.runtime.crypto.TransformSource;
import org.espline.runtime.gso.TcpView;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.header.Ipv4Header;
import org.espline.runtime.header.Ipv6Header;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.sa.UdpEncapsulation;
import org.espline.runtime.stats.DeliveredTally;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * ESP output (RFC 4303 §3.3, RFC 3948 for UDP encapsulation), in place.
 *
 * <p>Like Linux's esp_output_head/esp_output_tail: first find room for the trailer — tailroom, else a
 * free fragment slot, and only then a counted copy — and for the headers in headroom; then write
 * trailer and headers around the payload where it lies and seal it in place.
 *
 * <p><b>Fragmented packets</b> (a GSO segment: copied headers in the linear part, its payload a read-only
 * fragment of the super-packet) are not linearised: when the buffer is private and its tailroom holds the
 * fragments' bytes, the transform encrypts out of place ({@link EspTransform#sealGather}) — the linear
 * part in place, each fragment straight into the tailroom behind it, then the trailer — and the fragments
 * are dropped, releasing what they held. The ciphertext is the crypto's output, not a copy; what
 * disappears is the memcpy a linearisation did before sealing. A shared buffer, a fragmented packet whose
 * tailroom cannot take its fragments, or one whose IP headers do not all lie in the linear part still
 * takes the last rung: a linearisation, counted in {@link org.espline.runtime.buffer.BufferStats}.
 *
 * <p>One instance per thread: it holds header views and scratch. Allocates nothing per packet (the
 * trailer scratch grows once to the largest trailer seen).
 */
public final class EspOutput {
    private static final int ESP_HEADER = 8;
    private static final int UDP_HEADER = 8;
    private static final int DEFAULT_TTL = 64;

    private final XfrmStats stats;
    private final Ipv4Header ip4 = new Ipv4Header();
    private final Ipv6Header ip6 = new Ipv6Header();
    /** The plaintext pieces of a fragmented packet's payload, for the gathering seal. */
    private final PayloadPieces pieces = new PayloadPieces();
    /** Finds a TSO super-packet's headers ({@link #prepareSegments}). */
    private final TcpView tcp = new TcpView();
    /** Where a gathering seal's trailer plaintext is built (it must not lie where the ciphertext goes). */
    private byte[] trailerScratch = new byte[PacketBuffer.TRAILER_AREA_SIZE];

    private final SaTransforms transforms;
    /** Delivered packets of {@link #encapsulateInBatch}, counted once per run of one SA. */
    private final DeliveredTally delivered;

    /** @param stats global counters (per-SA counters are counted too) */
    public EspOutput(XfrmStats stats) {
        this(stats, null);
    }

    /**
     * @param transforms where to take each SA's transform (an offload backend's engines), or null for the SA's own
     */
    public EspOutput(XfrmStats stats, TransformSource transforms) {
        this.stats = stats;
        this.transforms = new SaTransforms(transforms);
        this.delivered = new DeliveredTally(stats, XfrmCounter.EsplineOutDelivered);
    }

    /**
     * Encrypts the IP packet in {@code buf} with {@code sa}. On success the buffer holds the ESP packet
     * (outer IP header first) and carries the SA and sequence number as metadata. Same as
     * {@link #prepare} followed by {@link #encapsulate(PacketBuffer, SecurityAssociation, long)}.
     *
     * @return {@link XfrmCounter#EsplineOutDelivered}, or the drop reason (already counted); the caller
     *         releases a dropped buffer
     */
    public XfrmCounter encapsulate(PacketBuffer buf, SecurityAssociation sa) {
        XfrmCounter result = prepare0(buf, sa);
        if (result == null) {
            result = seal0(buf, sa, preparedSequence);
        }
        count(result, sa);
        return result;
    }

    /**
     * {@link #encapsulate(PacketBuffer, SecurityAssociation)} for a stage working through a batch: drops are counted
     * at once, delivered packets once per run of one SA and at the latest by {@link #endBatch()}, which the caller
     * must call before the batch leaves it.
     */
    public XfrmCounter encapsulateInBatch(PacketBuffer buf, SecurityAssociation sa) {
        XfrmCounter result = prepare0(buf, sa);
        if (result == null) {
            result = seal0(buf, sa, preparedSequence);
        }
        if (result == XfrmCounter.EsplineOutDelivered) {
            delivered.add(sa);
        } else {
            count(result, sa);
        }
        return result;
    }

    /**
     * Takes sequence numbers and lifetime for the next {@code packets} packets of {@code sa} (of {@code bytes} bytes
     * in all, as {@link PacketBuffer#length()} gives them) in one step: one atomic update of each instead of one per
     * packet. The calls of {@link #encapsulateInBatch} or {@link #prepare} that follow, for packets of {@code sa},
     * use them up in order; what a dropped packet leaves is given back by {@link #endBatch()}, or when a packet of
     * another SA comes first. Nothing is reserved, and each packet takes its own as before, when fewer than two
     * packets are announced, or when the run would reach a hard lifetime or the end of the sequence space (there the
     * limit must fall on the exact packet).
     */
    public void reserveRun(SecurityAssociation sa, int packets, long bytes) {
        closeRun();
        if (packets < 2 || !sa.accountRun(packets, bytes)) {
            return;
        }
        final long first = sa.reserveOutboundSequences(packets);
        if (first == 0) {
            sa.unaccount(packets, bytes);
            return;
        }
        runSa = sa;
        runNext = first;
        runLeft = packets;
        runBytesLeft = bytes;
    }

    /** Gives back what a run reserved and no packet used. */
    private void closeRun() {
        final SecurityAssociation sa = runSa;
        if (sa == null) {
            return;
        }
        sa.returnOutboundSequences(runNext, runLeft);
        sa.unaccount(runLeft, runBytesLeft);
        runSa = null;
        runLeft = 0;
        runBytesLeft = 0;
    }

    /**
     * Counts the delivered packets {@link #encapsulateInBatch} has not counted yet, and gives back what the last
     * {@link #reserveRun} left unused.
     */
    public void endBatch() {
        closeRun();
        delivered.flush();
    }

    /**
     * The first half of {@link #encapsulate(PacketBuffer, SecurityAssociation)}, for an asynchronous engine's
     * submitting thread: checks the packet, then takes the SA's next sequence number and accounts the packet
     * against the lifetimes, so both happen in arrival order. Nothing in the buffer changes except that it is
     * made linear.
     *
     * @return the sequence number to seal with (never 0); or 0 when the packet is dropped (its reason already
     *         counted: malformed, mode, expired SA, sequence space exhausted, hard lifetime), and the caller
     *         releases it
     */
    public long prepare(PacketBuffer buf, SecurityAssociation sa) {
        final XfrmCounter result = prepare0(buf, sa);
        if (result != null) {
            count(result, sa);
            return 0;
        }
        return preparedSequence;
    }

    /**
     * {@link #prepare} for a TCP super-packet a device segments itself (TSO), on the submitting thread: checks it,
     * then reserves {@code segments} consecutive sequence numbers in one step and accounts the segments (each the
     * super-packet's headers plus its share of the payload) against the lifetimes, so that the device's segment
     * {@code i} seals with {@code first + i} exactly as the software GSO + encrypt path numbers them. The buffer is
     * not touched (not even linearised: the device segments from its pieces).
     *
     * @return the first sequence number (never 0); or 0 when the packet is dropped (counted once: malformed,
     *         mode, expired SA, fewer than {@code segments} sequence numbers left, hard lifetime), and the caller
     *         releases it
     */
    public long prepareSegments(PacketBuffer buf, SecurityAssociation sa, int segments) {
        XfrmCounter bad = null;
        final int length = buf.length();
        final int version = buf.linearLength() < 1 ? 0 : u8(buf.array(), buf.data()) >>> 4;
        final long seq;
        if (segments < 1 || tcp.parse(buf) != TcpView.TCP) {
            bad = XfrmCounter.XfrmOutError;
        } else if (sa.config().mode() == SaMode.TRANSPORT && (version == 6) != sa.isIpv6()) {
            bad = XfrmCounter.XfrmOutStateModeError;
        } else if (sa.isExpired()) {
            bad = XfrmCounter.XfrmOutStateExpired;
        } else if ((seq = sa.reserveOutboundSequences(segments)) == 0) {
            bad = XfrmCounter.XfrmOutStateSeqError;
        } else if (!sa.account(segments, length + (long) (segments - 1) * tcp.headersLength())) {
            bad = XfrmCounter.XfrmOutStateExpired;
        } else {
            return seq;
        }
        count(bad, sa);
        return 0;
    }

    /**
     * The second half: encapsulates and seals with a sequence number already taken by {@link #prepare} (on
     * any thread: a crypto worker). The SA's expiry is not checked again: the packet was inside the lifetime
     * when it was prepared, even if later packets have since used it up.
     *
     * @return {@link XfrmCounter#EsplineOutDelivered}, or the drop reason (already counted); the caller
     *         releases a dropped buffer
     */
    public XfrmCounter encapsulate(PacketBuffer buf, SecurityAssociation sa, long seq) {
        final XfrmCounter result = encapsulateCountingDrops(buf, sa, seq);
        if (result == XfrmCounter.EsplineOutDelivered) {
            count(result, sa);
        }
        return result;
    }

    /**
     * {@link #encapsulate(PacketBuffer, SecurityAssociation, long)} that counts drops only: the caller counts the
     * delivered packet (EsplineOutDelivered, in this instance's stats and the SA's). For a crypto engine, whose
     * workers would otherwise add to the same two counters for every packet, moving their cache lines between cores;
     * the engine counts deliveries in runs on its polling thread instead.
     */
    public XfrmCounter encapsulateCountingDrops(PacketBuffer buf, SecurityAssociation sa, long seq) {
        XfrmCounter result = seq == 0 ? XfrmCounter.XfrmOutStateSeqError : layout(buf, sa, false);
        if (result == null) {
            result = seal0(buf, sa, seq);
        }
        if (result != XfrmCounter.EsplineOutDelivered) {
            count(result, sa);
        }
        return result;
    }

    private void count(XfrmCounter result, SecurityAssociation sa) {
        stats.increment(result);
        sa.stats().increment(result);
    }

    // The layout of the packet being encapsulated, set by layout() for seal0() (one instance per thread).
    private EspTransform t;
    private UdpEncapsulation encap;
    private boolean transport;
    private int version;
    private int icvLen;
    private int espHdrLen;
    private int keptHeaderLen;
    private int nextHeader;
    private int nextHeaderField;
    private int plainLen;
    private int tfcLen;
    private int padLen;
    private int trailerLen;
    private int outerLen;
    private int espLen;
    private int totalLen;
    private int length;
    private long preparedSequence;

    // The run reserveRun took numbers and lifetime for: next number, numbers and bytes left.
    private SecurityAssociation runSa;
    private long runNext;
    private int runLeft;
    private long runBytesLeft;

    /** Checks, layout, sequence number and lifetime: null when the packet may be sealed, else the drop reason. */
    private XfrmCounter prepare0(PacketBuffer buf, SecurityAssociation sa) {
        if (buf.hasFlag(PacketBuffer.FLAG_SEQUENCE_RESERVED)) {
            // A GSO segment: its number was reserved and its lifetime accounted with its super-packet's, which was
            // inside the lifetime then (as a prepared packet of an asynchronous engine is).
            buf.clearFlag(PacketBuffer.FLAG_SEQUENCE_RESERVED);
            final XfrmCounter bad = layout(buf, sa, false);
            if (bad != null) {
                return bad;
            }
            preparedSequence = buf.sequenceNumber();
            return preparedSequence == 0 ? XfrmCounter.XfrmOutStateSeqError : null;
        }
        final XfrmCounter bad = layout(buf, sa, true);
        if (bad != null) {
            return bad;
        }
        if (runSa != null) {
            if (runSa == sa && runLeft > 0 && runBytesLeft >= length) {
                preparedSequence = runNext++;
                runLeft--;
                runBytesLeft -= length;
                return null;
            }
            closeRun();
        }
        final long seq = sa.nextOutboundSequence();
        if (seq == 0) {
            return XfrmCounter.XfrmOutStateSeqError;
        }
        if (!sa.account(length)) {
            return XfrmCounter.XfrmOutStateExpired;
        }
        preparedSequence = seq;
        return null;
    }

    /** Checks the packet and computes where headers and trailer go: null when fine, else the drop reason. */
    private XfrmCounter layout(PacketBuffer buf, SecurityAssociation sa, boolean checkExpiry) {
        final SaConfig cfg = sa.config();
        if (!buf.isLinear() && !canSealFromFragments(buf, cfg.mode() == SaMode.TRANSPORT)) {
            // The last rung: make it contiguous (counted), then seal in place.
            buf.linearise();
        }
        final int length = buf.length();
        if (length < 1) {
            return XfrmCounter.XfrmOutError;
        }
        byte[] a = buf.array();
        int version = u8(a, buf.data()) >>> 4;
        if (!innerPacketIsWellFormed(a, buf.data(), length, version)) {
            return XfrmCounter.XfrmOutError;
        }
        final boolean transport = cfg.mode() == SaMode.TRANSPORT;
        if (transport && (version == 6) != sa.isIpv6()) {
            return XfrmCounter.XfrmOutStateModeError;
        }
        if (checkExpiry && sa.isExpired()) {
            return XfrmCounter.XfrmOutStateExpired;
        }

        final EspTransform t = transforms.of(sa);
        final UdpEncapsulation encap = cfg.encapsulation();
        final int ivLen = t.ivLength();
        final int icvLen = t.icvLength();
        final int espHdrLen = (encap != null ? UDP_HEADER : 0) + ESP_HEADER + ivLen;

        // What stays in front of the ESP header (transport: the IP header; tunnel: nothing), and what
        // the ESP header announces as next header.
        int keptHeaderLen;
        int nextHeader;
        int nextHeaderField = -1;
        if (!transport) {
            keptHeaderLen = 0;
            nextHeader = version == 4 ? IpProtocols.IPV4 : IpProtocols.IPV6;
        } else if (version == 4) {
            keptHeaderLen = (a[buf.data()] & 0x0F) << 2;
            nextHeaderField = buf.data() + Ipv4Header.PROTOCOL_OFFSET;
            nextHeader = u8(a, nextHeaderField);
        } else {
            nextHeaderField = ipv6EspInsertionField(a, buf.data(), buf.tail());
            if (nextHeaderField < 0) {
                return XfrmCounter.XfrmOutError;
            }
            keptHeaderLen = ipv6InsertionOffset - buf.data();
            nextHeader = u8(a, nextHeaderField);
        }
        final int plainLen = length - keptHeaderLen;
        final int tfcLen = !transport && cfg.tfcPadTo() > plainLen ? cfg.tfcPadTo() - plainLen : 0;
        final int block = t.blockSize();
        final int padLen = Math.floorMod(-(plainLen + tfcLen + 2), block);
        final int trailerLen = tfcLen + padLen + 2;
        final int outerLen = transport ? 0 : (sa.isIpv6() ? Ipv6Header.LENGTH : Ipv4Header.MIN_LENGTH);
        final int espLen = ESP_HEADER + ivLen + plainLen + trailerLen + icvLen;
        final int totalLen = keptHeaderLen + outerLen + (encap != null ? UDP_HEADER : 0) + espLen;
        if (totalLen > 0xFFFF + (sa.isIpv6() ? Ipv6Header.LENGTH : 0)) {
            return XfrmCounter.XfrmOutStateModeError;
        }
        this.t = t;
        this.encap = encap;
        this.transport = transport;
        this.version = version;
        this.icvLen = icvLen;
        this.espHdrLen = espHdrLen;
        this.keptHeaderLen = keptHeaderLen;
        this.nextHeader = nextHeader;
        this.nextHeaderField = nextHeaderField;
        this.plainLen = plainLen;
        this.tfcLen = tfcLen;
        this.padLen = padLen;
        this.trailerLen = trailerLen;
        this.outerLen = outerLen;
        this.espLen = espLen;
        this.totalLen = totalLen;
        this.length = length;
        return null;
    }

    /** Room, trailer, headers and seal, with the layout {@link #layout} left in the fields. */
    private XfrmCounter seal0(PacketBuffer buf, SecurityAssociation sa, long seq) {
        final SaConfig cfg = sa.config();
        final EspTransform t = this.t;
        final UdpEncapsulation encap = this.encap;
        final boolean transport = this.transport;
        final int version = this.version;
        final int icvLen = this.icvLen;
        final int espHdrLen = this.espHdrLen;
        final int keptHeaderLen = this.keptHeaderLen;
        final int nextHeader = this.nextHeader;
        int nextHeaderField = this.nextHeaderField;
        final int plainLen = this.plainLen;
        final int tfcLen = this.tfcLen;
        final int padLen = this.padLen;
        final int trailerLen = this.trailerLen;
        final int outerLen = this.outerLen;
        final int espLen = this.espLen;
        final int totalLen = this.totalLen;
        final int ivLen = t.ivLength();
        this.t = null;
        byte[] a;

        // --- room: trailer in tailroom, else a fragment slot, else a counted copy (esp_output_head) ---
        // A fragmented packet's payload bytes are encrypted into the tailroom in front of the trailer.
        buf.ensureWritable();
        int gathered = length - buf.linearLength();
        byte[] trailerArea = null;
        // Nothing to write into the payload (no cipher, no ICV): it stays in the fragments it shares with its
        // super-packet and only the trailer is added behind them, in the spare slot; no byte of payload moves.
        final boolean keepFragments = gathered > 0 && t.writesNothing() && (trailerArea = buf.trailerArea()) != null;
        if (keepFragments) {
            gathered = 0;
        } else if (buf.tailroom() < gathered + trailerLen + icvLen) {
            if (trailerLen + icvLen <= PacketBuffer.TRAILER_AREA_SIZE) {
                trailerArea = gathered == 0 ? buf.trailerArea() : buf.trailerAreaOnceFragmentsDropped();
            }
            if (trailerArea == null) {
                buf.ensureRoom(outerLen + espHdrLen, gathered + trailerLen + icvLen);
            }
        }
        if (buf.headroom() < outerLen + espHdrLen) {
            buf.ensureRoom(outerLen + espHdrLen, gathered + (trailerArea == null ? trailerLen + icvLen : 0));
        }
        a = buf.array();
        final int oldData = buf.data();

        // --- trailer: TFC zeros, padding 1,2,3..., pad length, next header (RFC 4303 §2.4-2.6) ---
        byte[] ta;
        int tOff;
        if (gathered > 0) {
            // A piece of the gathering seal's input: built apart from where its ciphertext goes.
            if (trailerScratch.length < trailerLen) {
                trailerScratch = new byte[trailerLen];
            }
            ta = trailerScratch;
            tOff = 0;
        } else if (trailerArea == null) {
            ta = a;
            tOff = buf.put(trailerLen + icvLen);
        } else {
            ta = trailerArea;
            tOff = 0;
        }
        for (int i = 0; i < tfcLen; i++) {
            ta[tOff + i] = 0;
        }
        int p = tOff + tfcLen;
        for (int i = 1; i <= padLen; i++) {
            ta[p++] = (byte) i;
        }
        ta[p++] = (byte) padLen;
        ta[p] = (byte) nextHeader;

        // --- headers into headroom ---
        int ipOff;
        int espOff;
        if (transport) {
            ipOff = buf.push(espHdrLen);
            // The kept IP header moves to the front; the ESP (+UDP) header goes where it was.
            System.arraycopy(a, oldData, a, ipOff, keptHeaderLen);
            nextHeaderField -= espHdrLen;
            a[nextHeaderField] = (byte) (encap != null ? IpProtocols.UDP : IpProtocols.ESP);
            espOff = ipOff + keptHeaderLen + (encap != null ? UDP_HEADER : 0);
        } else {
            ipOff = buf.push(outerLen + espHdrLen);
            espOff = ipOff + outerLen + (encap != null ? UDP_HEADER : 0);
            writeOuterHeader(a, ipOff, oldData, version, sa, encap != null, seq, totalLen);
        }
        if (encap != null) {
            int udpOff = espOff - UDP_HEADER;
            put16(a, udpOff, encap.sourcePort());
            put16(a, udpOff + 2, encap.destinationPort());
            put16(a, udpOff + 4, UDP_HEADER + espLen);
            // RFC 3948 §2.1: the UDP checksum SHOULD be zero over IPv4 (ESP's ICV protects the payload).
            put16(a, udpOff + 6, 0);
        }
        put32(a, espOff, cfg.spi());
        put32(a, espOff + 4, (int) seq);

        // --- lengths of the IP header in front ---
        if (sa.isIpv6()) {
            ip6.wrap(a, ipOff).payloadLength(totalLen - Ipv6Header.LENGTH);
        } else if (transport) {
            ip4.wrap(a, ipOff).totalLength(totalLen).updateChecksum();
        }

        // --- seal in place (esp_output_tail) ---
        if (keepFragments) {
            buf.addFragment(trailerArea, 0, trailerLen);
            buf.stats().trailerFragments.increment();
        } else if (gathered > 0) {
            sealFromFragments(buf, t, a, espOff + ESP_HEADER + ivLen, espOff, gathered, trailerLen, icvLen, trailerArea, seq);
        } else if (trailerArea == null) {
            t.seal(a, espOff, plainLen + trailerLen, seq);
        } else {
            t.seal(a, espOff, plainLen, trailerArea, 0, trailerLen, seq);
            buf.addFragment(trailerArea, 0, trailerLen + icvLen);
            buf.stats().trailerFragments.increment();
        }
        buf.securityAssociation(sa);
        buf.sequenceNumber(seq);
        return XfrmCounter.EsplineOutDelivered;
    }

    /**
     * Whether a fragmented packet can be sealed out of place from its fragments: the buffer is private, its
     * tailroom takes the fragments' bytes, and the IP header (with the IPv6 extension headers that stay in
     * front of ESP in transport mode) lies in the linear part.
     */
    private boolean canSealFromFragments(PacketBuffer buf, boolean transport) {
        final int linear = buf.linearLength();
        if (buf.isShared() || linear < 1 || buf.tailroom() < buf.length() - linear) {
            return false;
        }
        final byte[] a = buf.array();
        final int off = buf.data();
        final int version = u8(a, off) >>> 4;
        if (version == 4) {
            return linear >= Ipv4Header.MIN_LENGTH && (a[off] & 0x0F) << 2 <= linear;
        }
        if (version == 6) {
            return linear >= Ipv6Header.LENGTH && (!transport || ipv6EspInsertionField(a, off, off + linear) >= 0);
        }
        return false;
    }

    /**
     * The gathering seal: the linear plaintext in place, each fragment and then the trailer encrypted
     * straight into the tailroom (the trailer and ICV into {@code trailerArea} if given); then the fragments
     * are dropped, releasing their owners, and the tail is moved over the ciphertext.
     */
    private void sealFromFragments(PacketBuffer buf, EspTransform t, byte[] a, int payloadOff, int espOff, int gathered,
                                   int trailerLen, int icvLen, byte[] trailerArea, long seq) {
        final PayloadPieces ps = pieces;
        ps.clear();
        final int frags = buf.fragmentCount();
        for (int i = 0; i < frags; i++) {
            ps.add(buf.fragmentArray(i), buf.fragmentOffset(i), buf.fragmentLength(i));
        }
        ps.add(trailerScratch, 0, trailerLen);
        final int head = buf.tail() - payloadOff;
        if (trailerArea == null) {
            t.sealGather(a, espOff, head, ps, null, 0, 0, seq);
        } else {
            t.sealGather(a, espOff, head, ps, trailerArea, 0, trailerLen, seq);
        }
        ps.clear();
        buf.trim(buf.linearLength());
        if (trailerArea == null) {
            buf.put(gathered + trailerLen + icvLen);
        } else {
            buf.put(gathered);
            buf.addFragment(trailerArea, 0, trailerLen + icvLen);
            buf.stats().trailerFragments.increment();
        }
    }

    private void writeOuterHeader(byte[] a, int ipOff, int innerOff, int innerVersion, SecurityAssociation sa,
                                  boolean udp, long seq, int totalLen) {
        int tos;
        boolean df;
        if (innerVersion == 4) {
            tos = u8(a, innerOff + Ipv4Header.TOS_OFFSET);
            df = (u16(a, innerOff + Ipv4Header.FLAGS_FRAGMENT_OFFSET) & Ipv4Header.FLAG_DF) != 0;
        } else {
            tos = (u16(a, innerOff) >>> 4) & 0xFF;
            df = false;
        }
        // RFC 6040 normal mode: the outer header copies DSCP and ECN of the inner one.
        if (sa.isIpv6()) {
            ip6.wrap(a, ipOff).version(6).trafficClass(tos).flowLabel(0)
                    .nextHeader(udp ? IpProtocols.UDP : IpProtocols.ESP).hopLimit(DEFAULT_TTL);
            System.arraycopy(sa.sourceBytes(), 0, a, ipOff + Ipv6Header.SOURCE_OFFSET, 16);
            System.arraycopy(sa.destinationBytes(), 0, a, ipOff + Ipv6Header.DESTINATION_OFFSET, 16);
        } else {
            // The ID only matters if the outer packet is fragmented; a per-SA counter keeps it distinct between
            // neighbours without shared state.
            final int id = (int) seq & 0xFFFF;
            final int flags = df ? Ipv4Header.FLAG_DF : 0;
            final int protocol = udp ? IpProtocols.UDP : IpProtocols.ESP;
            a[ipOff] = 0x45;
            ip4.wrap(a, ipOff).tos(tos).totalLength(totalLen).identification(id).flagsAndFragmentOffset(flags)
                    .ttl(DEFAULT_TTL).protocol(protocol);
            System.arraycopy(sa.sourceBytes(), 0, a, ipOff + Ipv4Header.SOURCE_OFFSET, 4);
            System.arraycopy(sa.destinationBytes(), 0, a, ipOff + Ipv4Header.DESTINATION_OFFSET, 4);
            // Summed from the values just written and the SA's address sum, not read back from the array (which
            // cost a pass over bytes still in flight to memory, about a tenth of a packet without crypto).
            final long sum = (0x4500 | tos) + totalLen + id + flags + (DEFAULT_TTL << 8 | protocol) + sa.ipv4AddressSum();
            ip4.checksum(~InternetChecksum.fold(sum) & 0xFFFF);
        }
    }

    /** Offset where ESP goes in an IPv6 packet, set by {@link #ipv6EspInsertionField}. */
    private int ipv6InsertionOffset;

    /**
     * Finds where ESP goes in an IPv6 transport-mode packet: after Hop-by-Hop and Routing headers,
     * which intermediate nodes must see (RFC 4303 §3.1.1); anything after them is protected. Returns
     * the offset of the next-header byte that will name ESP, or -1 for a malformed chain.
     */
    private int ipv6EspInsertionField(byte[] a, int ipOff, int end) {
        int field = ipOff + Ipv6Header.NEXT_HEADER_OFFSET;
        int off = ipOff + Ipv6Header.LENGTH;
        for (int n = 0; n < Ipv6Header.MAX_EXTENSION_HEADERS; n++) {
            int nh = u8(a, field);
            if (nh != IpProtocols.HOPOPT && nh != IpProtocols.ROUTING) {
                ipv6InsertionOffset = off;
                return field;
            }
            if (off + 2 > end) {
                return -1;
            }
            int len = (u8(a, off + 1) + 1) << 3;
            if (off + len > end) {
                return -1;
            }
            field = off;
            off += len;
        }
        return -1;
    }

    private static boolean innerPacketIsWellFormed(byte[] a, int off, int length, int version) {
        if (version == 4) {
            if (length < Ipv4Header.MIN_LENGTH) {
                return false;
            }
            int ihl = (a[off] & 0x0F) << 2;
            int total = u16(a, off + Ipv4Header.TOTAL_LENGTH_OFFSET);
            return ihl >= Ipv4Header.MIN_LENGTH && total == length && ihl <= total;
        }
        if (version == 6) {
            return length >= Ipv6Header.LENGTH
                    && u16(a, off + Ipv6Header.PAYLOAD_LENGTH_OFFSET) + Ipv6Header.LENGTH == length;
        }
        return false;
    }
}
