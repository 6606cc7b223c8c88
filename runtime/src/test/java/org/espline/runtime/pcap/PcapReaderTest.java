package org.espline.runtime.pcap;

import static org.espline.runtime.pcap.PcapFiles.IPV4_ICMP;
import static org.espline.runtime.pcap.PcapFiles.IPV4_UDP;
import static org.espline.runtime.pcap.PcapFiles.IPV6_ICMP;
import static org.espline.runtime.pcap.PcapFiles.ethernet;
import static org.espline.runtime.pcap.PcapFiles.pad;
import static org.espline.runtime.pcap.PcapFiles.sll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapReaderTest {
    @TempDir
    Path dir;

    private final PcapRecord record = new PcapRecord();

    private static PcapReader reader(byte[] file) throws IOException {
        return new PcapReader(new ByteArrayInputStream(file));
    }

    /** Reads a one-record file and returns the record. */
    private PcapRecord only(byte[] file) throws IOException {
        try (PcapReader r = reader(file)) {
            assertTrue(r.next(record));
            assertFalse(r.next(record));
            return record;
        }
    }

    // ------------------------------------------------------------------ file header variants

    @Test
    void littleEndianMicrosecondRawIp() throws IOException {
        final byte[] file = new PcapFiles.Builder(PcapLinkType.RAW)
                .record(1_700_000_000L, 250_000, IPV4_UDP)
                .record(0xFFFF_FFF0L, 999_999, IPV6_ICMP)
                .build();
        try (PcapReader r = reader(file)) {
            assertEquals(ByteOrder.LITTLE_ENDIAN, r.byteOrder());
            assertFalse(r.isNanosecond());
            assertEquals(2, r.versionMajor());
            assertEquals(4, r.versionMinor());
            assertEquals(65535, r.snapLength());
            assertEquals(PcapLinkType.RAW, r.linkType());
            assertEquals(0, r.fcsLength());
            assertNull(r.name());

            assertTrue(r.next(record));
            assertEquals(1, record.recordNumber());
            assertEquals(24, record.fileOffset());
            assertEquals(1_700_000_000L, record.timestampSeconds());
            assertEquals(250_000_000, record.timestampNanos());
            assertEquals(IPV4_UDP.length, record.capturedLength());
            assertEquals(IPV4_UDP.length, record.originalLength());
            assertFalse(record.isTruncated());
            assertTrue(record.isIp());
            assertEquals(4, record.ipVersion());
            assertEquals(0, record.ipOffset());
            assertEquals(IPV4_UDP.length, record.ipLength());
            assertEquals(IPV4_UDP.length, record.ipEnd());
            assertEquals(0x0800, record.linkProtocol());
            assertArrayEquals(IPV4_UDP, Arrays.copyOf(record.data(), record.capturedLength()));

            assertTrue(r.next(record));
            assertEquals(2, record.recordNumber());
            assertEquals(24 + 16 + IPV4_UDP.length, record.fileOffset());
            assertEquals(0xFFFF_FFF0L, record.timestampSeconds(), "seconds are unsigned");
            assertEquals(999_999_000, record.timestampNanos());
            assertEquals(6, record.ipVersion());
            assertEquals(0x86DD, record.linkProtocol());
            assertArrayEquals(IPV6_ICMP, record.copyIpPacket());

            assertFalse(r.next(record), "clean end of file");
            assertFalse(r.next(record), "and it stays there");
            assertEquals(2, r.recordCount());
            assertEquals(file.length, r.position());
        }
    }

    @Test
    void bigEndianFileReadsTheSame() throws IOException {
        final byte[] file = new PcapFiles.Builder(PcapLinkType.RAW).bigEndian()
                .record(1_700_000_000L, 123_456, IPV4_UDP).build();
        assertEquals((byte) 0xA1, file[0], "big-endian magic on disk");
        try (PcapReader r = reader(file)) {
            assertEquals(ByteOrder.BIG_ENDIAN, r.byteOrder());
            assertEquals(65535, r.snapLength());
            assertEquals(PcapLinkType.RAW, r.linkType());
            assertTrue(r.next(record));
            assertEquals(1_700_000_000L, record.timestampSeconds());
            assertEquals(123_456_000, record.timestampNanos());
            assertEquals(IPV4_UDP.length, record.capturedLength());
            assertArrayEquals(IPV4_UDP, record.copyIpPacket());
        }
    }

    @Test
    void nanosecondMagicInBothByteOrders() throws IOException {
        for (boolean big : new boolean[] {false, true}) {
            final PcapFiles.Builder b = new PcapFiles.Builder(PcapLinkType.IPV6).nanosecond();
            if (big) {
                b.bigEndian();
            }
            final byte[] file = b.record(1_700_000_001L, 123_456_789, IPV6_ICMP).build();
            try (PcapReader r = reader(file)) {
                assertTrue(r.isNanosecond());
                assertTrue(r.next(record));
                assertEquals(1_700_000_001L, record.timestampSeconds());
                assertEquals(123_456_789, record.timestampNanos(), "big=" + big);
                assertEquals(6, record.ipVersion());
            }
        }
    }

    @Test
    void aFractionOfOneSecondOrMoreCarriesIntoTheSeconds() throws IOException {
        only(new PcapFiles.Builder(PcapLinkType.RAW).record(10, 2_500_000, IPV4_UDP).build());
        assertEquals(12, record.timestampSeconds());
        assertEquals(500_000_000, record.timestampNanos());
    }

    // ------------------------------------------------------------------ link types

    @Test
    void ethernetIpv4() throws IOException {
        only(new PcapFiles.Builder(PcapLinkType.ETHERNET).record(1, 0, ethernet(0x0800, IPV4_UDP)).build());
        assertTrue(record.isIp());
        assertEquals(4, record.ipVersion());
        assertEquals(14, record.ipOffset());
        assertEquals(IPV4_UDP.length, record.ipLength());
        assertEquals(0x0800, record.linkProtocol());
        assertEquals(0, record.vlanTagCount());
        assertArrayEquals(IPV4_UDP, record.copyIpPacket());
    }

    @Test
    void ethernetPaddingIsTrimmedByTheIpLength() throws IOException {
        final byte[] frame = pad(ethernet(0x0800, IPV4_ICMP), 60);
        assertEquals(60, frame.length);
        only(new PcapFiles.Builder(PcapLinkType.ETHERNET).record(1, 0, frame).build());
        assertEquals(60, record.capturedLength());
        assertEquals(14, record.ipOffset());
        assertEquals(IPV4_ICMP.length, record.ipLength());
        assertEquals(14 + IPV4_ICMP.length, record.ipEnd());

        // The same for IPv6, whose length is 40 + payload length.
        final byte[] v6 = Arrays.copyOf(IPV6_ICMP, IPV6_ICMP.length + 7);
        only(new PcapFiles.Builder(PcapLinkType.RAW).record(1, 0, v6).build());
        assertEquals(IPV6_ICMP.length, record.ipLength());
    }

    @Test
    void ethernetVlanTagsAreSkipped() throws IOException {
        only(new PcapFiles.Builder(PcapLinkType.ETHERNET)
                .record(1, 0, ethernet(0x86DD, IPV6_ICMP, 0x88A8, 0x8100)).build());
        assertTrue(record.isIp());
        assertEquals(6, record.ipVersion());
        assertEquals(22, record.ipOffset());
        assertEquals(2, record.vlanTagCount());
        assertEquals(0x86DD, record.linkProtocol());
        assertArrayEquals(IPV6_ICMP, record.copyIpPacket());

        only(new PcapFiles.Builder(PcapLinkType.ETHERNET).record(1, 0, ethernet(0x0800, IPV4_UDP, 0x8100)).build());
        assertEquals(18, record.ipOffset());
        assertEquals(1, record.vlanTagCount());

        only(new PcapFiles.Builder(PcapLinkType.ETHERNET).record(1, 0, ethernet(0x0800, IPV4_UDP, 0x9100, 0x8100)).build());
        assertEquals(22, record.ipOffset());
    }

    @Test
    void nonIpEthernetIsFlaggedNotAnError() throws IOException {
        final byte[] arp = new byte[28];
        final byte[] file = new PcapFiles.Builder(PcapLinkType.ETHERNET)
                .record(1, 0, pad(ethernet(0x0806, arp), 60))
                .record(2, 0, ethernet(0x0800, IPV4_UDP))
                .build();
        try (PcapReader r = reader(file)) {
            assertTrue(r.next(record));
            assertFalse(record.isIp());
            assertEquals(-1, record.ipOffset());
            assertEquals(0, record.ipLength());
            assertEquals(0, record.ipVersion());
            assertEquals(0x0806, record.linkProtocol());
            assertEquals(0, record.copyIpPacket().length);
            assertTrue(r.next(record), "the stream goes on after a non-IP record");
            assertTrue(record.isIp());
        }
    }

    @Test
    void runtFramesAndCutTagsAreNotIp() throws IOException {
        only(new PcapFiles.Builder(PcapLinkType.ETHERNET).record(1, 0, new byte[10]).build());
        assertFalse(record.isIp());
        assertEquals(-1, record.linkProtocol());

        // An 802.1Q type with only 2 of the tag's 4 bytes.
        final byte[] frame = Arrays.copyOf(ethernet(0x8100, new byte[0]), 16);
        only(new PcapFiles.Builder(PcapLinkType.ETHERNET).record(1, 0, frame).build());
        assertFalse(record.isIp());
        assertEquals(0x8100, record.linkProtocol());

        only(new PcapFiles.Builder(PcapLinkType.LINUX_SLL).record(1, 0, new byte[15]).build());
        assertFalse(record.isIp());
    }

    @Test
    void linuxCookedCapture() throws IOException {
        final byte[] file = new PcapFiles.Builder(PcapLinkType.LINUX_SLL)
                .record(1, 0, sll(0x0800, IPV4_UDP))
                .record(2, 0, sll(0x86DD, IPV6_ICMP))
                .record(3, 0, sll(0x0806, new byte[28]))
                .build();
        try (PcapReader r = reader(file)) {
            assertEquals(PcapLinkType.LINUX_SLL, r.linkType());
            assertTrue(r.next(record));
            assertEquals(16, record.ipOffset());
            assertEquals(4, record.ipVersion());
            assertArrayEquals(IPV4_UDP, record.copyIpPacket());
            assertTrue(r.next(record));
            assertEquals(16, record.ipOffset());
            assertEquals(6, record.ipVersion());
            assertArrayEquals(IPV6_ICMP, record.copyIpPacket());
            assertTrue(r.next(record));
            assertFalse(record.isIp());
            assertEquals(0x0806, record.linkProtocol());
        }
    }

    @Test
    void rawIpVersionNibbleDecides() throws IOException {
        final byte[] file = new PcapFiles.Builder(PcapLinkType.RAW)
                .record(1, 0, IPV6_ICMP)
                .record(2, 0, new byte[] {0x12, 0x34})
                .record(3, 0, new byte[0])
                .build();
        try (PcapReader r = reader(file)) {
            assertTrue(r.next(record));
            assertEquals(6, record.ipVersion());
            assertTrue(r.next(record));
            assertFalse(record.isIp());
            assertEquals(-1, record.linkProtocol());
            assertTrue(r.next(record));
            assertFalse(record.isIp());
            assertEquals(0, record.capturedLength());
        }
    }

    @Test
    void ipv4AndIpv6LinkTypes() throws IOException {
        only(new PcapFiles.Builder(PcapLinkType.IPV4).record(1, 0, IPV4_UDP).build());
        assertEquals(PcapLinkType.IPV4, record.linkType());
        assertEquals(4, record.ipVersion());
        assertEquals(0, record.ipOffset());
        only(new PcapFiles.Builder(PcapLinkType.IPV6).record(1, 0, IPV6_ICMP).build());
        assertEquals(6, record.ipVersion());
        assertEquals(IPV6_ICMP.length, record.ipLength());
    }

    @Test
    void snaplenTruncatedRecordIsFlagged() throws IOException {
        final byte[] frame = ethernet(0x0800, IPV4_UDP);
        final byte[] cut = Arrays.copyOf(frame, 34);
        only(new PcapFiles.Builder(PcapLinkType.ETHERNET).snapLength(34).record(1, 0, 34, frame.length, cut).build());
        assertTrue(record.isTruncated());
        assertEquals(frame.length, record.originalLength());
        assertEquals(34, record.capturedLength());
        assertTrue(record.isIp());
        assertEquals(20, record.ipLength(), "only what was captured");
    }

    @Test
    void frameCheckSequenceFromTheLinkTypeFieldIsLeftOut() throws IOException {
        // FCS present (bit 26), 2 sixteen-bit words (bits 28..31): 4 bytes of FCS after every frame.
        final int field = (2 << 28) | (1 << 26) | PcapLinkType.ETHERNET;
        final byte[] withoutFcs = ethernet(0x0800, new byte[] {0x45, 0, (byte) 0xFF, (byte) 0xFF});
        final byte[] frame = Arrays.copyOf(withoutFcs, withoutFcs.length + 4);
        try (PcapReader r = reader(new PcapFiles.Builder(field).record(1, 0, frame).build())) {
            assertEquals(PcapLinkType.ETHERNET, r.linkType());
            assertEquals(4, r.fcsLength());
            assertTrue(r.next(record));
            assertEquals(4, record.ipLength(), "the 4 FCS bytes are not IP even though the length field claims more");
        }
    }

    // ------------------------------------------------------------------ buffer reuse

    @Test
    void oneBufferServesManyRecordsAndGrowsWhenNeeded() throws IOException {
        final byte[] big = new byte[5000];
        big[0] = 0x45;
        final byte[] file = new PcapFiles.Builder(PcapLinkType.RAW)
                .record(1, 0, IPV4_UDP).record(2, 0, IPV6_ICMP).record(3, 0, big).record(4, 0, IPV4_UDP).build();
        try (PcapReader r = reader(file)) {
            assertTrue(r.next(record));
            final byte[] first = record.data();
            assertTrue(r.next(record));
            assertSame(first, record.data());
            assertTrue(r.next(record));
            assertNotSame(first, record.data());
            assertEquals(5000, record.capturedLength());
            final byte[] grown = record.data();
            assertTrue(r.next(record));
            assertSame(grown, record.data());
            assertArrayEquals(IPV4_UDP, record.copyIpPacket());
        }
    }

    @Test
    void recordToStringPrintsFields() throws IOException {
        only(new PcapFiles.Builder(PcapLinkType.ETHERNET).record(5, 7, ethernet(0x0800, IPV4_UDP, 0x8100)).build());
        assertEquals("PcapRecord{number=1, fileOffset=24, time=5.000007000, originalLength=57, capturedLength=57,"
                + " truncated=false, linkType=Ethernet, linkProtocol=0x0800, vlanTags=1, ipVersion=4, ipOffset=18,"
                + " ipLength=39}", record.toString());
    }

    // ------------------------------------------------------------------ errors

    private PcapFormatException readAll(Path file) {
        return assertThrows(PcapFormatException.class, () -> {
            try (PcapReader r = new PcapReader(file)) {
                while (r.next(record)) {
                    // drain
                }
            }
        });
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void recordHeaderTruncated() throws IOException {
        final byte[] good = new PcapFiles.Builder(PcapLinkType.RAW).record(1, 0, IPV4_UDP).record(2, 0, IPV6_ICMP).build();
        final int secondRecord = 24 + 16 + IPV4_UDP.length;
        final Path file = write("capture.pcap", Arrays.copyOf(good, secondRecord + 5));
        final PcapFormatException e = readAll(file);
        assertEquals(file + ": record 2 at byte " + secondRecord + ": record header truncated (expected 16 bytes, found 5)",
                e.getMessage());
        assertEquals(file.toString(), e.source());
        assertEquals(2, e.recordNumber());
        assertEquals(secondRecord, e.byteOffset());
        assertEquals("record header truncated (expected 16 bytes, found 5)", e.reason());
    }

    @Test
    void dataTruncated() throws IOException {
        final byte[] good = new PcapFiles.Builder(PcapLinkType.RAW).record(1, 0, IPV4_UDP).build();
        final Path file = write("cut.pcap", Arrays.copyOf(good, 24 + 16 + 10));
        final PcapFormatException e = readAll(file);
        assertEquals(file + ": record 1 at byte 24: packet data truncated (expected " + IPV4_UDP.length
                + " bytes, found 10)", e.getMessage());
        assertEquals(1, e.recordNumber());
    }

    @Test
    void afterAnErrorTheReaderKeepsFailing() throws IOException {
        final byte[] good = new PcapFiles.Builder(PcapLinkType.RAW).record(1, 0, IPV4_UDP).build();
        try (PcapReader r = reader(Arrays.copyOf(good, 24 + 16 + 10))) {
            final PcapFormatException first = assertThrows(PcapFormatException.class, () -> r.next(record));
            assertEquals("record 1 at byte 24: packet data truncated (expected 39 bytes, found 10)", first.getMessage(),
                    "no file name for a bare stream");
            assertSame(first, assertThrows(PcapFormatException.class, () -> r.next(record)));
        }
    }

    @Test
    void capturedLengthOverSnaplen() throws IOException {
        final byte[] bytes = new PcapFiles.Builder(PcapLinkType.RAW).snapLength(32).record(1, 0, IPV4_UDP).build();
        final PcapFormatException e = readAll(write("snap.pcap", bytes));
        assertTrue(e.getMessage().endsWith("snap.pcap: record 1 at byte 24: captured length 39 exceeds snaplen 32"),
                e.getMessage());
    }

    @Test
    void capturedLengthOver256KiB() throws IOException {
        final byte[] bytes = new PcapFiles.Builder(PcapLinkType.RAW).snapLength(Integer.MAX_VALUE)
                .record(1, 0, IPV4_UDP)
                .record(1, 0, 300_000, 300_000, new byte[0])
                .build();
        final PcapFormatException e = readAll(write("huge.pcap", bytes));
        assertEquals(2, e.recordNumber());
        assertTrue(e.getMessage().endsWith("captured length 300000 exceeds the 262144-byte limit"), e.getMessage());

        final byte[] negative = new PcapFiles.Builder(PcapLinkType.RAW).record(1, 0, -1, -1, new byte[0]).build();
        assertTrue(readAll(write("negative.pcap", negative)).getMessage()
                .endsWith("captured length 4294967295 exceeds the 262144-byte limit"));
    }

    @Test
    void snaplenZeroStillReads() throws IOException {
        only(new PcapFiles.Builder(PcapLinkType.RAW).snapLength(0).record(1, 0, IPV4_UDP).build());
        assertTrue(record.isIp());
    }

    @Test
    void badMagic() throws IOException {
        final byte[] bytes = new PcapFiles.Builder(PcapLinkType.RAW).magic(0x12345678).build();
        final Path file = write("bad.pcap", bytes);
        final PcapFormatException e = assertThrows(PcapFormatException.class, () -> new PcapReader(file));
        assertEquals(file + ": file header at byte 0: bad magic 78563412 (expected a1b2c3d4 or a1b23c4d, either byte order)",
                e.getMessage());
        assertEquals(0, e.recordNumber());
    }

    @Test
    void pcapngIsNamed() {
        final byte[] bytes = PcapFiles.hex("0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000");
        final PcapFormatException e = assertThrows(PcapFormatException.class, () -> reader(bytes));
        assertTrue(e.getMessage().contains("pcapng"), e.getMessage());
    }

    @Test
    void fileHeaderTruncatedOrEmpty() {
        final byte[] header = new PcapFiles.Builder(PcapLinkType.RAW).build();
        assertEquals("file header at byte 0: file header truncated (expected 24 bytes, found 10)",
                assertThrows(PcapFormatException.class, () -> reader(Arrays.copyOf(header, 10))).getMessage());
        assertEquals("file header at byte 0: file header truncated (expected 24 bytes, found 0)",
                assertThrows(PcapFormatException.class, () -> reader(new byte[0])).getMessage());
    }

    @Test
    void unsupportedLinkTypeAndVersion() {
        final PcapFormatException link = assertThrows(PcapFormatException.class,
                () -> reader(new PcapFiles.Builder(105).build()));
        assertTrue(link.getMessage().contains("unsupported link type 105"), link.getMessage());
        final PcapFormatException version = assertThrows(PcapFormatException.class,
                () -> reader(new PcapFiles.Builder(PcapLinkType.RAW).versionMajor(1).build()));
        assertTrue(version.getMessage().contains("unsupported version 1.4"), version.getMessage());
    }

    @Test
    void headerOnlyFileHasNoRecords() throws IOException {
        try (PcapReader r = reader(new PcapFiles.Builder(PcapLinkType.ETHERNET).build())) {
            assertFalse(r.next(record));
            assertEquals(0, r.recordCount());
        }
    }

    @Test
    void constructorFailureClosesTheStream() {
        final boolean[] closed = {false};
        final InputStream in = new ByteArrayInputStream(new byte[3]) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        assertThrows(PcapFormatException.class, () -> new PcapReader(in, "x.pcap"));
        assertTrue(closed[0]);
    }

    @Test
    void readsFromAStreamThatDeliversOneByteAtATime() throws IOException {
        final byte[] file = new PcapFiles.Builder(PcapLinkType.RAW).record(1, 0, IPV4_UDP).record(2, 0, IPV6_ICMP).build();
        final InputStream trickle = new InputStream() {
            private int next;

            @Override
            public int read() {
                return next < file.length ? file[next++] & 0xFF : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (next >= file.length) {
                    return -1;
                }
                if (len == 0) {
                    return 0;
                }
                b[off] = file[next++];
                return 1;
            }
        };
        try (PcapReader r = new PcapReader(trickle, "trickle")) {
            assertTrue(r.next(record));
            assertArrayEquals(IPV4_UDP, record.copyIpPacket());
            assertTrue(r.next(record));
            assertArrayEquals(IPV6_ICMP, record.copyIpPacket());
            assertFalse(r.next(record));
        }
    }
}
