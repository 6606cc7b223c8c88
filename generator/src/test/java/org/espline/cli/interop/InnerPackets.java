package org.espline.cli.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.sa.Policy;
import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.sa.PolicyLookup;
import org.espline.runtime.sa.Selector;

/**
 * Inner (plain) IPv4 and IPv6 packets with valid IP and transport checksums, and the workload a tx pipeline gets
 * from a model's outbound SPD: for every PROTECT rule UDP of several sizes, an ICMP/ICMPv6 echo, TCP of several
 * sizes and a short in-order TCP stream (what GRO coalesces on the far side), restricted to the rule's protocol and
 * ports; one super-packet per PROTECT rule when the pipeline segments (GSO); one packet per BYPASS and DISCARD rule
 * and one that no rule matches. Every packet is checked against the SPD: it must hit the rule it was made for.
 */
final class InnerPackets {
    static final int TCP = 6;
    static final int UDP = 17;
    static final int ICMP = 1;
    static final int ICMPV6 = 58;
    /** Inner packets of at most this many bytes, whatever their headers (UDP and TCP fill it exactly once). */
    static final int LARGEST = 1400;
    /** A TCP super-packet GSO must cut into segments. */
    static final int SUPER_PACKET = 20000;

    private InnerPackets() {
    }

    /** What a tx pipeline is fed: packets that fit the model's buffers, then super-packets that need 64 KiB ones. */
    record Workload(List<byte[]> packets, List<byte[]> superPackets) {
        List<byte[]> all() {
            List<byte[]> all = new ArrayList<>(packets);
            all.addAll(superPackets);
            return all;
        }
    }

    /** The workload for an outbound SPD (see the class comment); {@code gso} adds the super-packets. */
    static Workload forSpd(PolicyLookup spd, boolean gso) {
        List<byte[]> packets = new ArrayList<>();
        List<byte[]> superPackets = new ArrayList<>();
        int flow = 0;
        for (Policy p : spd.all()) {
            Selector s = p.selector();
            if (p.action() == PolicyAction.PROTECT) {
                for (byte[] packet : protectedTraffic(s, flow)) {
                    packets.add(expect(spd, p, packet));
                }
                if (gso && allows(s, TCP)) {
                    superPackets.add(expect(spd, p, tcp(host(s, true, flow), host(s, false, flow), port(s, true, 40100 + flow),
                            port(s, false, 443), 1_000_000, payload(SUPER_PACKET - ipHeader(s.isIpv6()) - 20, flow))));
                }
                flow++;
            } else {
                packets.add(expect(spd, p, oneOf(s, flow++)));
            }
        }
        byte[] unmatched = udp(address("192.168.200.1"), address("192.168.200.2"), 7, 7, payload(32, 99));
        assertEquals(null, spd.lookup(false, unmatched, 12, 16, UDP, 7, 7), "a packet meant to match no rule matched one");
        packets.add(unmatched);
        return new Workload(packets, superPackets);
    }

    /** Traffic for one selector: UDP, ICMP echo, TCP and a TCP stream, as far as its protocol allows. */
    static List<byte[]> protectedTraffic(Selector s, int flow) {
        List<byte[]> out = new ArrayList<>();
        InetAddress src = host(s, true, flow);
        InetAddress dst = host(s, false, flow);
        int ip = ipHeader(s.isIpv6());
        if (allows(s, UDP)) {
            for (int size : new int[] {0, 1, 15, 16, 17, 100, 1000, LARGEST - ip - 8}) {
                out.add(udp(src, dst, port(s, true, 40000 + flow), port(s, false, 53), payload(size, size + flow)));
            }
        }
        int icmp = s.isIpv6() ? ICMPV6 : ICMP;
        if (allows(s, icmp) && s.sourcePortLow() == 0 && s.sourcePortHigh() == 0xFFFF && s.destinationPortLow() == 0
                && s.destinationPortHigh() == 0xFFFF) {
            out.add(echo(src, dst, 0x4242 + flow, 1, payload(56, flow)));
        }
        if (allows(s, TCP)) {
            int sport = port(s, true, 40200 + flow);
            int dport = port(s, false, 443);
            long seq = 7_000_000L * (flow + 1);
            for (int size : new int[] {1, 16, 1000, LARGEST - ip - 20}) {
                out.add(tcp(src, dst, sport, dport, seq, payload(size, size)));
                seq += size;
            }
            // A stream GRO on the receiving side may coalesce: consecutive segments of one flow, ACK only.
            int streamPort = port(s, true, 40300 + flow);
            for (int i = 0; i < 4; i++) {
                out.add(tcp(src, dst, streamPort, dport, 9_000_000L + 1000L * i, payload(1000, 50 + i)));
            }
        }
        return out;
    }

    private static byte[] oneOf(Selector s, int flow) {
        InetAddress src = host(s, true, flow);
        InetAddress dst = host(s, false, flow);
        if (allows(s, UDP)) {
            return udp(src, dst, port(s, true, 41000), port(s, false, 53), payload(40, flow));
        }
        return tcp(src, dst, port(s, true, 41000), port(s, false, 22), 1, payload(40, flow));
    }

    /** Asserts that {@code packet} hits rule {@code p} first, and returns it. */
    static byte[] expect(PolicyLookup spd, Policy p, byte[] packet) {
        boolean v6 = (packet[0] >> 4) == 6;
        int l4 = ipHeader(v6);
        int proto = packet[v6 ? 6 : 9] & 0xFF;
        boolean ports = proto == TCP || proto == UDP;
        int sport = ports ? ((packet[l4] & 0xFF) << 8) | (packet[l4 + 1] & 0xFF) : -1;
        int dport = ports ? ((packet[l4 + 2] & 0xFF) << 8) | (packet[l4 + 3] & 0xFF) : -1;
        Policy hit = spd.lookup(v6, packet, v6 ? 8 : 12, v6 ? 24 : 16, proto, sport, dport);
        assertSame(p, hit, () -> "workload packet for " + p + " hit " + hit);
        return packet;
    }

    private static boolean allows(Selector s, int protocol) {
        return s.protocol() == 0 || s.protocol() == protocol;
    }

    /** The selector's port when it names one, else {@code otherwise}. */
    private static int port(Selector s, boolean source, int otherwise) {
        int low = source ? s.sourcePortLow() : s.destinationPortLow();
        int high = source ? s.sourcePortHigh() : s.destinationPortHigh();
        return low == 0 && high == 0xFFFF ? otherwise : low;
    }

    /** An address inside the selector's prefix (host number 5 + flow where the prefix leaves room). */
    static InetAddress host(Selector s, boolean source, int flow) {
        InetAddress base = source ? s.sourceAddress() : s.destinationAddress();
        int prefix = source ? s.sourcePrefix() : s.destinationPrefix();
        byte[] a = base.getAddress();
        if (prefix == 0) {
            return address(s.isIpv6() ? (source ? "2001:db8:77::" : "2001:db8:99::") + (5 + flow)
                    : (source ? "172.16.0." : "10.99.0.") + (5 + flow));
        }
        int hostBits = a.length * 8 - prefix;
        if (hostBits >= 8) {
            a[a.length - 1] = (byte) (5 + flow);
        } else if (hostBits > 1) {
            a[a.length - 1] |= (byte) (1 + flow % ((1 << hostBits) - 2));
        }
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static int ipHeader(boolean v6) {
        return v6 ? 40 : 20;
    }

    static byte[] payload(int length, int seed) {
        byte[] p = new byte[length];
        for (int i = 0; i < length; i++) {
            p[i] = (byte) (i * 7 + seed * 13 + 1);
        }
        return p;
    }

    static byte[] udp(InetAddress src, InetAddress dst, int sport, int dport, byte[] payload) {
        byte[] l4 = new byte[8 + payload.length];
        put16(l4, 0, sport);
        put16(l4, 2, dport);
        put16(l4, 4, l4.length);
        System.arraycopy(payload, 0, l4, 8, payload.length);
        return ip(src, dst, UDP, l4);
    }

    static byte[] tcp(InetAddress src, InetAddress dst, int sport, int dport, long seq, byte[] payload) {
        byte[] l4 = new byte[20 + payload.length];
        put16(l4, 0, sport);
        put16(l4, 2, dport);
        put32(l4, 4, seq);
        put32(l4, 8, 0x10203040L);
        l4[12] = 0x50; // data offset 5 words
        l4[13] = 0x10; // ACK
        put16(l4, 14, 0xFFFF);
        System.arraycopy(payload, 0, l4, 20, payload.length);
        return ip(src, dst, TCP, l4);
    }

    static byte[] echo(InetAddress src, InetAddress dst, int id, int seq, byte[] payload) {
        byte[] l4 = new byte[8 + payload.length];
        l4[0] = (byte) (src instanceof Inet4Address ? 8 : 128);
        put16(l4, 4, id);
        put16(l4, 6, seq);
        System.arraycopy(payload, 0, l4, 8, payload.length);
        return ip(src, dst, src instanceof Inet4Address ? ICMP : ICMPV6, l4);
    }

    /** An IPv4 (TTL 64, DF) or IPv6 (hop limit 64) packet around {@code l4}, every checksum valid. */
    static byte[] ip(InetAddress src, InetAddress dst, int protocol, byte[] l4) {
        boolean v4 = src instanceof Inet4Address;
        int h = ipHeader(!v4);
        byte[] p = new byte[h + l4.length];
        if (v4) {
            p[0] = 0x45;
            put16(p, 2, p.length);
            put16(p, 4, l4.length & 0xFFFF);
            p[6] = 0x40;
            p[8] = 64;
            p[9] = (byte) protocol;
            System.arraycopy(src.getAddress(), 0, p, 12, 4);
            System.arraycopy(dst.getAddress(), 0, p, 16, 4);
            put16(p, 10, InternetChecksum.checksum(p, 0, 20));
        } else {
            p[0] = 0x60;
            put16(p, 4, l4.length);
            p[6] = (byte) protocol;
            p[7] = 64;
            System.arraycopy(src.getAddress(), 0, p, 8, 16);
            System.arraycopy(dst.getAddress(), 0, p, 24, 16);
        }
        System.arraycopy(l4, 0, p, h, l4.length);
        InternetChecksum.Status st = InternetChecksum.updateTransportChecksum(p, 0, p.length);
        assertTrue(st == InternetChecksum.Status.VALID, () -> "transport checksum: " + st);
        return p;
    }

    /** Protocol, ports and TCP payload of a plain packet (no extension headers, as made here). */
    record Flow(int protocol, String key, byte[] tcpPayload) {
        static Flow of(byte[] p) {
            boolean v6 = (p[0] >> 4) == 6;
            int h = v6 ? 40 : (p[0] & 0x0F) * 4;
            int proto = p[v6 ? 6 : 9] & 0xFF;
            int total = v6 ? 40 + (((p[4] & 0xFF) << 8) | (p[5] & 0xFF)) : ((p[2] & 0xFF) << 8) | (p[3] & 0xFF);
            String addresses = TinyPcap.hex(java.util.Arrays.copyOfRange(p, v6 ? 8 : 12, v6 ? 40 : 20));
            if (proto != TCP) {
                return new Flow(proto, addresses, null);
            }
            int off = h + ((p[h + 12] & 0xF0) >> 2);
            return new Flow(proto, addresses + "/" + TinyPcap.hex(java.util.Arrays.copyOfRange(p, h, h + 4)),
                    java.util.Arrays.copyOfRange(p, off, total));
        }
    }

    private static void put16(byte[] a, int off, int v) {
        a[off] = (byte) (v >> 8);
        a[off + 1] = (byte) v;
    }

    private static void put32(byte[] a, int off, long v) {
        put16(a, off, (int) (v >> 16) & 0xFFFF);
        put16(a, off + 2, (int) v & 0xFFFF);
    }
}
