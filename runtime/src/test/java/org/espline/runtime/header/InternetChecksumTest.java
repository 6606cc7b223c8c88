package org.espline.runtime.header;

import static org.espline.runtime.header.InternetChecksum.Status.ABSENT;
import static org.espline.runtime.header.InternetChecksum.Status.INVALID;
import static org.espline.runtime.header.InternetChecksum.Status.MALFORMED;
import static org.espline.runtime.header.InternetChecksum.Status.NOT_APPLICABLE;
import static org.espline.runtime.header.InternetChecksum.Status.VALID;
import static org.espline.runtime.header.TestPackets.at;
import static org.espline.runtime.header.TestPackets.concat;
import static org.espline.runtime.header.TestPackets.hex;
import static org.espline.runtime.header.TestPackets.referenceChecksum;
import static org.espline.runtime.header.TestPackets.referenceTransportChecksum;
import static org.espline.runtime.header.TestPackets.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class InternetChecksumTest {
    private final Random random = new Random(1071);

    // ------------------------------------------------------------------ plain sums

    @Test
    void rfc1071Example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        final byte[] data = hex("0001f203f4f5f6f7");
        assertEquals(0xDDF2, InternetChecksum.sum(data, 0, 8));
        assertEquals(0x220D, InternetChecksum.checksum(data, 0, 8));
    }

    @Test
    void theIpv4HeaderSumEqualsTheBulkSumAtEveryOffset() {
        final byte[] a = new byte[64];
        for (int round = 0; round < 2000; round++) {
            random.nextBytes(a);
            if (round % 100 == 0) {
                java.util.Arrays.fill(a, (byte) (round % 200 == 0 ? 0xFF : 0)); // the all-ones and all-zero edges
            }
            final int off = random.nextInt(a.length - 19);
            assertEquals(InternetChecksum.sum(a, off, 20), InternetChecksum.sumOfIpv4Header(a, off), "offset " + off);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> InternetChecksum.sumOfIpv4Header(new byte[19], 0));
    }

    @Test
    void oddLengthPadsTheLastByteOnTheRight() {
        assertEquals(0xAB00, InternetChecksum.sum(new byte[] {(byte) 0xAB}, 0, 1));
        assertEquals(0x0102 + 0x0300, InternetChecksum.sum(new byte[] {1, 2, 3}, 0, 3));
        assertEquals(0, InternetChecksum.sum(new byte[4], 0, 4));
        assertEquals(0, InternetChecksum.sum(new byte[4], 2, 0));
        assertEquals(0xFFFF, InternetChecksum.checksum(new byte[0], 0, 0));
    }

    @Test
    void matchesTheReferenceOnRandomRangesOffsetsAndLengths() {
        final byte[] data = new byte[2000];
        for (int round = 0; round < 20_000; round++) {
            if (round % 100 == 0) {
                random.nextBytes(data);
                if (round % 200 == 0) {
                    java.util.Arrays.fill(data, (byte) 0xFF); // carries on every add
                }
            }
            final int offset = random.nextInt(64);
            final int length = random.nextInt(round < 1000 ? 16 : data.length - offset);
            assertEquals(referenceChecksum(data, offset, length), InternetChecksum.checksum(data, offset, length),
                    "offset " + offset + " length " + length);
        }
    }

    @Test
    void rangesWithEvenLengthsCombine() {
        final byte[] data = new byte[301];
        random.nextBytes(data);
        final int whole = InternetChecksum.sum(data, 0, 301);
        final int split = InternetChecksum.add(InternetChecksum.add(InternetChecksum.sum(data, 0, 100),
                InternetChecksum.sum(data, 100, 64)), InternetChecksum.sum(data, 164, 137));
        assertEquals(whole, split);
        assertEquals(~whole & 0xFFFF, InternetChecksum.checksum(InternetChecksum.sum(data, 0, 100), data, 100, 201));
    }

    @Test
    void foldKeepsTheValueModulo0xFFFF() {
        assertEquals(0, InternetChecksum.fold(0));
        assertEquals(0xFFFF, InternetChecksum.fold(0xFFFF));
        assertEquals(1, InternetChecksum.fold(0x10000));
        assertEquals(0xFFFF, InternetChecksum.fold(0x1FFFE));
        for (int i = 0; i < 10_000; i++) {
            final long value = random.nextLong() & Long.MAX_VALUE;
            final int folded = InternetChecksum.fold(value);
            assertTrue(folded >= 1 && folded <= 0xFFFF);
            assertEquals(value % 0xFFFF, folded % 0xFFFF);
        }
        assertEquals(0xFFFF, InternetChecksum.add(0xFFFF, 0xFFFF));
        assertEquals(1, InternetChecksum.add(0xFFFF, 1));
    }

    @Test
    void rejectsRangesOutsideTheArray() {
        assertThrows(IndexOutOfBoundsException.class, () -> InternetChecksum.sum(new byte[10], 4, 7));
        assertThrows(IndexOutOfBoundsException.class, () -> InternetChecksum.sum(new byte[10], 4, -1));
    }

    // ------------------------------------------------------------------ RFC 1624

    @Test
    void rfc1624Example() {
        // RFC 1624 §4: HC = 0xDD2F, m = 0x5555 -> m' = 0x3285 gives HC' = 0x0000 with eqn. 3 (eqn. 2 says 0xFFFF).
        assertEquals(0x0000, InternetChecksum.adjust16(0xDD2F, 0x5555, 0x3285));
    }

    @Test
    void incrementalUpdateEqualsFullRecomputationOverRandomData() {
        final byte[] data = new byte[64];
        for (int round = 0; round < 50_000; round++) {
            random.nextBytes(data);
            data[0] |= 1; // never all zeros, the one case where the two differ (0xFFFF vs 0x0000)
            if (round % 7 == 0) {
                java.util.Arrays.fill(data, 8, 64, (byte) 0); // push the sum around the zero boundary
            }
            final int length = 4 + 2 * random.nextInt(30);
            final int checksum = InternetChecksum.checksum(data, 0, length);
            if (random.nextBoolean()) {
                final int at = 2 * random.nextInt(length / 2);
                final int old = ((data[at] & 0xFF) << 8) | (data[at + 1] & 0xFF);
                final int now = random.nextInt(4) == 0 ? (~old & 0xFFFF) : random.nextInt(0x10000);
                data[at] = (byte) (now >>> 8);
                data[at + 1] = (byte) now;
                assertEquals(InternetChecksum.checksum(data, 0, length), InternetChecksum.adjust16(checksum, old, now));
            } else {
                final int at = 2 * random.nextInt(length / 2 - 1);
                final int old = ((data[at] & 0xFF) << 24) | ((data[at + 1] & 0xFF) << 16) | ((data[at + 2] & 0xFF) << 8) | (data[at + 3] & 0xFF);
                final int now = random.nextInt();
                data[at] = (byte) (now >>> 24);
                data[at + 1] = (byte) (now >>> 16);
                data[at + 2] = (byte) (now >>> 8);
                data[at + 3] = (byte) now;
                assertEquals(InternetChecksum.checksum(data, 0, length), InternetChecksum.adjust32(checksum, old, now));
            }
        }
    }

    @Test
    void natRewriteOfTheSourceAddressPatchesTcpViaThePseudoHeader() {
        final byte[] p = hex(TestPackets.IPV4_TCP);
        final Ipv4Header ip = new Ipv4Header().wrap(p, 0);
        final TcpHeader tcp = new TcpHeader().wrap(p, 20);
        for (int round = 0; round < 2_000; round++) {
            final int old = ip.source();
            final int now = random.nextInt();
            ip.checksum(InternetChecksum.adjust32(ip.checksum(), old, now));
            tcp.checksum(InternetChecksum.adjust32(tcp.checksum(), old, now));
            ip.source(now);
            assertTrue(ip.isChecksumValid());
            assertEquals(VALID, InternetChecksum.verifyTransportChecksum(p, 0, p.length));
            assertEquals(InternetChecksum.computeTransportChecksum(p, 0, p.length), tcp.checksum());
        }
    }

    // ------------------------------------------------------------------ pseudo-headers

    @Test
    void pseudoHeaderSumsMatchTheirByteLayout() {
        final byte[] v4 = hex(TestPackets.IPV4_UDP);
        final int expected4 = InternetChecksum.sum(hex("c0000201c6336402" + "0011" + "0013"), 0, 12);
        assertEquals(expected4, InternetChecksum.ipv4PseudoHeaderSum(v4, 0, IpProtocols.UDP, 19));
        assertEquals(expected4, InternetChecksum.ipv4PseudoHeaderSum(0xC0000201, 0xC6336402, IpProtocols.UDP, 19));

        final byte[] v6 = hex(TestPackets.IPV6_ICMP);
        final byte[] pseudo = concat(slice(v6, 8, 40), hex("0000000d" + "0000003a"));
        assertEquals(InternetChecksum.sum(pseudo, 0, 40), InternetChecksum.ipv6PseudoHeaderSum(v6, 0, IpProtocols.ICMPV6, 13));
        assertEquals(InternetChecksum.sum(pseudo, 0, 40), InternetChecksum.ipv6PseudoHeaderSum(v6, 8, 24, IpProtocols.ICMPV6, 13));
        final byte[] big = concat(slice(v6, 8, 40), hex("00012345" + "00000006"));
        assertEquals(InternetChecksum.sum(big, 0, 40), InternetChecksum.ipv6PseudoHeaderSum(v6, 0, IpProtocols.TCP, 0x12345));
    }

    // ------------------------------------------------------------------ whole packets, known good

    @Test
    void scapyPacketsVerifyAndRecompute() {
        final String[] packets = {TestPackets.IPV4_UDP, TestPackets.IPV4_TCP, TestPackets.IPV6_HBH_UDP,
                TestPackets.IPV6_ICMP, TestPackets.IPV4_ICMP};
        final int[] fieldOffsets = {26, 36, 54, 42, 22};
        for (int i = 0; i < packets.length; i++) {
            final byte[] p = at(5, hex(packets[i]), 11);
            final int end = 5 + packets[i].length() / 2;
            final int stored = ((p[5 + fieldOffsets[i]] & 0xFF) << 8) | (p[5 + fieldOffsets[i] + 1] & 0xFF);
            assertEquals(VALID, InternetChecksum.verifyTransportChecksum(p, 5, end), packets[i]);
            assertEquals(stored, InternetChecksum.computeTransportChecksum(p, 5, end), packets[i]);
            assertEquals(VALID, InternetChecksum.verifyTransportChecksum(p, 5, p.length), "trailing bytes are ignored");

            p[end - 1] ^= 0x40;
            assertEquals(INVALID, InternetChecksum.verifyTransportChecksum(p, 5, end), packets[i]);
            assertEquals(VALID, InternetChecksum.updateTransportChecksum(p, 5, end));
            assertEquals(VALID, InternetChecksum.verifyTransportChecksum(p, 5, end));
            p[end - 1] ^= 0x40;
            assertEquals(INVALID, InternetChecksum.verifyTransportChecksum(p, 5, end));
        }
    }

    @Test
    void ipv4HeaderChecksumsOfTheScapyPacketsAreValid() {
        for (String hex : new String[] {TestPackets.IPV4_UDP, TestPackets.IPV4_TCP, TestPackets.IPV4_ICMP}) {
            final Ipv4Header ip = new Ipv4Header().wrap(hex(hex), 0);
            assertTrue(ip.isChecksumValid(), hex);
            assertEquals(ip.checksum(), ip.computeChecksum(), hex);
        }
    }

    // ------------------------------------------------------------------ whole packets, built here

    @Test
    void builtIpv4TcpAndUdpMatchTheReference() {
        for (int round = 0; round < 2_000; round++) {
            final boolean tcp = random.nextBoolean();
            final int headerLength = 20 + 4 * random.nextInt(3);
            final int transportHeader = tcp ? 20 + 4 * random.nextInt(4) : 8;
            final int segmentLength = transportHeader + random.nextInt(300);
            final byte[] p = new byte[headerLength + segmentLength];
            random.nextBytes(p);
            final Ipv4Header ip = new Ipv4Header().wrap(p, 0).version(4).headerLength(headerLength)
                    .totalLength(p.length).flagsAndFragmentOffset(Ipv4Header.FLAG_DF)
                    .protocol(tcp ? IpProtocols.TCP : IpProtocols.UDP).updateChecksum();
            if (!tcp) {
                new UdpHeader().wrap(p, headerLength).length(segmentLength);
            } else {
                new TcpHeader().wrap(p, headerLength).dataOffset(transportHeader / 4);
            }
            final int field = headerLength + (tcp ? 16 : 6);
            final int expected = referenceTransportChecksum(slice(p, 12, 16), slice(p, 16, 20), ip.protocol(),
                    slice(p, headerLength, p.length), field - headerLength);
            assertEquals(VALID, InternetChecksum.updateTransportChecksum(p, 0, p.length));
            assertEquals(expected, ((p[field] & 0xFF) << 8) | (p[field + 1] & 0xFF));
            assertEquals(VALID, InternetChecksum.verifyTransportChecksum(p, 0, p.length));
        }
    }

    @Test
    void builtIpv6ChainsMatchTheReference() {
        final int[] upper = {IpProtocols.TCP, IpProtocols.UDP, IpProtocols.ICMPV6};
        for (int round = 0; round < 2_000; round++) {
            final int protocol = upper[random.nextInt(upper.length)];
            final int extensions = random.nextInt(3); // 0..2 Destination Options headers of 8..24 bytes
            final int[] lengths = new int[extensions];
            int extensionBytes = 0;
            for (int i = 0; i < extensions; i++) {
                lengths[i] = 8 * (1 + random.nextInt(3));
                extensionBytes += lengths[i];
            }
            final int segmentLength = (protocol == IpProtocols.TCP ? 20 : 8) + random.nextInt(300);
            final byte[] p = new byte[40 + extensionBytes + segmentLength];
            random.nextBytes(p);
            new Ipv6Header().wrap(p, 0).version(6).payloadLength(extensionBytes + segmentLength)
                    .nextHeader(extensions == 0 ? protocol : IpProtocols.DSTOPTS);
            int at = 40;
            for (int i = 0; i < extensions; i++) {
                p[at] = (byte) (i == extensions - 1 ? protocol : IpProtocols.DSTOPTS);
                p[at + 1] = (byte) (lengths[i] / 8 - 1);
                at += lengths[i];
            }
            if (protocol == IpProtocols.UDP) {
                new UdpHeader().wrap(p, at).length(segmentLength);
            } else if (protocol == IpProtocols.TCP) {
                new TcpHeader().wrap(p, at).dataOffset(5);
            }
            final int fieldInSegment = protocol == IpProtocols.TCP ? 16 : protocol == IpProtocols.UDP ? 6 : 2;
            final int expected = referenceTransportChecksum(slice(p, 8, 24), slice(p, 24, 40), protocol,
                    slice(p, at, p.length), fieldInSegment);
            assertEquals(expected, InternetChecksum.computeTransportChecksum(p, 0, p.length));
            assertEquals(VALID, InternetChecksum.updateTransportChecksum(p, 0, p.length));
            assertEquals(expected, ((p[at + fieldInSegment] & 0xFF) << 8) | (p[at + fieldInSegment + 1] & 0xFF));
        }
    }

    // ------------------------------------------------------------------ UDP zero

    @Test
    void udpChecksumZeroMeansAbsentOverIpv4AndInvalidOverIpv6() {
        final byte[] v4 = hex(TestPackets.IPV4_UDP);
        new UdpHeader().wrap(v4, 20).checksum(0);
        assertEquals(ABSENT, InternetChecksum.verifyTransportChecksum(v4, 0, v4.length));

        final byte[] v6 = hex(TestPackets.IPV6_HBH_UDP);
        new UdpHeader().wrap(v6, 48).checksum(0);
        assertEquals(INVALID, InternetChecksum.verifyTransportChecksum(v6, 0, v6.length));
    }

    @Test
    void aComputedZeroIsSentAs0xFFFF() {
        for (String hex : new String[] {TestPackets.IPV4_UDP, TestPackets.IPV6_HBH_UDP}) {
            final byte[] p = hex(hex);
            final int payloadWord = p.length - 3; // last full word of the payload, at an even segment offset
            final int udp = hex == TestPackets.IPV4_UDP ? 20 : 48;
            assertEquals(0, (payloadWord - udp) % 2);
            // Choose the word so that everything else plus it sums to 0xFFFF: the true checksum is then 0.
            p[payloadWord] = 0;
            p[payloadWord + 1] = 0;
            final int rest = ~InternetChecksum.computeTransportChecksum(p, 0, p.length) & 0xFFFF;
            final int word = 0xFFFF - rest;
            p[payloadWord] = (byte) (word >>> 8);
            p[payloadWord + 1] = (byte) word;
            assertEquals(0xFFFF, InternetChecksum.computeTransportChecksum(p, 0, p.length), hex);
            InternetChecksum.updateTransportChecksum(p, 0, p.length);
            assertEquals(0xFFFF, new UdpHeader().wrap(p, udp).checksum());
            assertEquals(VALID, InternetChecksum.verifyTransportChecksum(p, 0, p.length));
            assertEquals(0xFFFF, InternetChecksum.udpOnWire(0));
            assertEquals(0x1234, InternetChecksum.udpOnWire(0x1234));
        }
    }

    @Test
    void tcpComputedZeroStaysZero() {
        final byte[] p = hex(TestPackets.IPV4_TCP);
        final int word = p.length - 3;
        p[word] = 0;
        p[word + 1] = 0;
        final int rest = ~InternetChecksum.computeTransportChecksum(p, 0, p.length) & 0xFFFF;
        final int fill = 0xFFFF - rest;
        p[word] = (byte) (fill >>> 8);
        p[word + 1] = (byte) fill;
        assertEquals(0, InternetChecksum.computeTransportChecksum(p, 0, p.length));
    }

    // ------------------------------------------------------------------ not applicable, malformed

    @Test
    void fragmentsAndOtherProtocolsAreNotApplicable() {
        final byte[] v4 = hex(TestPackets.IPV4_UDP);
        final Ipv4Header ip = new Ipv4Header().wrap(v4, 0);
        ip.moreFragments(true);
        assertEquals(NOT_APPLICABLE, InternetChecksum.verifyTransportChecksum(v4, 0, v4.length));
        assertEquals(InternetChecksum.NOT_APPLICABLE, InternetChecksum.computeTransportChecksum(v4, 0, v4.length));
        ip.moreFragments(false).fragmentOffset(3);
        assertEquals(NOT_APPLICABLE, InternetChecksum.updateTransportChecksum(v4, 0, v4.length));
        ip.fragmentOffset(0).protocol(IpProtocols.ESP);
        assertEquals(NOT_APPLICABLE, InternetChecksum.verifyTransportChecksum(v4, 0, v4.length));
        ip.protocol(IpProtocols.ICMPV6);
        assertEquals(NOT_APPLICABLE, InternetChecksum.verifyTransportChecksum(v4, 0, v4.length));

        // IPv6 with a Fragment header in front of the UDP header.
        final byte[] v6 = hex(TestPackets.IPV6_HBH_UDP);
        v6[40] = (byte) IpProtocols.FRAGMENT; // HBH now names a Fragment header, reusing the PadN bytes
        assertEquals(NOT_APPLICABLE, InternetChecksum.verifyTransportChecksum(v6, 0, v6.length));
        final byte[] icmpOverV6 = hex(TestPackets.IPV6_ICMP);
        icmpOverV6[6] = (byte) IpProtocols.ICMP;
        assertEquals(NOT_APPLICABLE, InternetChecksum.verifyTransportChecksum(icmpOverV6, 0, icmpOverV6.length));
    }

    @Test
    void inconsistentLengthsAreMalformedNotExceptions() {
        final byte[] v4 = hex(TestPackets.IPV4_UDP);
        assertEquals(MALFORMED, InternetChecksum.verifyTransportChecksum(v4, 0, v4.length - 1), "total length past end");
        final Ipv4Header ip = new Ipv4Header().wrap(v4, 0);
        new UdpHeader().wrap(v4, 20).length(20);
        assertEquals(MALFORMED, InternetChecksum.verifyTransportChecksum(v4, 0, v4.length), "UDP length past IP");
        new UdpHeader().wrap(v4, 20).length(7);
        assertEquals(MALFORMED, InternetChecksum.verifyTransportChecksum(v4, 0, v4.length), "UDP length below 8");
        ip.totalLength(26);
        assertEquals(MALFORMED, InternetChecksum.verifyTransportChecksum(v4, 0, v4.length), "no room for UDP header");
        ip.totalLength(v4.length).ihl(4);
        assertEquals(MALFORMED, InternetChecksum.verifyTransportChecksum(v4, 0, v4.length), "IHL 4");

        final byte[] tcp = hex(TestPackets.IPV4_TCP);
        new Ipv4Header().wrap(tcp, 0).totalLength(39);
        assertEquals(MALFORMED, InternetChecksum.verifyTransportChecksum(tcp, 0, tcp.length), "19-byte TCP segment");

        final byte[] v6 = hex(TestPackets.IPV6_ICMP);
        assertEquals(MALFORMED, InternetChecksum.verifyTransportChecksum(v6, 0, v6.length - 1), "payload length past end");
        assertEquals(MALFORMED, InternetChecksum.verifyTransportChecksum(v6, 0, 39));
        v6[0] = 0x50;
        assertEquals(MALFORMED, InternetChecksum.verifyTransportChecksum(v6, 0, v6.length), "version 5");
        assertEquals(MALFORMED, InternetChecksum.verifyTransportChecksum(v6, 0, 0));
        assertEquals(InternetChecksum.MALFORMED, InternetChecksum.computeTransportChecksum(v6, 0, v6.length + 1));
    }

    @Test
    void udpPaddingBeyondTheUdpLengthIsNotCovered() {
        // IP says 4 bytes more than UDP: those are padding (Linux trims them) and must not enter the sum.
        final byte[] original = hex(TestPackets.IPV4_UDP);
        final byte[] padded = concat(original, hex("deadbeef"));
        new Ipv4Header().wrap(padded, 0).totalLength(padded.length).updateChecksum();
        assertEquals(VALID, InternetChecksum.verifyTransportChecksum(padded, 0, padded.length));
        assertFalse(InternetChecksum.verifyTransportChecksum(padded, 0, padded.length - 1) == VALID);
    }
}
