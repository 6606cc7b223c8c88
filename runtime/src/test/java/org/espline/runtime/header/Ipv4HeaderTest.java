package org.espline.runtime.header;

import static org.espline.runtime.header.TestPackets.CLASSIC_IPV4_HEADER;
import static org.espline.runtime.header.TestPackets.at;
import static org.espline.runtime.header.TestPackets.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class Ipv4HeaderTest {
    private final Ipv4Header ip = new Ipv4Header();

    @Test
    void readsEveryFieldOfTheClassicExample() {
        // Odd offset on purpose: fields must not assume alignment.
        final byte[] packet = at(7, hex(CLASSIC_IPV4_HEADER), 3);
        ip.wrap(packet, 7);
        assertEquals(4, ip.version());
        assertEquals(5, ip.ihl());
        assertEquals(20, ip.headerLength());
        assertEquals(0, ip.tos());
        assertEquals(0x73, ip.totalLength());
        assertEquals(0x73 - 20, ip.payloadLength());
        assertEquals(27, ip.payloadOffset());
        assertEquals(0, ip.identification());
        assertTrue(ip.dontFragment());
        assertFalse(ip.moreFragments());
        assertEquals(0b010, ip.flags());
        assertEquals(0, ip.fragmentOffset());
        assertFalse(ip.isFragment());
        assertFalse(ip.hasOptions());
        assertEquals(64, ip.ttl());
        assertEquals(IpProtocols.UDP, ip.protocol());
        assertEquals(0xB861, ip.checksum());
        assertEquals(0xC0A80001, ip.source());
        assertEquals(0xC0A800C7, ip.destination());
        assertEquals(7 + 12, ip.sourceOffset());
        assertEquals(7 + 16, ip.destinationOffset());
    }

    @Test
    void computesTheKnownChecksumB861() {
        final byte[] packet = at(3, hex(CLASSIC_IPV4_HEADER), 0);
        ip.wrap(packet, 3);
        assertEquals(0xB861, ip.computeChecksum());
        assertTrue(ip.isChecksumValid());

        ip.checksum(0);
        assertFalse(ip.isChecksumValid());
        assertEquals(0xB861, ip.computeChecksum(), "the stored field must not take part");
        ip.updateChecksum();
        assertEquals(0xB861, ip.checksum());
        assertTrue(ip.isChecksumValid());

        packet[3 + 8]--; // TTL 63
        assertFalse(ip.isChecksumValid());
    }

    @Test
    void settersBuildTheClassicExampleFromZeros() {
        final byte[] packet = new byte[20];
        ip.wrap(packet, 0)
                .version(4).ihl(5).tos(0).totalLength(0x73).identification(0)
                .dontFragment(true).ttl(64).protocol(IpProtocols.UDP)
                .source(0xC0A80001).destination(0xC0A800C7)
                .updateChecksum();
        assertArrayEquals(hex(CLASSIC_IPV4_HEADER), packet);
    }

    @Test
    void subByteFieldsDoNotClobberTheirNeighbours() {
        final byte[] packet = hex(CLASSIC_IPV4_HEADER);
        ip.wrap(packet, 0);
        ip.dscp(46).ecn(1);
        assertEquals((46 << 2) | 1, ip.tos());
        ip.ecn(3);
        assertEquals(46, ip.dscp());
        ip.dscp(0);
        assertEquals(3, ip.ecn());
        ip.ihl(6);
        assertEquals(4, ip.version());
        ip.version(4);
        assertEquals(6, ip.ihl());
        assertEquals(24, ip.headerLength());
        assertTrue(ip.hasOptions());
        ip.headerLength(60);
        assertEquals(15, ip.ihl());
        assertThrows(IllegalArgumentException.class, () -> ip.headerLength(22));
    }

    @Test
    void fragmentFlagsAndOffset() {
        final byte[] packet = hex(CLASSIC_IPV4_HEADER);
        ip.wrap(packet, 0);
        ip.moreFragments(true).fragmentOffset(185);
        assertTrue(ip.dontFragment(), "DF untouched");
        assertTrue(ip.moreFragments());
        assertEquals(185, ip.fragmentOffset());
        assertEquals(0x4000 | 0x2000 | 185, ip.flagsAndFragmentOffset());
        assertTrue(ip.isFragment());

        ip.moreFragments(false);
        assertTrue(ip.isFragment(), "last fragment: offset only");
        ip.fragmentOffset(0);
        assertFalse(ip.isFragment());
        ip.dontFragment(false);
        assertEquals(0, ip.flagsAndFragmentOffset());
        ip.fragmentOffset(0x1FFF).moreFragments(true);
        assertEquals(0x1FFF, ip.fragmentOffset());
        assertEquals(0x3FFF, ip.flagsAndFragmentOffset());
    }

    @Test
    void checksumCoversOptions() {
        final byte[] packet = new byte[24];
        ip.wrap(packet, 0).version(4).headerLength(24).totalLength(24).ttl(1).protocol(IpProtocols.ICMP)
                .source(0x0A000001).destination(0xE0000016);
        packet[20] = (byte) 0x94; // Router Alert option
        packet[21] = 4;
        ip.updateChecksum();
        assertEquals(TestPackets.referenceChecksum(zeroChecksum(packet), 0, 24), ip.checksum());
        assertTrue(ip.isChecksumValid());
        packet[22] = 1;
        assertFalse(ip.isChecksumValid(), "an option byte is covered");
    }

    @Test
    void addressesCopyInAndOut() {
        final byte[] packet = hex(CLASSIC_IPV4_HEADER);
        ip.wrap(packet, 0);
        final byte[] out = new byte[10];
        ip.copySource(out, 1);
        ip.copyDestination(out, 5);
        assertArrayEquals(new byte[] {0, (byte) 192, (byte) 168, 0, 1, (byte) 192, (byte) 168, 0, (byte) 199, 0}, out);

        ip.source(new byte[] {9, 10, 1, 2, 3}, 1).destination(new byte[] {4, 3, 2, 1}, 0);
        assertEquals(0x0A010203, ip.source());
        assertEquals(0x04030201, ip.destination());
    }

    @Test
    void wellFormedChecksVersionLengthsAndBounds() {
        final byte[] packet = at(2, hex(CLASSIC_IPV4_HEADER), 0x73 - 20);
        ip.wrap(packet, 2);
        assertTrue(ip.isWellFormed(2 + 0x73));
        assertFalse(ip.isWellFormed(2 + 0x72), "total length past the end");
        assertFalse(ip.isWellFormed(2 + 19), "shorter than a header");
        assertFalse(ip.isWellFormed(packet.length + 1), "end past the array");
        ip.version(6);
        assertFalse(ip.isWellFormed(2 + 0x73));
        ip.version(4).ihl(4);
        assertFalse(ip.isWellFormed(2 + 0x73), "IHL below 5");
        ip.ihl(5).totalLength(19);
        assertFalse(ip.isWellFormed(2 + 0x73), "total length inside the header");
        assertFalse(ip.wrap(new byte[5], 0).isWellFormed(5));
    }

    @Test
    void wrapRepointsWithoutCopying() {
        final byte[] a = hex(CLASSIC_IPV4_HEADER);
        final byte[] b = hex(TestPackets.IPV4_UDP);
        assertSame(ip, ip.wrap(a, 0));
        assertEquals(64, ip.ttl());
        ip.wrap(b, 0);
        assertSame(b, ip.array());
        assertEquals(0xC0000201, ip.source());
        ip.ttl(9);
        assertEquals(9, b[8]);
    }

    @Test
    void incrementalUpdateEqualsFullRecomputation() {
        final Random random = new Random(1624);
        final byte[] packet = new byte[60];
        for (int round = 0; round < 20_000; round++) {
            random.nextBytes(packet);
            ip.wrap(packet, 0).version(4).headerLength(20 + 4 * random.nextInt(11)).updateChecksum();
            final int before = ip.checksum();
            final int expected;
            final int adjusted;
            switch (random.nextInt(4)) {
                case 0: { // router: decrement TTL, the word is TTL:protocol
                    final int oldWord = (ip.ttl() << 8) | ip.protocol();
                    ip.ttl((ip.ttl() - 1) & 0xFF);
                    adjusted = InternetChecksum.adjust16(before, oldWord, (ip.ttl() << 8) | ip.protocol());
                    break;
                }
                case 1: {
                    final int old = ip.identification();
                    ip.identification(random.nextInt(0x10000));
                    adjusted = InternetChecksum.adjust16(before, old, ip.identification());
                    break;
                }
                case 2: { // NAT: rewrite the source address
                    final int old = ip.source();
                    ip.source(random.nextInt());
                    adjusted = InternetChecksum.adjust32(before, old, ip.source());
                    break;
                }
                default: {
                    final int old = ip.destination();
                    ip.destination(random.nextBoolean() ? old : random.nextInt());
                    adjusted = InternetChecksum.adjust32(before, old, ip.destination());
                    break;
                }
            }
            expected = ip.computeChecksum();
            assertEquals(expected, adjusted, () -> "round " + ip);
        }
    }

    @Test
    void toStringPrintsFields() {
        final String s = ip.wrap(hex(CLASSIC_IPV4_HEADER), 0).toString();
        assertTrue(s.contains("source=192.168.0.1"), s);
        assertTrue(s.contains("destination=192.168.0.199"), s);
        assertTrue(s.contains("protocol=UDP"), s);
        assertTrue(s.contains("checksum=0xb861"), s);
        assertTrue(s.contains("df=true"), s);
        assertEquals("Ipv4Header{unwrapped}", new Ipv4Header().toString());
        assertTrue(new Ipv4Header().wrap(new byte[4], 0).toString().contains("truncated"));
    }

    private static byte[] zeroChecksum(byte[] header) {
        final byte[] copy = header.clone();
        copy[10] = 0;
        copy[11] = 0;
        return copy;
    }
}
