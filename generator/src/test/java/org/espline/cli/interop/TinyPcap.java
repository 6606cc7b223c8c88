package org.espline.cli.interop;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A classic-pcap reader just big enough for the interop tests, kept apart from Espline's own
 * {@code PcapReader} so a bug there cannot hide a bug in what it reads.
 *
 * <pre>
 * global header (24 bytes): magic a1b2c3d4 (µs) or a1b23c4d (ns), either byte order;
 *                           version 2.4; thiszone; sigfigs; snaplen; linktype (low 28 bits)
 * record header (16 bytes): ts_sec; ts_frac; incl_len; orig_len   then incl_len bytes
 * </pre>
 */
final class TinyPcap {
    static final int LINKTYPE_RAW = 101;

    private TinyPcap() {
    }

    /** The link type and the packets of one capture, in file order. */
    record Capture(int linktype, List<byte[]> packets) {
    }

    static Capture read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 24) {
            throw new IOException(file + ": " + bytes.length + " bytes, expected at least a 24-byte pcap header");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int magic = buf.getInt(0);
        if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
            buf.order(ByteOrder.BIG_ENDIAN);
        } else if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
            throw new IOException(String.format("%s: magic 0x%08x is not classic pcap", file, magic));
        }
        int linktype = buf.getInt(20) & 0x0fffffff;
        List<byte[]> packets = new ArrayList<>();
        int off = 24;
        while (off < bytes.length) {
            if (off + 16 > bytes.length) {
                throw new IOException(file + ": truncated record header at offset " + off);
            }
            int incl = buf.getInt(off + 8);
            int orig = buf.getInt(off + 12);
            if (incl < 0 || incl != orig || off + 16 + incl > bytes.length) {
                throw new IOException(file + ": record at offset " + off + " truncated or snapped (incl_len "
                        + incl + ", orig_len " + orig + ")");
            }
            packets.add(Arrays.copyOfRange(bytes, off + 16, off + 16 + incl));
            off += 16 + incl;
        }
        return new Capture(linktype, packets);
    }

    /** Writes a little-endian microsecond pcap, one record per packet, timestamps 1 ms apart. */
    static void write(Path file, int linktype, List<byte[]> packets) throws IOException {
        int size = 24;
        for (byte[] p : packets) {
            size += 16 + p.length;
        }
        ByteBuffer buf = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535)
                .putInt(linktype);
        for (int i = 0; i < packets.size(); i++) {
            byte[] p = packets.get(i);
            buf.putInt(1700000000).putInt(i * 1000).putInt(p.length).putInt(p.length).put(p);
        }
        Files.write(file, buf.array());
    }

    /** Null when the two packet lists are equal, else what differs first, for a failure message. */
    static String firstDifference(List<byte[]> expected, List<byte[]> actual) {
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            byte[] want = expected.get(i);
            byte[] got = actual.get(i);
            int at = Arrays.mismatch(want, got);
            if (at >= 0) {
                String bytesAt = at < Math.min(want.length, got.length)
                        ? String.format(" (expected 0x%02x, was 0x%02x)", want[at] & 0xff, got[at] & 0xff)
                        : "";
                return String.format("packet %d of %d: expected %d bytes, was %d; first difference at offset %d%s",
                        i, expected.size(), want.length, got.length, at, bytesAt);
            }
        }
        if (expected.size() != actual.size()) {
            return "expected " + expected.size() + " packets, was " + actual.size();
        }
        return null;
    }

    /**
     * The packets stably sorted by IP flow (version, addresses, protocol): each flow's packets keep their order, the
     * order between flows is dropped.
     */
    static List<byte[]> byFlow(List<byte[]> packets) {
        List<byte[]> sorted = new java.util.ArrayList<>(packets);
        sorted.sort(java.util.Comparator.comparing(TinyPcap::flowKey));
        return sorted;
    }

    private static String flowKey(byte[] p) {
        if (p.length >= 40 && (p[0] >>> 4 & 0xF) == 6) {
            return "6/" + hex(Arrays.copyOfRange(p, 8, 40)) + "/" + (p[6] & 0xFF);
        }
        if (p.length >= 20) {
            return "4/" + hex(Arrays.copyOfRange(p, 12, 20)) + "/" + (p[9] & 0xFF);
        }
        return "?";
    }

    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return sb.toString();
    }
}
