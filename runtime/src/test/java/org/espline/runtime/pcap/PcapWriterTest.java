package org.espline.runtime.pcap;

import static org.espline.runtime.pcap.PcapFiles.IPV4_UDP;
import static org.espline.runtime.pcap.PcapFiles.IPV6_ICMP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapWriterTest {
    @TempDir
    Path dir;

    private final PcapRecord record = new PcapRecord();

    @Test
    void fileHeaderIsLittleEndianMicrosecondRawIp() throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PcapWriter(out).close();
        assertArrayEquals(PcapFiles.hex("d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "00000400" + "65000000"),
                out.toByteArray());
    }

    @Test
    void recordLayoutByteForByte() throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PcapWriter w = new PcapWriter(out, PcapLinkType.ETHERNET)) {
            w.write(new byte[] {9, 1, 2, 3, 9}, 1, 3, 0x01020304L, 999_999);
            assertEquals(1, w.recordCount());
            assertEquals(PcapLinkType.ETHERNET, w.linkType());
        }
        final byte[] bytes = out.toByteArray();
        assertEquals(24 + 16 + 3, bytes.length);
        assertArrayEquals(PcapFiles.hex("01000000"), Arrays.copyOfRange(bytes, 20, 24), "link type");
        assertArrayEquals(PcapFiles.hex("04030201" + "3f420f00" + "03000000" + "03000000" + "010203"),
                Arrays.copyOfRange(bytes, 24, bytes.length));
    }

    @Test
    void roundTripThroughTheReader() throws IOException {
        final Path file = dir.resolve("round.pcap");
        final byte[] framed = new byte[IPV6_ICMP.length + 10];
        System.arraycopy(IPV6_ICMP, 0, framed, 7, IPV6_ICMP.length);
        try (PcapWriter w = new PcapWriter(file)) {
            w.write(IPV4_UDP, 0, IPV4_UDP.length, 1_700_000_000L, 1);
            w.write(framed, 7, IPV6_ICMP.length, 1_700_000_000L, 500_000);
            w.write(IPV4_UDP, 0, IPV4_UDP.length, 0xFFFF_FFFFL, 0);
        }
        try (PcapReader r = new PcapReader(file)) {
            assertEquals(ByteOrder.LITTLE_ENDIAN, r.byteOrder());
            assertFalse(r.isNanosecond());
            assertEquals(PcapWriter.SNAP_LENGTH, r.snapLength());
            assertEquals(PcapLinkType.RAW, r.linkType());

            assertTrue(r.next(record));
            assertEquals(1_700_000_000L, record.timestampSeconds());
            assertEquals(1_000, record.timestampNanos());
            assertEquals(4, record.ipVersion());
            assertArrayEquals(IPV4_UDP, record.copyIpPacket());

            assertTrue(r.next(record));
            assertEquals(500_000_000, record.timestampNanos());
            assertEquals(6, record.ipVersion());
            assertArrayEquals(IPV6_ICMP, record.copyIpPacket());

            assertTrue(r.next(record));
            assertEquals(0xFFFF_FFFFL, record.timestampSeconds());
            assertFalse(r.next(record));
        }
    }

    @Test
    void ethernetRoundTrip() throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final byte[] frame = PcapFiles.ethernet(0x0800, IPV4_UDP, 0x8100);
        try (PcapWriter w = new PcapWriter(out, PcapLinkType.ETHERNET)) {
            w.write(frame, 0, frame.length, 1, 2);
        }
        try (PcapReader r = new PcapReader(new ByteArrayInputStream(out.toByteArray()))) {
            assertEquals(PcapLinkType.ETHERNET, r.linkType());
            assertTrue(r.next(record));
            assertEquals(18, record.ipOffset());
            assertArrayEquals(IPV4_UDP, record.copyIpPacket());
        }
    }

    @Test
    void packetsOverTheSnaplenAreCutLikeACapture() throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final byte[] jumbo = new byte[PcapWriter.SNAP_LENGTH + 1000];
        jumbo[0] = 0x60;
        try (PcapWriter w = new PcapWriter(out)) {
            w.write(jumbo, 0, jumbo.length, 1, 0);
        }
        try (PcapReader r = new PcapReader(new ByteArrayInputStream(out.toByteArray()))) {
            assertTrue(r.next(record));
            assertEquals(PcapWriter.SNAP_LENGTH, record.capturedLength());
            assertEquals(jumbo.length, record.originalLength());
            assertTrue(record.isTruncated());
        }
    }

    @Test
    void rejectsMisuse() throws IOException {
        final PcapWriter w = new PcapWriter(new ByteArrayOutputStream());
        assertThrows(IllegalArgumentException.class, () -> w.write(IPV4_UDP, 0, 4, 1, 1_000_000));
        assertThrows(IllegalArgumentException.class, () -> w.write(IPV4_UDP, 0, 4, 1, -1));
        assertThrows(IllegalArgumentException.class, () -> w.write(IPV4_UDP, 0, 4, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> w.write(IPV4_UDP, 0, 4, 1L << 32, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> w.write(IPV4_UDP, 30, 10, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new PcapWriter(new ByteArrayOutputStream(), 70_000));
        assertEquals(0, w.recordCount());
        w.close();
        w.close();
        assertThrows(IOException.class, () -> w.write(IPV4_UDP, 0, 4, 1, 0));
    }

    @Test
    void flushMakesRecordsVisibleBeforeClose() throws IOException {
        final Path file = dir.resolve("flush.pcap");
        try (PcapWriter w = new PcapWriter(file, PcapLinkType.RAW)) {
            w.write(IPV4_UDP, 0, IPV4_UDP.length, 1, 0);
            w.flush();
            assertEquals(24 + 16 + IPV4_UDP.length, Files.size(file));
        }
    }
}
