package org.espline.runtime.header;

import static org.espline.runtime.header.TestPackets.IPV6_HBH_UDP;
import static org.espline.runtime.header.TestPackets.at;
import static org.espline.runtime.header.TestPackets.hex;
import static org.espline.runtime.header.TestPackets.slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Ipv6HeaderTest {
    private final Ipv6Header ip = new Ipv6Header();

    @Test
    void readsTheFieldsOfAScapyPacket() {
        final byte[] packet = at(14, hex(IPV6_HBH_UDP), 0);
        ip.wrap(packet, 14);
        assertEquals(6, ip.version());
        assertEquals(0xB8, ip.trafficClass());
        assertEquals(0x12345, ip.flowLabel());
        assertEquals(19, ip.payloadLength());
        assertEquals(IpProtocols.HOPOPT, ip.nextHeader());
        assertEquals(64, ip.hopLimit());
        assertEquals(54, ip.payloadOffset());
        assertEquals(14 + 8, ip.sourceOffset());
        assertEquals(14 + 24, ip.destinationOffset());
        final byte[] src = new byte[18];
        ip.copySource(src, 1);
        assertArrayEquals(hex("20010db8000000000000000000000001"), slice(src, 1, 17));
        assertEquals(0, src[0]);
        assertEquals(0, src[17]);
        final byte[] dst = new byte[16];
        ip.copyDestination(dst, 0);
        assertArrayEquals(hex("20010db8000000010000000000000002"), dst);
        assertTrue(ip.isWellFormed(packet.length));
    }

    @Test
    void settersBuildTheSamePacket() {
        final byte[] original = hex(IPV6_HBH_UDP);
        final byte[] built = original.clone();
        java.util.Arrays.fill(built, 0, 40, (byte) 0);
        ip.wrap(built, 0).version(6).trafficClass(0xB8).flowLabel(0x12345).payloadLength(19)
                .nextHeader(IpProtocols.HOPOPT).hopLimit(64)
                .source(original, 8).destination(original, 24);
        assertArrayEquals(original, built);
    }

    @Test
    void versionClassAndFlowLabelShareAWordWithoutClobbering() {
        final byte[] packet = new byte[40];
        ip.wrap(packet, 0).version(6).flowLabel(0xFFFFF).trafficClass(0xFF);
        assertEquals(6, ip.version());
        assertEquals(0xFFFFF, ip.flowLabel());
        ip.trafficClass(0);
        assertEquals(0xFFFFF, ip.flowLabel());
        assertEquals(6, ip.version());
        ip.trafficClass(0xA5).flowLabel(0);
        assertEquals(0xA5, ip.trafficClass());
        assertEquals(6, ip.version());
        ip.flowLabel(0x1234567); // only 20 bits fit
        assertEquals(0x34567, ip.flowLabel());
        assertEquals(0xA5, ip.trafficClass());
        assertArrayEquals(hex("6a534567"), slice(packet, 0, 4));
    }

    @Test
    void wellFormedChecksVersionAndPayloadLength() {
        final byte[] packet = hex(IPV6_HBH_UDP);
        ip.wrap(packet, 0);
        assertTrue(ip.isWellFormed(packet.length));
        assertFalse(ip.isWellFormed(packet.length - 1));
        assertFalse(ip.isWellFormed(39));
        ip.payloadLength(0);
        assertTrue(ip.isWellFormed(40));
        ip.version(4);
        assertFalse(ip.isWellFormed(packet.length));
    }

    @Test
    void toStringPrintsFields() {
        final String s = ip.wrap(hex(IPV6_HBH_UDP), 0).toString();
        assertTrue(s.contains("flowLabel=0x12345"), s);
        assertTrue(s.contains("nextHeader=HOPOPT"), s);
        assertTrue(s.contains("source=2001:db8:0:0:0:0:0:1"), s);
        assertTrue(s.contains("destination=2001:db8:0:1:0:0:0:2"), s);
    }
}
