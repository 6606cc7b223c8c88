package org.espline.runtime.gso;

import static org.espline.runtime.header.NetworkBytes.i32;
import static org.espline.runtime.header.NetworkBytes.put16;
import static org.espline.runtime.header.NetworkBytes.put32;
import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.header.Ipv4Header;
import org.espline.runtime.header.Ipv6Header;
import org.espline.runtime.header.TcpHeader;
import org.espline.runtime.pipeline.PacketBatch;

/**
 * TCP segmentation in software (the idea of Linux's tcp_gso_segment): a TCP super-packet whose payload is
 * longer than the MSS becomes {@code ceil(payload / mss)} segments of at most {@code mss} payload bytes.
 *
 * <p>Per segment: a fresh pool buffer holds a copy of the IP and TCP headers (options and IPv6 extension
 * headers included); its payload is a fragment over the super-packet's bytes, on which the segment holds a
 * reference. Then, as the kernel does: sequence number advanced by the
 * payload before it; IPv4 identification incremented per segment; total / payload length set; FIN and PSH
 * only on the last segment, CWR only on the first; IPv4 header checksum and TCP checksum (over the
 * pseudo-header) computed afresh. SA, sequence-number and flag metadata are copied from the super-packet.
 *
 * <p>Ownership: the caller's hold on the super-packet passes to the segments (a linear super-packet takes the
 * other segments' holds in one step; one in pieces is retained per piece and released once, here); it goes
 * back to its pool when the last segment
 * lets go of its fragment (released, or dropped by EspOutput once it has sealed the segment). Segments only
 * read the shared bytes and their ranges are disjoint: EspOutput encrypts a segment's slice out of place
 * straight into the segment's own tailroom behind the copied headers (so the pool's buffers must hold
 * headers + MSS + ESP overhead: headroom + mtu + tailroom does), with no copy and no linearisation first.
 * When a segment's slice spans more pieces than the segment has fragment slots, its payload is copied into
 * the segment's linear part instead, counted in {@link org.espline.runtime.buffer.BufferStats#copies}.
 *
 * <p>Urgent data is not split the Linux way: URG and the urgent pointer stay on the first segment only.
 *
 * <p>One instance per thread (scratch arrays and a header view); allocates nothing per packet.
 */
public final class GsoSegmenter {
    /** {@link #segment} result: not TCP, an IP fragment, or TCP payload not above the MSS; the packet is untouched. */
    public static final int PASS = 0;
    /** {@link #segment} result: a TCP super-packet with inconsistent lengths; untouched, the caller drops it. */
    public static final int MALFORMED = -1;
    /** {@link #segment} result: the pool ran out of segment buffers; untouched, the caller drops it. */
    public static final int NO_BUFFERS = -2;

    private static final int FIRST_ONLY_FLAGS = TcpHeader.FLAG_CWR | TcpHeader.FLAG_URG;
    private static final int LAST_ONLY_FLAGS = TcpHeader.FLAG_FIN | TcpHeader.FLAG_PSH;

    private final int mss;
    private final BufferPool pool;
    private final PacketBuffer[] scratch;
    private final TcpView view = new TcpView();
    private final Ipv4Header ip4 = new Ipv4Header();
    /** The IPv4 super-packet's header sum without length, ID and checksum ({@link #fixIpHeader}). */
    private int ipv4BaseSum;

    /**
     * @param mss  TCP payload bytes per segment (1..65535)
     * @param pool where segment buffers come from; its buffers must hold headroom plus the headers (and a
     *             segment's payload where it has to be copied)
     */
    public GsoSegmenter(int mss, BufferPool pool) {
        if (mss <= 0 || mss > 0xFFFF) {
            throw new IllegalArgumentException("mss: " + mss + " (expected: 0 < mss <= 65535)");
        }
        this.mss = mss;
        this.pool = pool;
        this.scratch = new PacketBuffer[maxSegments(mss)];
    }

    /** Segments one super-packet can become: {@code ceil(65535 / mss)} (no TCP payload is longer than 65535). */
    public static int maxSegments(int mss) {
        return (0xFFFF + mss - 1) / mss;
    }

    public int mss() { return mss; }

    /**
     * How many segments {@link #segment} would cut {@code p} into, without touching it: for handing a super-packet
     * to a device that segments it itself (TSO), which needs the count up front for the ESP sequence numbers.
     *
     * @return the segment count (at least 2), or {@link #PASS} or {@link #MALFORMED} as {@link #segment} answers
     */
    public int segmentsOf(PacketBuffer p) {
        final int parsed = view.parse(p);
        if (parsed == TcpView.NOT_TCP) {
            return PASS;
        }
        if (parsed == TcpView.MALFORMED) {
            return isTcpCandidate(p) ? MALFORMED : PASS;
        }
        final int payload = view.payloadLength();
        return payload <= mss ? PASS : (payload + mss - 1) / mss;
    }

    /**
     * Segments {@code p} into {@code out} when it is a TCP packet with more than {@code mss} payload bytes.
     *
     * @return the number of segments appended to {@code out} ({@code p} then belongs to them: do not touch
     *         or release it), or {@link #PASS}, {@link #MALFORMED}, {@link #NO_BUFFERS} with {@code p}
     *         untouched and still the caller's
     * @throws IllegalStateException when {@code out} has no room for the segments (a pipeline sized without
     *         {@link org.espline.runtime.pipeline.Stage#maxOutputPerInput()}: a programming error)
     */
    public int segment(PacketBuffer p, PacketBatch out) {
        final int count = segmentsOf(p); // leaves the parsed headers in view
        if (count <= 0) {
            return count;
        }
        final int payload = view.payloadLength();
        if (count > out.remaining()) {
            throw new IllegalStateException("GSO: " + count + " segments do not fit " + out
                    + " (expected: work batches sized by Stage.maxOutputPerInput())");
        }
        final int headers = view.headersLength();
        if (!acquire(count, headers)) {
            return NO_BUFFERS;
        }
        // A linear super-packet (the usual case) gives each segment a hold of its own in one step: the caller's
        // hold plus count - 1 more, each taken over by a segment's fragment, instead of one retain per segment
        // and a release at the end.
        if (!view.isIpv6()) {
            ipv4BaseSum = ipv4SumWithoutLengthIdAndChecksum(p.array(), p.data(), view.tcpOffset() - view.ipOffset());
        }
        final boolean handOver = p.isLinear() && scratch[0].freeFragments() > 0;
        if (handOver) {
            p.retain(count - 1);
        }
        for (int i = 0; i < count; i++) {
            final PacketBuffer s = scratch[i];
            scratch[i] = null;
            final int from = headers + i * mss;
            final int len = Math.min(mss, payload - i * mss);
            buildSegment(p, s, headers, from, len, i, i == count - 1, handOver);
            out.add(s);
        }
        if (!handOver) {
            p.release();
        }
        return count;
    }

    /**
     * A packet {@link TcpView} found malformed is a MALFORMED super-packet only if it claims to be TCP;
     * anything else malformed is not GSO's business and passes to the stage that owns the check.
     */
    private static boolean isTcpCandidate(PacketBuffer p) {
        if (p.linearLength() < 1) {
            return false;
        }
        final byte[] a = p.array();
        final int off = p.data();
        final int v = u8(a, off) >>> 4;
        if (v == Ipv4Header.VERSION && p.linearLength() >= Ipv4Header.MIN_LENGTH) {
            return u8(a, off + Ipv4Header.PROTOCOL_OFFSET) == IpProtocols.TCP;
        }
        if (v == Ipv6Header.VERSION && p.linearLength() >= Ipv6Header.LENGTH) {
            final long walk = Ipv6Header.skipExtensionHeaders(a, off, p.data() + p.linearLength());
            return Ipv6Header.walkFailed(walk) || Ipv6Header.walkProtocol(walk) == IpProtocols.TCP;
        }
        return false;
    }

    /** Takes {@code count} buffers able to hold the headers, or none (all returned) when the pool runs dry. */
    private boolean acquire(int count, int headers) {
        for (int i = 0; i < count; i++) {
            final PacketBuffer s = pool.acquire();
            if (s == null || s.tailroom() < headers) {
                if (s != null) {
                    s.release();
                }
                for (int j = 0; j < i; j++) {
                    scratch[j].release();
                    scratch[j] = null;
                }
                return false;
            }
            scratch[i] = s;
        }
        return true;
    }

    private void buildSegment(PacketBuffer p, PacketBuffer s, int headers, int from, int len, int index, boolean last,
                              boolean handOver) {
        System.arraycopy(p.array(), p.data(), s.array(), s.put(headers), headers);
        if (handOver) {
            if (!s.addFragmentTakingHold(p, p.data() + from, len)) {
                // Not expected (segment buffers come from one pool, all with a free slot): copy, and let the
                // hold meant for this segment go.
                copySlice(p, s, from, len);
                p.release();
            }
        } else if (!shareSlice(p, s, from, len)) {
            copySlice(p, s, from, len);
        }
        // Re-read: a copied slice may have grown the array.
        final byte[] a = s.array();
        final int ip = s.data();
        s.securityAssociation(p.securityAssociation());
        s.sequenceNumber(p.sequenceNumber());
        s.setFlag(p.flags());
        final int tcp = ip + (view.tcpOffset() - view.ipOffset());
        fixIpHeader(a, ip, headers + len, index);
        fixTcpHeader(a, tcp, from - headers, index, last);
        writeTcpChecksum(s, a, ip, tcp, headers + len - (tcp - ip));
    }

    /** Attaches the super-packet's bytes {@code [from, from + len)} as fragments of {@code s}; false if slots are short. */
    private static boolean shareSlice(PacketBuffer p, PacketBuffer s, int from, int len) {
        if (BufferPieces.count(p, from, len) > s.freeFragments()) {
            return false;
        }
        BufferPieces.attach(s, p, from, len);
        return true;
    }

    /** The fallback: the slice copied behind the headers, growing the buffer if it must (both counted). */
    private static void copySlice(PacketBuffer p, PacketBuffer s, int from, int len) {
        if (s.tailroom() < len) {
            s.ensureRoom(s.headroom(), len);
        }
        BufferPieces.copy(p, from, len, s.array(), s.put(len));
        s.stats().copies.increment();
    }

    private void fixIpHeader(byte[] a, int ip, int segmentLength, int index) {
        if (view.isIpv6()) {
            put16(a, ip + Ipv6Header.PAYLOAD_LENGTH_OFFSET, segmentLength - Ipv6Header.LENGTH);
            return;
        }
        // Consecutive IDs, as the kernel gives segments of one GSO packet (and the receiver's GRO expects). The
        // checksum is the super-packet's header sum without the three fields that change, plus the new values: the
        // same number a recomputation gives (whatever the super-packet's own checksum said), without re-reading
        // the header per segment.
        ip4.wrap(a, ip);
        final int id = (ip4.identification() + index) & 0xFFFF;
        ip4.totalLength(segmentLength).identification(id)
                .checksum(~InternetChecksum.fold((long) ipv4BaseSum + segmentLength + id) & 0xFFFF);
    }

    /**
     * The folded sum of an IPv4 header of {@code headerLength} bytes with its total length, identification and
     * checksum fields left out (ones'-complement subtraction: adding a field's complement removes it).
     */
    static int ipv4SumWithoutLengthIdAndChecksum(byte[] a, int ip, int headerLength) {
        final int all = InternetChecksum.sum(a, ip, headerLength);
        final long without = (long) all
                + (~u16(a, ip + Ipv4Header.TOTAL_LENGTH_OFFSET) & 0xFFFF)
                + (~u16(a, ip + Ipv4Header.IDENTIFICATION_OFFSET) & 0xFFFF)
                + (~u16(a, ip + Ipv4Header.CHECKSUM_OFFSET) & 0xFFFF);
        return InternetChecksum.fold(without);
    }

    private static void fixTcpHeader(byte[] a, int tcp, int payloadBefore, int index, boolean last) {
        put32(a, tcp + TcpHeader.SEQUENCE_OFFSET, i32(a, tcp + TcpHeader.SEQUENCE_OFFSET) + payloadBefore);
        int flags = u8(a, tcp + TcpHeader.FLAGS_OFFSET);
        if (index > 0) {
            flags &= ~FIRST_ONLY_FLAGS;
            if ((u8(a, tcp + TcpHeader.FLAGS_OFFSET) & TcpHeader.FLAG_URG) != 0) {
                put16(a, tcp + TcpHeader.URGENT_POINTER_OFFSET, 0);
            }
        }
        if (!last) {
            flags &= ~LAST_ONLY_FLAGS;
        }
        a[tcp + TcpHeader.FLAGS_OFFSET] = (byte) flags;
    }

    /** Full TCP checksum over the pseudo-header, the segment's TCP header and its payload pieces. */
    private void writeTcpChecksum(PacketBuffer s, byte[] a, int ip, int tcp, int tcpLength) {
        put16(a, tcp + TcpHeader.CHECKSUM_OFFSET, 0);
        final int pseudo = view.isIpv6()
                ? InternetChecksum.ipv6PseudoHeaderSum(a, ip, IpProtocols.TCP, tcpLength)
                : InternetChecksum.ipv4PseudoHeaderSum(a, ip, IpProtocols.TCP, tcpLength);
        final int sum = BufferChecksums.sum(s, tcp - s.data(), tcpLength);
        put16(a, tcp + TcpHeader.CHECKSUM_OFFSET, ~InternetChecksum.add(pseudo, sum) & 0xFFFF);
    }

    @Override
    public String toString() {
        return "GsoSegmenter[mss=" + mss + "]";
    }
}
