package org.espline.runtime.header;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Ipv6ExtensionWalkTest {
    private static final int BASE = 14; // behind an Ethernet header, to catch offset mix-ups

    private final Ipv6ExtensionWalker walker = new Ipv6ExtensionWalker();

    /** Builds fixed header + extension headers + payload at offset BASE; patches the payload length. */
    private static final class Chain {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Chain(int firstNextHeader) {
            out.writeBytes(new byte[BASE]);
            final byte[] fixed = new byte[40];
            fixed[0] = 0x60;
            fixed[6] = (byte) firstNextHeader;
            fixed[7] = 64;
            fixed[23] = 1;
            fixed[39] = 2;
            out.writeBytes(fixed);
        }

        int position() { return out.size(); }

        /** Hop-by-Hop, Routing or Destination Options: {@code (hdrExtLen + 1) * 8} bytes. */
        Chain options(int nextHeader, int hdrExtLen) {
            final byte[] h = new byte[(hdrExtLen + 1) * 8];
            h[0] = (byte) nextHeader;
            h[1] = (byte) hdrExtLen;
            h[2] = 1; // PadN covering the rest
            h[3] = (byte) (h.length - 4);
            out.writeBytes(h);
            return this;
        }

        Chain fragment(int nextHeader, int offsetUnits, boolean more) {
            final int word = (offsetUnits << 3) | (more ? 1 : 0);
            out.writeBytes(new byte[] {(byte) nextHeader, 0, (byte) (word >>> 8), (byte) word, 0, 0, 0x12, 0x34});
            return this;
        }

        /** AH with {@code payloadLen}: {@code (payloadLen + 2) * 4} bytes. */
        Chain ah(int nextHeader, int payloadLen) {
            final byte[] h = new byte[(payloadLen + 2) * 4];
            h[0] = (byte) nextHeader;
            h[1] = (byte) payloadLen;
            h[7] = 1; // SPI
            out.writeBytes(h);
            return this;
        }

        Chain raw(byte... bytes) {
            out.writeBytes(bytes);
            return this;
        }

        byte[] build() {
            final byte[] p = out.toByteArray();
            final int payloadLength = p.length - BASE - 40;
            p[BASE + 4] = (byte) (payloadLength >>> 8);
            p[BASE + 5] = (byte) payloadLength;
            return p;
        }
    }

    @Test
    void noExtensionHeaders() {
        final byte[] p = new Chain(IpProtocols.TCP).raw(new byte[20]).build();
        assertTrue(walker.walk(p, BASE, p.length));
        assertEquals(IpProtocols.TCP, walker.protocol());
        assertEquals(BASE + 40, walker.protocolOffset());
        assertEquals(BASE + 6, walker.nextHeaderFieldOffset());
        assertEquals(0, walker.extensionHeaderCount());
        assertFalse(walker.sawFragmentHeader());
        assertEquals(0, walker.status());
    }

    @Test
    void hopByHopRoutingFragmentTcp() {
        final Chain c = new Chain(IpProtocols.HOPOPT);
        final int hbh = c.position();
        c.options(IpProtocols.ROUTING, 0);
        final int routing = c.position();
        c.options(IpProtocols.FRAGMENT, 2);
        final int fragment = c.position();
        c.fragment(IpProtocols.TCP, 0, true);
        final int tcp = c.position();
        final byte[] p = c.raw(new byte[20]).build();
        assertEquals(BASE + 40, hbh);
        assertEquals(hbh + 8, routing);
        assertEquals(routing + 24, fragment);

        final long walk = Ipv6Header.skipExtensionHeaders(p, BASE, p.length);
        assertFalse(Ipv6Header.walkFailed(walk));
        assertEquals(IpProtocols.TCP, Ipv6Header.walkProtocol(walk));
        assertEquals(tcp, Ipv6Header.walkOffset(walk));
        assertEquals(fragment, Ipv6Header.walkNextHeaderFieldOffset(walk));
        assertEquals(3, Ipv6Header.walkHeaderCount(walk));
        assertTrue(Ipv6Header.walkSawFragment(walk));

        assertTrue(walker.walk(p, BASE, p.length));
        assertEquals(tcp, walker.protocolOffset());
        assertEquals(fragment, walker.nextHeaderFieldOffset());
        assertEquals(IpProtocols.TCP, p[walker.nextHeaderFieldOffset()], "the byte that names the upper layer");
    }

    @Test
    void destinationOptionsThenEsp() {
        final Chain c = new Chain(IpProtocols.DSTOPTS);
        final int dst = c.position();
        c.options(IpProtocols.ESP, 1);
        final byte[] p = c.raw(new byte[] {0, 0, 0x10, 0x01, 0, 0, 0, 1}).build();
        assertTrue(walker.walk(p, BASE, p.length));
        assertEquals(IpProtocols.ESP, walker.protocol());
        assertEquals(dst + 16, walker.protocolOffset());
        assertEquals(dst, walker.nextHeaderFieldOffset());
        assertEquals(1, walker.extensionHeaderCount());

        // ESP transport output/input rewrites exactly this byte.
        p[walker.nextHeaderFieldOffset()] = (byte) IpProtocols.TCP;
        assertTrue(walker.walk(p, BASE, p.length));
        assertEquals(IpProtocols.TCP, walker.protocol());
    }

    @Test
    void authenticationHeaderLengthIsInFourByteUnitsPlusTwo() {
        final Chain c = new Chain(IpProtocols.AH);
        final int ah = c.position();
        c.ah(IpProtocols.UDP, 4); // 24 bytes: 12 fixed + 12 ICV (HMAC-SHA1-96)
        final byte[] p = c.raw(new byte[8]).build();
        assertTrue(walker.walk(p, BASE, p.length));
        assertEquals(IpProtocols.UDP, walker.protocol());
        assertEquals(ah + 24, walker.protocolOffset());
        assertEquals(ah, walker.nextHeaderFieldOffset());
    }

    @Test
    void noNextHeaderEndsTheWalkEvenAtTheEnd() {
        final Chain c = new Chain(IpProtocols.DSTOPTS).options(IpProtocols.NONE, 0);
        final byte[] p = c.build();
        assertTrue(walker.walk(p, BASE, p.length));
        assertEquals(IpProtocols.NONE, walker.protocol());
        assertEquals(p.length, walker.protocolOffset());

        final byte[] bare = new Chain(IpProtocols.NONE).build();
        assertTrue(walker.walk(bare, BASE, bare.length));
        assertEquals(IpProtocols.NONE, walker.protocol());
        assertEquals(BASE + 40, walker.protocolOffset());
        assertEquals(BASE + 6, walker.nextHeaderFieldOffset());
    }

    @Test
    void nonFirstFragmentStopsAtTheFragmentHeader() {
        final Chain c = new Chain(IpProtocols.FRAGMENT);
        final int fragment = c.position();
        final byte[] p = c.fragment(IpProtocols.TCP, 181, false).raw(new byte[100]).build();
        assertTrue(walker.walk(p, BASE, p.length));
        assertEquals(IpProtocols.FRAGMENT, walker.protocol());
        assertEquals(fragment, walker.protocolOffset());
        assertEquals(BASE + 6, walker.nextHeaderFieldOffset());
        assertTrue(walker.sawFragmentHeader());
    }

    @Test
    void unknownNextHeaderIsReportedAsTheUpperLayer() {
        final byte[] p = new Chain(IpProtocols.ROUTING).options(135, 0).raw(new byte[8]).build(); // Mobility
        assertTrue(walker.walk(p, BASE, p.length));
        assertEquals(135, walker.protocol());
        assertEquals(BASE + 48, walker.protocolOffset());
    }

    @Test
    void lengthPastTheEndIsTruncated() {
        // Routing header claiming 3 * 8 + 8 = 32 bytes with only 16 present.
        final byte[] p = new Chain(IpProtocols.ROUTING).raw(new byte[] {IpProtocols.TCP, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).build();
        assertEquals(Ipv6Header.WALK_TRUNCATED, Ipv6Header.skipExtensionHeaders(p, BASE, p.length));
        assertFalse(walker.walk(p, BASE, p.length));
        assertEquals(Ipv6Header.WALK_TRUNCATED, walker.status());
        assertEquals(-1, walker.protocol());
        assertEquals(-1, walker.protocolOffset());
        assertEquals(-1, walker.nextHeaderFieldOffset());
        assertTrue(walker.toString().contains("truncated"), walker.toString());
    }

    @Test
    void truncatedLengthByteFragmentAndAh() {
        final byte[] oneByte = new Chain(IpProtocols.DSTOPTS).raw((byte) IpProtocols.TCP).build();
        assertEquals(Ipv6Header.WALK_TRUNCATED, Ipv6Header.skipExtensionHeaders(oneByte, BASE, oneByte.length));

        final byte[] shortFragment = new Chain(IpProtocols.FRAGMENT).raw(new byte[] {6, 0, 0, 0, 0, 0, 0}).build();
        assertEquals(Ipv6Header.WALK_TRUNCATED, Ipv6Header.skipExtensionHeaders(shortFragment, BASE, shortFragment.length));

        final byte[] ah = new Chain(IpProtocols.AH).ah(IpProtocols.UDP, 4).build();
        assertTrue(walker.walk(ah, BASE, ah.length));
        assertEquals(Ipv6Header.WALK_TRUNCATED, Ipv6Header.skipExtensionHeaders(ah, BASE, ah.length - 1),
                "packetEnd, not the array length, bounds the walk");

        final byte[] fixedOnly = new Chain(IpProtocols.TCP).build();
        assertEquals(Ipv6Header.WALK_TRUNCATED, Ipv6Header.skipExtensionHeaders(fixedOnly, BASE, BASE + 39));
        assertEquals(Ipv6Header.WALK_TRUNCATED, Ipv6Header.skipExtensionHeaders(fixedOnly, BASE, fixedOnly.length + 1));
    }

    @Test
    void hopByHopMustComeFirst() {
        final byte[] p = new Chain(IpProtocols.DSTOPTS).options(IpProtocols.HOPOPT, 0).options(IpProtocols.TCP, 0).build();
        assertEquals(Ipv6Header.WALK_MISPLACED_HOP_BY_HOP, Ipv6Header.skipExtensionHeaders(p, BASE, p.length));
        assertFalse(walker.walk(p, BASE, p.length));
        assertEquals("misplaced Hop-by-Hop header", Ipv6Header.walkFailureName(walker.status()));
    }

    @Test
    void sixteenHeadersPassSeventeenFail() {
        final Chain ok = new Chain(IpProtocols.DSTOPTS);
        for (int i = 0; i < 15; i++) {
            ok.options(IpProtocols.DSTOPTS, 0);
        }
        final byte[] sixteen = ok.options(IpProtocols.UDP, 0).raw(new byte[8]).build();
        assertTrue(walker.walk(sixteen, BASE, sixteen.length));
        assertEquals(16, walker.extensionHeaderCount());
        assertEquals(IpProtocols.UDP, walker.protocol());

        final Chain tooMany = new Chain(IpProtocols.DSTOPTS);
        for (int i = 0; i < 16; i++) {
            tooMany.options(IpProtocols.DSTOPTS, 0);
        }
        final byte[] seventeen = tooMany.options(IpProtocols.UDP, 0).raw(new byte[8]).build();
        assertEquals(Ipv6Header.WALK_TOO_MANY_HEADERS, Ipv6Header.skipExtensionHeaders(seventeen, BASE, seventeen.length));
    }

    @Test
    void largestHeadersStillPackCorrectly() {
        // 2048-byte Destination Options then a 1028-byte AH: the longest distances the packed result holds.
        final Chain c = new Chain(IpProtocols.DSTOPTS);
        c.options(IpProtocols.AH, 255);
        final int ah = c.position();
        c.ah(IpProtocols.ESP, 255);
        final byte[] p = c.raw(new byte[8]).build();
        assertTrue(walker.walk(p, BASE, p.length));
        assertEquals(IpProtocols.ESP, walker.protocol());
        assertEquals(BASE + 40 + 2048 + 1028, walker.protocolOffset());
        assertEquals(ah, walker.nextHeaderFieldOffset());
    }

    @Test
    void randomBytesNeverThrowAndStayInBounds() {
        final Random random = new Random(8200);
        final int[] types = {0, 43, 44, 51, 60, 6, 17, 50, 58, 59};
        for (int round = 0; round < 50_000; round++) {
            final byte[] p = new byte[40 + random.nextInt(200)];
            random.nextBytes(p);
            // Bias next-header bytes towards extension headers so that chains get long.
            p[6] = (byte) types[random.nextInt(types.length)];
            for (int i = 40; i + 1 < p.length; i += 8) {
                p[i] = (byte) types[random.nextInt(types.length)];
                p[i + 1] = (byte) random.nextInt(3);
            }
            final int end = 40 + random.nextInt(p.length - 39);
            final long walk = Ipv6Header.skipExtensionHeaders(p, 0, end);
            if (!Ipv6Header.walkFailed(walk)) {
                final int offset = Ipv6Header.walkOffset(walk);
                final int field = Ipv6Header.walkNextHeaderFieldOffset(walk);
                assertTrue(offset >= 40 && offset <= end, "offset " + offset);
                assertTrue(field >= 6 && field < offset, "field " + field);
                assertEquals(Ipv6Header.walkProtocol(walk), p[field] & 0xFF);
            }
        }
    }

    @Test
    void walkerToString() {
        assertEquals("Ipv6ExtensionWalker{not walked}", walker.toString());
        final byte[] p = new Chain(IpProtocols.UDP).raw(new byte[8]).build();
        walker.walk(p, BASE, p.length);
        assertEquals("Ipv6ExtensionWalker{protocol=UDP, protocolOffset=54, nextHeaderFieldOffset=20,"
                + " extensionHeaders=0, fragment=false}", walker.toString());
    }
}
