package org.espline.runtime.gso;

import static org.espline.runtime.header.NetworkBytes.i32;
import static org.espline.runtime.header.NetworkBytes.put16;
import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.header.Ipv4Header;
import org.espline.runtime.header.Ipv6Header;
import org.espline.runtime.header.TcpHeader;
import org.espline.runtime.pipeline.PacketBatch;

/**
 * TCP receive coalescing (the idea of Linux's tcp_gro_receive / napi_gro_flush) over one batch: consecutive
 * in-order segments of a flow become one packet.
 *
 * <p>The first segment of a flow (the <em>head</em>) goes to the output at once and stays there; later
 * segments append their payload to it as fragments that hold them (no copy), and its headers are fixed when
 * the flow is flushed: total / payload length, IPv4 header checksum, TCP checksum (pseudo-header, header and
 * the payload sums gathered while merging: the payload is read once, when each segment's checksum is
 * verified). A coalesced packet thus takes the place of its first segment in the output; packets of other
 * flows that arrived between its segments follow it. Order within a flow is always kept.
 *
 * <p>A segment is merged when it matches a held flow (same IP version, addresses and ports) and: its flags are
 * ACK or ACK+PSH; it carries payload; its checksum verifies (a bad one is never laundered into a good
 * coalesced checksum: it passes alone and the receiver drops it); its sequence number is the flow's next;
 * its TCP header length, option bytes and acknowledgment number equal the head's; IPv4 TTL, TOS and DF (IPv6
 * traffic class, flow label and hop limit) are unchanged; the result stays within {@code maxSize} bytes and
 * {@code maxSegments} segments; and the head has a fragment slot for each piece of the payload plus one kept
 * free, so a forwarded coalesced packet can still take an ESP trailer without linearisation (TALK.md §1).
 * The window is taken from the newest segment. PSH ends the train: the segment is merged and the flow
 * flushed. Any other mismatch flushes the flow, and the segment may start a new one. Flags other than
 * ACK/PSH (SYN, FIN, RST, URG, CWR, ECE) or an empty payload flush the flow and the packet passes alone.
 * Not coalesced at all, and untouched: non-TCP, IP fragments, IPv4 with options, IPv6 with extension
 * headers, malformed packets (another stage's business).
 *
 * <p>Up to {@value #MAX_FLOWS} flows are held at once (Linux holds 8 per bucket list); a new flow beyond
 * that flushes the oldest. {@link #flush()} must run at the end of every batch: nothing is held across
 * calls, like napi_gro_flush at the end of a poll.
 *
 * <p>One instance per thread; allocates nothing per packet.
 */
public final class GroTable {
    /** Flows held at once. */
    public static final int MAX_FLOWS = 8;

    private static final int MERGEABLE_FLAGS = TcpHeader.FLAG_ACK | TcpHeader.FLAG_PSH;
    /** Fragment slots a coalesced packet leaves free (for an ESP trailer if it is forwarded). */
    private static final int RESERVED_FRAGMENTS = 1;

    private final int maxSize;
    private final int maxSegments;
    private final TcpView view = new TcpView();

    private final PacketBuffer[] head = new PacketBuffer[MAX_FLOWS];
    private final int[] tcpOffset = new int[MAX_FLOWS];
    private final int[] tcpHeaderLength = new int[MAX_FLOWS];
    private final int[] nextSeq = new int[MAX_FLOWS];
    private final int[] segments = new int[MAX_FLOWS];
    private final int[] length = new int[MAX_FLOWS];
    private final int[] payloadSum = new int[MAX_FLOWS];
    private final int[] payloadLength = new int[MAX_FLOWS];
    private final long[] age = new long[MAX_FLOWS];
    private long clock;
    private int held;

    private long coalesced;
    private long merged;

    /**
     * @param maxSize     largest coalesced IP packet in bytes (at most 65535 for IPv4; an IPv6 payload stays
     *                    at most 65535 as well)
     * @param maxSegments most segments in one coalesced packet (1 = never coalesce)
     */
    public GroTable(int maxSize, int maxSegments) {
        if (maxSize <= 0 || maxSegments <= 0) {
            throw new IllegalArgumentException("maxSize: " + maxSize + ", maxSegments: " + maxSegments
                    + " (expected: both > 0)");
        }
        this.maxSize = maxSize;
        this.maxSegments = maxSegments;
    }

    /**
     * Takes one packet: appends it to {@code out} (alone, or as the head of a new flow), or merges it into a
     * held head already in {@code out} (it then lives on as that head's fragments: do not touch it again).
     *
     * @param coalesce false for a packet that must pass untouched (its SA has GRO off): it is appended after
     *                 flushing a held flow it belongs to, so a flow's order is kept
     */
    public void receive(PacketBuffer p, boolean coalesce, PacketBatch out) {
        if (view.parse(p) != TcpView.TCP || !hasPlainHeaders()) {
            out.add(p);
            return;
        }
        final int flow = find(p);
        final byte[] a = p.array();
        final int tcp = view.tcpOffset();
        final int flags = u8(a, tcp + TcpHeader.FLAGS_OFFSET);
        final boolean mergeable = coalesce
                && (flags & ~MERGEABLE_FLAGS) == 0 && (flags & TcpHeader.FLAG_ACK) != 0
                && view.payloadLength() > 0;
        final int sum = mergeable ? verifiedPayloadSum(p) : -1;
        if (sum < 0) {
            if (flow >= 0) {
                flush(flow);
            }
            out.add(p);
            return;
        }
        p.setFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED);
        if (flow >= 0) {
            if (canMerge(flow, p)) {
                merge(flow, p, sum);
                if ((flags & TcpHeader.FLAG_PSH) != 0) {
                    flush(flow);
                }
                return;
            }
            flush(flow);
        }
        out.add(p);
        if ((flags & TcpHeader.FLAG_PSH) == 0 && maxSegments > 1) {
            hold(p, sum);
        }
    }

    /** Fixes the headers of every held coalesced packet and forgets them: call at the end of each batch. */
    public void flush() {
        for (int i = 0; i < MAX_FLOWS; i++) {
            if (head[i] != null) {
                flush(i);
            }
        }
    }

    /** Flows held now (0 after {@link #flush()}). */
    public int held() { return held; }

    /** Coalesced packets made (of two or more segments). */
    public long coalesced() { return coalesced; }

    /** Segments merged into a head (not counting the heads). */
    public long merged() { return merged; }

    // ------------------------------------------------------------ matching

    private boolean hasPlainHeaders() {
        final int ipHeader = view.tcpOffset() - view.ipOffset();
        return ipHeader == (view.isIpv6() ? Ipv6Header.LENGTH : Ipv4Header.MIN_LENGTH);
    }

    /** The held flow of {@code p}'s addresses and ports (view parsed), or -1. */
    private int find(PacketBuffer p) {
        if (held == 0) {
            return -1;
        }
        final byte[] a = p.array();
        final int ip = view.ipOffset();
        final int ports = i32(a, view.tcpOffset());
        for (int i = 0; i < MAX_FLOWS; i++) {
            final PacketBuffer h = head[i];
            if (h == null) {
                continue;
            }
            final byte[] b = h.array();
            final int hip = h.data();
            if ((u8(b, hip) >>> 4) != view.version() || i32(b, tcpOffset[i]) != ports) {
                continue;
            }
            if (view.isIpv6()
                    ? equal(a, ip + Ipv6Header.SOURCE_OFFSET, b, hip + Ipv6Header.SOURCE_OFFSET, 2 * Ipv6Header.ADDRESS_LENGTH)
                    : equal(a, ip + Ipv4Header.SOURCE_OFFSET, b, hip + Ipv4Header.SOURCE_OFFSET, 2 * Ipv4Header.ADDRESS_LENGTH)) {
                return i;
            }
        }
        return -1;
    }

    private boolean canMerge(int flow, PacketBuffer p) {
        final PacketBuffer h = head[flow];
        final byte[] a = p.array();
        final byte[] b = h.array();
        final int ip = view.ipOffset();
        final int hip = h.data();
        final int tcp = view.tcpOffset();
        final int htcp = tcpOffset[flow];
        final int thl = view.tcpHeaderLength();
        final int payload = view.payloadLength();
        return i32(a, tcp + TcpHeader.SEQUENCE_OFFSET) == nextSeq[flow]
                && thl == tcpHeaderLength[flow]
                && equal(a, tcp + TcpHeader.MIN_LENGTH, b, htcp + TcpHeader.MIN_LENGTH, thl - TcpHeader.MIN_LENGTH)
                && i32(a, tcp + TcpHeader.ACKNOWLEDGMENT_OFFSET) == i32(b, htcp + TcpHeader.ACKNOWLEDGMENT_OFFSET)
                && sameIpTreatment(a, ip, b, hip)
                && length[flow] + payload <= maxLength()
                && segments[flow] < maxSegments
                && BufferPieces.count(p, view.headersLength(), payload) + RESERVED_FRAGMENTS <= h.freeFragments();
    }

    private int maxLength() {
        // IPv4 total length and IPv6 payload length are both 16 bits.
        return view.isIpv6() ? Math.min(maxSize, 0xFFFF + Ipv6Header.LENGTH) : Math.min(maxSize, 0xFFFF);
    }

    /** TTL, TOS and DF (IPv4) or traffic class, flow label and hop limit (IPv6) unchanged. */
    private boolean sameIpTreatment(byte[] a, int ip, byte[] b, int hip) {
        if (view.isIpv6()) {
            return i32(a, ip) == i32(b, hip)
                    && a[ip + Ipv6Header.HOP_LIMIT_OFFSET] == b[hip + Ipv6Header.HOP_LIMIT_OFFSET];
        }
        return a[ip + Ipv4Header.TOS_OFFSET] == b[hip + Ipv4Header.TOS_OFFSET]
                && a[ip + Ipv4Header.TTL_OFFSET] == b[hip + Ipv4Header.TTL_OFFSET]
                && ((u16(a, ip + Ipv4Header.FLAGS_FRAGMENT_OFFSET) ^ u16(b, hip + Ipv4Header.FLAGS_FRAGMENT_OFFSET))
                        & Ipv4Header.FLAG_DF) == 0;
    }

    private static boolean equal(byte[] a, int ai, byte[] b, int bi, int n) {
        return java.util.Arrays.equals(a, ai, ai + n, b, bi, bi + n);
    }

    /**
     * The sum of the payload of the packet in {@link #view} if its TCP checksum verifies, else -1. This is
     * the only pass over the payload; the coalesced checksum is built from these sums.
     */
    private int verifiedPayloadSum(PacketBuffer p) {
        final byte[] a = p.array();
        final int ip = view.ipOffset();
        final int tcpLength = view.length() - (view.tcpOffset() - ip);
        final int header = InternetChecksum.sum(a, view.tcpOffset(), view.tcpHeaderLength());
        final int payload = BufferChecksums.sum(p, view.headersLength(), view.payloadLength());
        final int all = InternetChecksum.add(InternetChecksum.add(pseudoHeaderSum(a, ip, tcpLength), header), payload);
        return all == 0xFFFF ? payload : -1;
    }

    private int pseudoHeaderSum(byte[] a, int ip, int tcpLength) {
        return view.isIpv6()
                ? InternetChecksum.ipv6PseudoHeaderSum(a, ip, IpProtocols.TCP, tcpLength)
                : InternetChecksum.ipv4PseudoHeaderSum(a, ip, IpProtocols.TCP, tcpLength);
    }

    // ------------------------------------------------------------ holding, merging, flushing

    private void hold(PacketBuffer p, int sum) {
        if (p.isShared()) {
            // Its headers will be rewritten: never under a clone's feet. The copy moves the bytes.
            p.ensureWritable();
            if (view.parse(p) != TcpView.TCP) {
                return;
            }
        }
        int slot = -1;
        long oldest = Long.MAX_VALUE;
        int oldestSlot = 0;
        for (int i = 0; i < MAX_FLOWS; i++) {
            if (head[i] == null) {
                slot = i;
                break;
            }
            if (age[i] < oldest) {
                oldest = age[i];
                oldestSlot = i;
            }
        }
        if (slot < 0) {
            flush(oldestSlot);
            slot = oldestSlot;
        }
        final byte[] a = p.array();
        final int tcp = view.tcpOffset();
        head[slot] = p;
        tcpOffset[slot] = tcp;
        tcpHeaderLength[slot] = view.tcpHeaderLength();
        nextSeq[slot] = i32(a, tcp + TcpHeader.SEQUENCE_OFFSET) + view.payloadLength();
        segments[slot] = 1;
        length[slot] = view.length();
        payloadSum[slot] = sum;
        payloadLength[slot] = view.payloadLength();
        age[slot] = clock++;
        held++;
    }

    private void merge(int flow, PacketBuffer p, int sum) {
        final PacketBuffer h = head[flow];
        final int payload = view.payloadLength();
        // A linear segment held by the table alone hands its hold to the head's fragment (no count changes);
        // one in pieces is attached piece by piece, each retaining it, and the table's own hold let go below.
        final boolean handOver = p.isLinear() && p.refCount() == 1;
        if (handOver) {
            h.addFragmentTakingHold(p, p.data() + view.headersLength(), payload);
        } else {
            BufferPieces.attach(h, p, view.headersLength(), payload);
        }
        final int tcp = view.tcpOffset();
        final byte[] a = p.array();
        final byte[] b = h.array();
        final int htcp = tcpOffset[flow];
        // The newest window is the one the sender would act on after all these segments.
        put16(b, htcp + TcpHeader.WINDOW_OFFSET, u16(a, tcp + TcpHeader.WINDOW_OFFSET));
        b[htcp + TcpHeader.FLAGS_OFFSET] |= (byte) (u8(a, tcp + TcpHeader.FLAGS_OFFSET) & TcpHeader.FLAG_PSH);
        payloadSum[flow] = BufferChecksums.addAt(payloadSum[flow], sum, payloadLength[flow]);
        payloadLength[flow] += payload;
        length[flow] += payload;
        nextSeq[flow] += payload;
        segments[flow]++;
        merged++;
        if (!handOver) {
            // The head's fragments hold p now; the table lets go of its own hold.
            p.release();
        }
    }

    private void flush(int flow) {
        final PacketBuffer h = head[flow];
        if (segments[flow] > 1) {
            writeHeaders(h, flow);
            coalesced++;
        }
        head[flow] = null;
        held--;
    }

    /** Lengths and checksums of a coalesced packet; the payload sum is the one gathered while merging. */
    private void writeHeaders(PacketBuffer h, int flow) {
        final byte[] b = h.array();
        final int ip = h.data();
        final int tcp = tcpOffset[flow];
        final boolean v6 = (u8(b, ip) >>> 4) == Ipv6Header.VERSION;
        final int total = length[flow];
        final int tcpLength = total - (tcp - ip);
        if (v6) {
            put16(b, ip + Ipv6Header.PAYLOAD_LENGTH_OFFSET, total - Ipv6Header.LENGTH);
        } else {
            put16(b, ip + Ipv4Header.TOTAL_LENGTH_OFFSET, total);
            put16(b, ip + Ipv4Header.CHECKSUM_OFFSET, 0);
            put16(b, ip + Ipv4Header.CHECKSUM_OFFSET, InternetChecksum.checksum(b, ip, tcp - ip));
        }
        put16(b, tcp + TcpHeader.CHECKSUM_OFFSET, 0);
        final int pseudo = v6
                ? InternetChecksum.ipv6PseudoHeaderSum(b, ip, IpProtocols.TCP, tcpLength)
                : InternetChecksum.ipv4PseudoHeaderSum(b, ip, IpProtocols.TCP, tcpLength);
        final int header = InternetChecksum.sum(b, tcp, tcpHeaderLength[flow]);
        final int all = InternetChecksum.add(InternetChecksum.add(pseudo, header), payloadSum[flow]);
        put16(b, tcp + TcpHeader.CHECKSUM_OFFSET, ~all & 0xFFFF);
    }

    @Override
    public String toString() {
        return "GroTable[maxSize=" + maxSize + " maxSegments=" + maxSegments + " held=" + held + "]";
    }
}
