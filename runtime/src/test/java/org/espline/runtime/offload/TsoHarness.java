package org.espline.runtime.offload;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.pipeline.Stage;
import org.espline.runtime.sa.SecurityAssociation;

/**
 * TCP super-packets and a two-stage driver (gso, then encrypt) for the TSO tests: the driver feeds a few packets
 * per call as a pipeline does (nothing while the encrypt stage refuses input), drains the stage at the end and
 * returns the wire bytes in output order.
 */
final class TsoHarness {
    /** Super-packets per call. */
    static final int BATCH = 4;

    private TsoHarness() {
    }

    /**
     * A TCP packet (ACK|PSH, timestamps option) of {@code payload} bytes from 10.1.0.5 to 10.2.0.9 (or IPv6), with
     * correct IPv4 header checksum; the TCP checksum is left 0 (segmentation writes each segment's afresh).
     */
    static byte[] tcp(boolean v6, int payload, int tcpSeq, int id, boolean ipOptions) {
        final int ipl = v6 ? 40 : ipOptions ? 24 : 20;
        final int thl = 32;
        ByteBuffer b = ByteBuffer.allocate(ipl + thl + payload);
        if (v6) {
            b.putInt(0x6000_0000).putShort((short) (thl + payload)).put((byte) 6).put((byte) 64);
            b.put(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5});
            b.put(new byte[] {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9});
        } else {
            b.put((byte) (0x40 | ipl / 4)).put((byte) 0).putShort((short) (ipl + thl + payload));
            b.putShort((short) id).putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0);
            b.put(new byte[] {10, 1, 0, 5}).put(new byte[] {10, 2, 0, 9});
            if (ipOptions) {
                b.put(new byte[] {1, 1, 1, 0});
            }
        }
        b.putShort((short) 40000).putShort((short) 5001).putInt(tcpSeq).putInt(777);
        b.put((byte) ((thl / 4) << 4)).put((byte) 0x18).putShort((short) 501).putShort((short) 0).putShort((short) 0);
        b.put(new byte[] {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2});
        for (int i = 0; i < payload; i++) {
            b.put((byte) (i * 7 + (i >>> 8) * 13 + id));
        }
        byte[] p = b.array();
        if (!v6) {
            int sum = 0;
            for (int i = 0; i < ipl; i += 2) {
                sum += ((p[i] & 0xFF) << 8) | (p[i + 1] & 0xFF);
            }
            while ((sum >>> 16) != 0) {
                sum = (sum & 0xFFFF) + (sum >>> 16);
            }
            p[10] = (byte) (~sum >>> 8);
            p[11] = (byte) ~sum;
        }
        return p;
    }

    /** Room for 64 KiB super-packets and their segments; below 1024 buffers, so the pool's balance is exact. */
    static BufferPool pool() {
        return new BufferPool(400, 128, 65_600, 320, 4);
    }

    /** One packet to send: its bytes and its SA. */
    record Send(byte[] bytes, SecurityAssociation sa) {
    }

    /** Runs {@code packets} through {@code gso} then {@code encrypt} to completion; the wire bytes in output order. */
    static List<byte[]> drive(Stage gso, Stage encrypt, BufferPool pool, List<Send> packets, List<Integer> flags) {
        final int work = BATCH * 47;
        PacketBatch in = new PacketBatch(work);
        PacketBatch mid = new PacketBatch(work);
        PacketBatch out = new PacketBatch(work);
        List<byte[]> wire = new ArrayList<>();
        int next = 0;
        long spins = 0;
        while (next < packets.size() || encrypt.inFlight() > 0) {
            if (encrypt.acceptsInput()) {
                while (next < packets.size() && in.size() < BATCH) {
                    Send s = packets.get(next++);
                    PacketBuffer b = pool.acquire();
                    if (b == null) {
                        throw new AssertionError("test pool exhausted");
                    }
                    int at = b.put(s.bytes().length);
                    System.arraycopy(s.bytes(), 0, b.array(), at, s.bytes().length);
                    b.securityAssociation(s.sa());
                    in.add(b);
                }
            }
            gso.process(in, mid);
            in.clear();
            encrypt.process(mid, out);
            mid.clear();
            for (int i = 0; i < out.size(); i++) {
                PacketBuffer p = out.get(i);
                wire.add(p.toByteArray());
                if (flags != null) {
                    flags.add(p.flags());
                }
                p.release();
            }
            out.clear();
            if (++spins > 20_000_000L) {
                throw new AssertionError("encrypt stage did not drain: inFlight " + encrypt.inFlight());
            }
            Thread.onSpinWait();
        }
        return wire;
    }

    /** The 64-bit-agnostic low 32 bits of the ESP sequence number of a tunnel-mode packet (outer IPv4 or IPv6). */
    static long espSequence(byte[] wire) {
        int off = (wire[0] >> 4) == 6 ? 40 : (wire[0] & 0x0F) * 4;
        return ByteBuffer.wrap(wire, off + 4, 4).getInt() & 0xFFFF_FFFFL;
    }

    static int espSpi(byte[] wire) {
        int off = (wire[0] >> 4) == 6 ? 40 : (wire[0] & 0x0F) * 4;
        return ByteBuffer.wrap(wire, off, 4).getInt();
    }
}
