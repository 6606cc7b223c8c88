package org.espline.cli.demo;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.port.SourcePort;

/**
 * The demo's traffic source: what an operating system would hand a tx gateway. TCP flows write
 * {@link Flows#writeSize()} bytes at a time as one super-packet each (GSO's input), interleaved round by round
 * with UDP datagrams, ICMP echo requests and a few packets for a destination the policy discards. Payloads come
 * from a {@link TrafficPattern}, so the receiver can check every byte without keeping a copy.
 *
 * <p>Packets are built straight into pool buffers; an empty pool means the data plane still holds what was
 * sent, and the port waits (returns 0) rather than allocating: back-pressure, not loss. Counters are read by
 * the progress line from another thread, hence volatile.
 */
final class Workload implements SourcePort {
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMP = 1;
    private static final int ICMPV6 = 58;
    private static final int TCP_FLAG_PSH = 0x08;
    private static final int TCP_FLAG_ACK = 0x10;

    /** Each flow's initial sequence number, so offsets and sequence numbers differ and a mix-up shows. */
    static long initialSequence(int flow) {
        return 0x1000_0000L * (flow + 1) + 12345;
    }

    private final Flows flows;
    private final TrafficPattern pattern;
    private final BufferPool pool;
    private final byte[] src;
    private final byte[] dst;
    private final byte[] blocked;
    private final long rounds;

    private long round;
    private int flowInRound;
    private int udpSent;
    private int icmpSent;
    private int blockedSent;
    private int ipId;
    private volatile long packets;
    private volatile long payloadBytes;

    Workload(Flows flows, TrafficPattern pattern, BufferPool pool) {
        this.flows = flows;
        this.pattern = pattern;
        this.pool = pool;
        this.src = flows.source().getAddress();
        this.dst = flows.destination().getAddress();
        this.blocked = flows.blockedDestination() == null ? null : flows.blockedDestination().getAddress();
        this.rounds = Math.max(1, flows.writesPerFlow());
    }

    @Override
    public int receive(PacketBatch into) {
        int n = 0;
        while (into.remaining() > 0) {
            int kind = nextKind();
            if (kind < 0) {
                return n == 0 ? -1 : n;
            }
            PacketBuffer p = pool.acquire();
            if (p == null) {
                break;
            }
            build(kind, p);
            into.add(p);
            n++;
        }
        packets += n;
        return n;
    }

    private static final int KIND_TCP = 0;
    private static final int KIND_UDP = 1;
    private static final int KIND_ICMP = 2;
    private static final int KIND_BLOCKED = 3;

    /** What the schedule sends next: UDP, ICMP and blocked packets spread evenly over the TCP rounds. */
    private int nextKind() {
        long due = Math.min(round + 1, rounds);
        if (udpSent < flows.udpDatagrams() * due / rounds) {
            return KIND_UDP;
        }
        if (icmpSent < flows.icmpEchoes() * due / rounds) {
            return KIND_ICMP;
        }
        if (blocked != null && blockedSent < flows.blockedPackets() * due / rounds) {
            return KIND_BLOCKED;
        }
        if (round < rounds) {
            return KIND_TCP;
        }
        return -1;
    }

    private void build(int kind, PacketBuffer p) {
        switch (kind) {
            case KIND_TCP -> buildTcpWrite(p);
            case KIND_UDP -> buildUdp(p, udpSent++, dst, flows.udpDestinationPort());
            case KIND_ICMP -> buildIcmpEcho(p, icmpSent++);
            default -> buildUdp(p, blockedSent++, blocked, flows.udpDestinationPort());
        }
    }

    private void buildTcpWrite(PacketBuffer p) {
        int flow = flowInRound;
        long offset = round * flows.writeSize();
        int len = (int) Math.min(flows.writeSize(), flows.tcpBytesPerFlow() - offset);
        int ip = flows.ipHeader();
        int at = p.put(ip + 20 + len);
        byte[] a = p.array();
        ipHeader(a, at, TCP, 20 + len, dst);
        int t = at + ip;
        put16(a, t, Flows.TCP_BASE_PORT + flow);
        put16(a, t + 2, flows.tcpDestinationPort());
        put32(a, t + 4, initialSequence(flow) + offset);
        put32(a, t + 8, 1);
        a[t + 12] = 5 << 4;
        a[t + 13] = (byte) (TCP_FLAG_ACK | TCP_FLAG_PSH);
        put16(a, t + 14, 0xFFFF);
        put16(a, t + 16, 0);
        put16(a, t + 18, 0);
        pattern.fill(flow, offset, a, t + 20, len);
        InternetChecksum.updateTransportChecksum(a, at, at + ip + 20 + len);
        payloadBytes += len;
        if (++flowInRound == flows.tcpFlows()) {
            flowInRound = 0;
            round++;
        }
    }

    /** A datagram whose first 8 payload bytes are its index, the rest pattern stream 1000 from index × size. */
    private void buildUdp(PacketBuffer p, int index, byte[] to, int port) {
        int len = flows.udpSize();
        int ip = flows.ipHeader();
        int at = p.put(ip + 8 + len);
        byte[] a = p.array();
        ipHeader(a, at, UDP, 8 + len, to);
        int u = at + ip;
        put16(a, u, Flows.UDP_SOURCE_PORT);
        put16(a, u + 2, port);
        put16(a, u + 4, 8 + len);
        put16(a, u + 6, 0);
        put32(a, u + 8, 0);
        put32(a, u + 12, index);
        pattern.fill(1000, (long) index * len, a, u + 16, len - 8);
        InternetChecksum.updateTransportChecksum(a, at, at + ip + 8 + len);
        payloadBytes += len;
    }

    /** An echo request: identifier fixed, sequence = index, payload pattern stream 2000. */
    private void buildIcmpEcho(PacketBuffer p, int index) {
        int len = flows.icmpSize();
        int ip = flows.ipHeader();
        int at = p.put(ip + 8 + len);
        byte[] a = p.array();
        ipHeader(a, at, flows.ipv6() ? ICMPV6 : ICMP, 8 + len, dst);
        int c = at + ip;
        a[c] = (byte) (flows.ipv6() ? 128 : 8);
        a[c + 1] = 0;
        put16(a, c + 2, 0);
        put16(a, c + 4, Flows.ICMP_IDENTIFIER);
        put16(a, c + 6, index & 0xFFFF);
        pattern.fill(2000, (long) index * len, a, c + 8, len);
        InternetChecksum.updateTransportChecksum(a, at, at + ip + 8 + len);
        payloadBytes += len;
    }

    private void ipHeader(byte[] a, int at, int protocol, int upperLength, byte[] to) {
        if (flows.ipv6()) {
            put32(a, at, 0x6000_0000L);
            put16(a, at + 4, upperLength);
            a[at + 6] = (byte) protocol;
            a[at + 7] = 64;
            System.arraycopy(src, 0, a, at + 8, 16);
            System.arraycopy(to, 0, a, at + 24, 16);
            return;
        }
        a[at] = 0x45;
        a[at + 1] = 0;
        put16(a, at + 2, 20 + upperLength);
        put16(a, at + 4, ipId++ & 0xFFFF);
        put16(a, at + 6, 0x4000); // DF: a host doing TCP segmentation offload sets it, and GSO keeps it
        a[at + 8] = 64;
        a[at + 9] = (byte) protocol;
        put16(a, at + 10, 0);
        System.arraycopy(src, 0, a, at + 12, 4);
        System.arraycopy(to, 0, a, at + 16, 4);
        put16(a, at + 10, InternetChecksum.checksum(a, at, 20));
    }

    private static void put16(byte[] a, int at, int v) {
        a[at] = (byte) (v >>> 8);
        a[at + 1] = (byte) v;
    }

    private static void put32(byte[] a, int at, long v) {
        a[at] = (byte) (v >>> 24);
        a[at + 1] = (byte) (v >>> 16);
        a[at + 2] = (byte) (v >>> 8);
        a[at + 3] = (byte) v;
    }

    long packets() { return packets; }

    long payloadBytes() { return payloadBytes; }

    int udpSent() { return udpSent; }

    int icmpSent() { return icmpSent; }

    int blockedSent() { return blockedSent; }
}
