package org.espline.runtime.header;

import static org.espline.runtime.header.TestPackets.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TransportHeadersTest {
    @Test
    void udpFieldsOfAScapyPacket() {
        final byte[] p = hex(TestPackets.IPV4_UDP);
        final UdpHeader udp = new UdpHeader().wrap(p, 20);
        assertEquals(4500, udp.sourcePort());
        assertEquals(4500, udp.destinationPort());
        assertEquals(19, udp.length());
        assertEquals(0x6688, udp.checksum());
        assertEquals(28, udp.payloadOffset());
        assertEquals("UdpHeader{offset=20, sourcePort=4500, destinationPort=4500, length=19, checksum=0x6688}", udp.toString());
    }

    @Test
    void udpSettersWriteNetworkOrder() {
        final byte[] p = new byte[9];
        new UdpHeader().wrap(p, 1).sourcePort(0xABCD).destinationPort(500).length(0x0102).checksum(0xFFFF);
        assertArrayEquals(hex("00abcd01f40102ffff"), p);
    }

    @Test
    void tcpFieldsOfAScapyPacket() {
        final byte[] p = hex(TestPackets.IPV4_TCP);
        final TcpHeader tcp = new TcpHeader().wrap(p, 20);
        assertEquals(443, tcp.sourcePort());
        assertEquals(51000, tcp.destinationPort());
        assertEquals(0x89ABCDEF, tcp.sequenceNumber());
        assertEquals(0x89ABCDEFL, Integer.toUnsignedLong(tcp.sequenceNumber()));
        assertEquals(0x01234567, tcp.acknowledgmentNumber());
        assertEquals(7, tcp.dataOffset());
        assertEquals(28, tcp.headerLength());
        assertEquals(48, tcp.payloadOffset());
        assertEquals(TcpHeader.FLAG_PSH | TcpHeader.FLAG_ACK, tcp.flags());
        assertTrue(tcp.hasFlags(TcpHeader.FLAG_ACK));
        assertFalse(tcp.hasFlags(TcpHeader.FLAG_ACK | TcpHeader.FLAG_SYN));
        assertEquals(501, tcp.window());
        assertEquals(0x1600, tcp.checksum());
        assertEquals(0, tcp.urgentPointer());
        final String s = tcp.toString();
        assertTrue(s.contains("seq=2309737967"), s);
        assertTrue(s.contains("flags=...PA..."), s);
    }

    @Test
    void tcpSettersWriteNetworkOrder() {
        final byte[] p = new byte[20];
        p[12] = 0x0F; // reserved bits must survive a data-offset change
        new TcpHeader().wrap(p, 0).sourcePort(1).destinationPort(2).sequenceNumber(0xFFFFFFFE)
                .acknowledgmentNumber(0x10203040).dataOffset(5).flags(TcpHeader.FLAG_SYN | TcpHeader.FLAG_ECE | TcpHeader.FLAG_CWR)
                .window(0xFFFF).checksum(0x1234).urgentPointer(0x8001);
        assertArrayEquals(hex("00010002fffffffe102030405fc2ffff12348001"), p);
    }

    @Test
    void icmpv6EchoOfAScapyPacket() {
        final byte[] p = hex(TestPackets.IPV6_ICMP);
        final IcmpHeader icmp = new IcmpHeader().wrap(p, 40);
        assertEquals(IcmpHeader.ICMPV6_ECHO_REQUEST, icmp.type());
        assertEquals(0, icmp.code());
        assertEquals(0x2B18, icmp.checksum());
        assertEquals(0x4242, icmp.identifier());
        assertEquals(7, icmp.sequenceNumber());
        assertEquals(0x42420007, icmp.restOfHeader());
    }

    @Test
    void icmpEchoOfAScapyPacketAndSetters() {
        final byte[] p = hex(TestPackets.IPV4_ICMP);
        final IcmpHeader icmp = new IcmpHeader().wrap(p, 20);
        assertEquals(IcmpHeader.ICMP_ECHO_REQUEST, icmp.type());
        assertEquals(0x5557, icmp.checksum());
        assertEquals(0x1111, icmp.identifier());
        assertEquals(2, icmp.sequenceNumber());

        final byte[] q = new byte[8];
        new IcmpHeader().wrap(q, 0).type(IcmpHeader.ICMPV6_PACKET_TOO_BIG).code(0).checksum(0xBEEF).restOfHeader(1280);
        assertArrayEquals(hex("0200beef00000500"), q);
        assertEquals("IcmpHeader{offset=0, type=2, code=0, checksum=0xbeef, rest=0x500}", new IcmpHeader().wrap(q, 0).toString());
    }
}
