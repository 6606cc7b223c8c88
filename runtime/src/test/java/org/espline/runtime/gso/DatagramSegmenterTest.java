package org.espline.runtime.gso;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.header.Ipv4Header;
import org.espline.runtime.pipeline.PacketBatch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * USO in software: a UDP super-datagram becomes datagrams of the sender's segment size, the last one shorter, each
 * with its own lengths, IPv4 identification and header checksum, and a UDP checksum a receiver verifies; their payloads
 * put together are the super-datagram's. Anything that is not a UDP super-datagram passes untouched.
 */
class DatagramSegmenterTest {
    private final BufferPool big = new BufferPool(4, 64, 65575, 0, 2);
    private final BufferPool small = new BufferPool(256, 64, 1500, 0, 2);

    /** IPv4 or IPv6 + UDP with {@code payload} bytes; the UDP checksum left as the kernel leaves it (partial), here 0. */
    private static byte[] datagram(boolean v6, int payload) {
        int ip = v6 ? 40 : 20;
        byte[] p = new byte[ip + 8 + payload];
        if (v6) {
            p[0] = 0x60;
            p[4] = (byte) ((8 + payload) >>> 8);
            p[5] = (byte) (8 + payload);
            p[6] = 17;
            p[7] = 64;
            p[8] = 0x20;
            p[9] = 0x01;
            p[23] = 1;
            p[24] = 0x20;
            p[25] = 0x01;
            p[39] = 2;
        } else {
            p[0] = 0x45;
            p[2] = (byte) ((ip + 8 + payload) >>> 8);
            p[3] = (byte) (ip + 8 + payload);
            p[4] = 0x12;
            p[5] = 0x34;
            p[8] = 64;
            p[9] = 17;
            p[12] = 10;
            p[15] = 1;
            p[16] = 10;
            p[19] = 2;
            new Ipv4Header().wrap(p, 0).updateChecksum();
        }
        p[ip] = (byte) 0x9C;
        p[ip + 1] = 0x40;
        p[ip + 2] = 0x11;
        p[ip + 3] = 0x5C;
        for (int i = 0; i < payload; i++) {
            p[ip + 8 + i] = (byte) (i * 7 + 3);
        }
        return p;
    }

    private PacketBuffer load(byte[] bytes) {
        PacketBuffer b = big.acquire();
        System.arraycopy(bytes, 0, b.array(), b.put(bytes.length), bytes.length);
        return b;
    }

    @ParameterizedTest(name = "v6={0} payload={1} size={2} -> {3}")
    @CsvSource({"false, 3072, 1000, 4", "false, 64000, 1200, 54", "true, 3000, 1000, 3", "true, 2001, 1000, 3"})
    void cutsIntoDatagramsOfTheSegmentSizeWithValidChecksums(boolean v6, int payload, int size, int expected) {
        byte[] whole = datagram(v6, payload);
        PacketBatch out = new PacketBatch(128);
        assertEquals(expected, new DatagramSegmenter(small).segment(load(whole), size, out));
        assertEquals(0, big.outstanding(), "the super-datagram went back to its pool");
        int ip = v6 ? 40 : 20;
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (int i = 0; i < out.size(); i++) {
            PacketBuffer d = out.get(i);
            byte[] b = d.toByteArray();
            int len = i < expected - 1 ? size : payload - (expected - 1) * size;
            assertEquals(ip + 8 + len, b.length);
            assertEquals(InternetChecksum.Status.VALID, InternetChecksum.verifyTransportChecksum(b, 0, b.length), "datagram " + i);
            assertEquals(8 + len, ((b[ip + 4] & 0xFF) << 8) | (b[ip + 5] & 0xFF), "UDP length");
            if (v6) {
                assertEquals(8 + len, ((b[4] & 0xFF) << 8) | (b[5] & 0xFF), "IPv6 payload length");
            } else {
                Ipv4Header h = new Ipv4Header().wrap(b, 0);
                assertEquals(b.length, h.totalLength());
                assertEquals((0x1234 + i) & 0xFFFF, h.identification());
                assertEquals(true, h.isChecksumValid());
            }
            assertEquals(0x9C40, ((b[ip] & 0xFF) << 8) | (b[ip + 1] & 0xFF), "ports kept");
            joined.write(b, ip + 8, len);
        }
        assertArrayEquals(java.util.Arrays.copyOfRange(whole, ip + 8, whole.length), joined.toByteArray());
        out.releaseAll();
        assertEquals(0, small.outstanding());
    }

    @Test
    void whatIsNotAUdpSuperDatagramPassesUntouched() {
        DatagramSegmenter s = new DatagramSegmenter(small);
        PacketBatch out = new PacketBatch(128);
        PacketBuffer fits = load(datagram(false, 1000));
        assertEquals(DatagramSegmenter.PASS, s.segment(fits, 1000, out), "payload within one segment");
        byte[] tcp = datagram(false, 3000);
        tcp[9] = 6;
        PacketBuffer notUdp = load(tcp);
        assertEquals(DatagramSegmenter.PASS, s.segment(notUdp, 1000, out));
        byte[] frag = datagram(false, 3000);
        frag[6] = 0x20; // more fragments
        PacketBuffer fragment = load(frag);
        assertEquals(DatagramSegmenter.PASS, s.segment(fragment, 1000, out));
        PacketBuffer truncated = load(new byte[] {0x45, 0, 0, 10});
        assertEquals(DatagramSegmenter.MALFORMED, s.segment(truncated, 1000, out));
        assertEquals(0, out.size());
        for (PacketBuffer p : new PacketBuffer[] {fits, notUdp, fragment, truncated}) {
            assertEquals(1, p.refCount(), "still the caller's");
            p.release();
        }
        assertEquals(0, small.outstanding());
    }

    @Test
    void aDryPoolOrAFullBatchLeavesTheSuperDatagramToTheCaller() {
        BufferPool two = new BufferPool(2, 64, 1500, 0, 2);
        PacketBatch out = new PacketBatch(128);
        PacketBuffer p = load(datagram(false, 3072));
        assertEquals(DatagramSegmenter.NO_BUFFERS, new DatagramSegmenter(two).segment(p, 1000, out));
        assertEquals(0, out.size());
        assertEquals(0, two.outstanding(), "what was taken went back");
        PacketBatch three = new PacketBatch(3);
        assertEquals(DatagramSegmenter.MALFORMED, new DatagramSegmenter(small).segment(p, 1000, three));
        assertEquals(1, p.refCount());
        p.release();
        assertEquals(0, big.outstanding());
    }
}
