package org.espline.cli.demo;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.port.SinkPort;

/**
 * The rx gateway's LAN side in the demo: takes every delivered packet, checks it against what the
 * {@link Workload} sent and releases it. TCP must arrive in order per flow with no gap (GRO may have merged
 * segments, so a packet may carry many writes' worth), every IP and transport checksum must verify, and every
 * payload byte must be the pattern's. The first few problems are kept as text; counts tell the rest.
 */
final class DeliveryCheck implements SinkPort {
    private static final int MAX_PROBLEMS = 5;

    private final Flows flows;
    private final TrafficPattern pattern;
    private final long[] tcpReceived;
    private final boolean[] udpSeen;
    private final boolean[] icmpSeen;
    private final StringBuilder problems = new StringBuilder();
    private volatile long packets;
    private volatile long payloadBytes;
    private long tcpPackets;
    private int problemCount;
    private volatile boolean finished;

    DeliveryCheck(Flows flows, TrafficPattern pattern) {
        this.flows = flows;
        this.pattern = pattern;
        this.tcpReceived = new long[flows.tcpFlows()];
        this.udpSeen = new boolean[flows.udpDatagrams()];
        this.icmpSeen = new boolean[flows.icmpEchoes()];
    }

    @Override
    public int send(PacketBatch from) {
        final int n = from.size();
        for (int i = 0; i < n; i++) {
            PacketBuffer p = from.get(i);
            // GRO output keeps merged payloads as fragments; the check reads a linear copy (demo-side, not counted
            // as a data-plane copy).
            byte[] a = p.isLinear() ? p.array() : p.toByteArray();
            int at = p.isLinear() ? p.data() : 0;
            check(a, at, p.length());
            p.release();
        }
        from.clear();
        packets += n;
        return n;
    }

    private void check(byte[] a, int at, int len) {
        if (len < 1) {
            problem("empty packet");
            return;
        }
        int version = (a[at] & 0xFF) >>> 4;
        int ip;
        int protocol;
        int total;
        if (version == 4 && !flows.ipv6() && len >= 20) {
            ip = (a[at] & 0x0F) * 4;
            protocol = a[at + 9] & 0xFF;
            total = u16(a, at + 2);
            if (!InternetChecksum.isValid(a, at, ip)) {
                problem("IPv4 header checksum wrong");
                return;
            }
        } else if (version == 6 && flows.ipv6() && len >= 40) {
            ip = 40;
            protocol = a[at + 6] & 0xFF;
            total = 40 + u16(a, at + 4);
        } else {
            problem("not an IPv" + (flows.ipv6() ? 6 : 4) + " packet (version " + version + ", " + len + " bytes)");
            return;
        }
        if (total != len) {
            problem("IP length " + total + " but " + len + " bytes delivered");
            return;
        }
        if (InternetChecksum.verifyTransportChecksum(a, at, at + len) != InternetChecksum.Status.VALID) {
            problem("transport checksum wrong (protocol " + protocol + ", " + len + " bytes)");
            return;
        }
        int t = at + ip;
        switch (protocol) {
            case 6 -> checkTcp(a, t, len - ip);
            case 17 -> checkUdp(a, t, len - ip);
            case 1, 58 -> checkIcmp(a, t, len - ip);
            default -> problem("unexpected protocol " + protocol);
        }
    }

    private void checkTcp(byte[] a, int t, int len) {
        int flow = u16(a, t) - Flows.TCP_BASE_PORT;
        int header = ((a[t + 12] & 0xFF) >>> 4) * 4;
        if (flow < 0 || flow >= tcpReceived.length || header < 20 || header > len) {
            problem("TCP segment of no demo flow (port " + u16(a, t) + ")");
            return;
        }
        long offset = (u32(a, t + 4) - Workload.initialSequence(flow)) & 0xFFFF_FFFFL;
        int payload = len - header;
        if (offset != tcpReceived[flow]) {
            problem("TCP flow " + flow + ": segment at offset " + offset + ", expected " + tcpReceived[flow]
                    + (offset > tcpReceived[flow] ? " (gap)" : " (repeat)"));
            return;
        }
        if (!pattern.matches(flow, offset, a, t + header, payload)) {
            problem("TCP flow " + flow + ": payload bytes differ at offset " + offset);
            return;
        }
        tcpReceived[flow] += payload;
        payloadBytes += payload;
        tcpPackets++;
    }

    private void checkUdp(byte[] a, int u, int len) {
        int index = (int) u32(a, u + 12);
        int size = len - 8;
        if (size != flows.udpSize() || index < 0 || index >= udpSeen.length || udpSeen[index]) {
            problem("UDP datagram " + index + " unexpected (" + size + " bytes)");
            return;
        }
        if (!pattern.matches(1000, (long) index * size, a, u + 16, size - 8)) {
            problem("UDP datagram " + index + ": payload bytes differ");
            return;
        }
        udpSeen[index] = true;
        payloadBytes += size;
    }

    private void checkIcmp(byte[] a, int c, int len) {
        int index = u16(a, c + 6);
        int size = len - 8;
        if (size != flows.icmpSize() || index >= icmpSeen.length || icmpSeen[index] || u16(a, c + 4) != Flows.ICMP_IDENTIFIER) {
            problem("ICMP echo " + index + " unexpected");
            return;
        }
        if (!pattern.matches(2000, (long) index * size, a, c + 8, size)) {
            problem("ICMP echo " + index + ": payload bytes differ");
            return;
        }
        icmpSeen[index] = true;
        payloadBytes += size;
    }

    private void problem(String what) {
        if (problemCount++ < MAX_PROBLEMS) {
            problems.append("  ").append(what).append('\n');
        }
    }

    private static int u16(byte[] a, int at) {
        return ((a[at] & 0xFF) << 8) | (a[at + 1] & 0xFF);
    }

    private static long u32(byte[] a, int at) {
        return ((long) u16(a, at) << 16) | u16(a, at + 2);
    }

    @Override
    public void finish() {
        finished = true;
    }

    boolean isFinished() { return finished; }

    long packets() { return packets; }

    long payloadBytes() { return payloadBytes; }

    int problemCount() { return problemCount; }

    String problems() { return problems.toString(); }

    /** TCP packets delivered: fewer than the wire's segments when GRO merged them. */
    long tcpPackets() { return tcpPackets; }

    int tcpFlowsComplete() {
        int n = 0;
        for (long r : tcpReceived) {
            n += r == flows.tcpBytesPerFlow() ? 1 : 0;
        }
        return n;
    }

    int udpReceived() { return count(udpSeen); }

    int icmpReceived() { return count(icmpSeen); }

    private static int count(boolean[] seen) {
        int n = 0;
        for (boolean b : seen) {
            n += b ? 1 : 0;
        }
        return n;
    }
}
