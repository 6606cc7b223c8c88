package org.espline.runtime.port.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.pipeline.PacketBatch;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The ESP-in-UDP socket over loopback (no root needed): encapsulated packets given to one socket arrive at the other
 * as the same packets — outer IPv4/UDP header rebuilt from the peer and bound addresses, payload byte for byte,
 * order kept — with UDP GSO and GRO on and off; IKE behind the non-ESP marker goes to the handler; a clear packet
 * the socket cannot send is counted.
 */
class UdpEspSocketTest {
    @Test
    void batchesArriveIntactWithGsoAndGro() throws Exception {
        roundTrip(true);
    }

    @Test
    void batchesArriveIntactOneDatagramPerMessage() throws Exception {
        roundTrip(false);
    }

    private static void roundTrip(boolean offloads) throws Exception {
        Assumptions.assumeTrue(LibC.AVAILABLE, LibC.UNAVAILABLE_REASON);
        BufferPool pool = new BufferPool(512, 128, 1500, 64, 4);
        InetAddress a = InetAddress.getByName("127.0.0.1");
        InetAddress b = InetAddress.getByName("127.0.0.2");
        int portA = 20000 + ThreadLocalRandom.current().nextInt(20000);
        int portB = portA + 1;
        try (UdpEspSocket sa = UdpEspSocket.open(a, portA, pool, offloads, offloads);
             UdpEspSocket sb = UdpEspSocket.open(b, portB, pool, offloads, offloads)) {
            assertEquals(offloads, sb.gsoEnabled(), "UDP_SEGMENT on this kernel");
            List<byte[]> ike = new ArrayList<>();
            sb.ikeHandler((m, off, len, peer, peerPort) -> ike.add(Arrays.copyOfRange(m, off, off + len)));

            // 40 equal-sized ESP payloads then a shorter one (a GSO run), a clear packet, then IKE.
            PacketBatch out = new PacketBatch(64);
            List<byte[]> payloads = new ArrayList<>();
            for (int i = 0; i < 41; i++) {
                byte[] pl = new byte[i == 40 ? 300 : 1200];
                ThreadLocalRandom.current().nextBytes(pl);
                pl[0] = 0; pl[1] = 0; pl[2] = 0x10; pl[3] = 1; // SPI 0x1001
                payloads.add(pl);
                out.add(encapsulated(pool, a, portA, b, portB, pl));
            }
            PacketBuffer clear = pool.acquire();
            byte[] icmp = new byte[40];
            icmp[0] = 0x45;
            icmp[9] = 1;
            System.arraycopy(icmp, 0, clear.array(), clear.put(icmp.length), icmp.length);
            out.add(clear);
            out.add(encapsulated(pool, a, portA, b, portB, new byte[] {0, 0, 0, 0, 'i', 'k', 'e'}));
            assertEquals(43, sa.send(out));
            assertTrue(out.isEmpty());
            assertEquals(1, sa.notUdpDropped());
            assertEquals(0, sa.sendErrors());
            assertEquals(42, sa.sent());
            if (offloads) {
                assertTrue(sa.gsoMessages() > 0, "GSO runs sent: " + sa.gsoMessages());
            }

            PacketBatch in = new PacketBatch(16);
            List<PacketBuffer> got = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (got.size() < 41 && System.nanoTime() < deadline) {
                in.clear();
                sb.receive(in);
                for (int i = 0; i < in.size(); i++) {
                    got.add(in.get(i));
                }
            }
            assertEquals(41, got.size());
            if (offloads) {
                assertTrue(sb.groMessages() > 0, "coalesced messages received (UDP GRO): " + sb.groMessages());
            }
            for (int i = 0; i < 41; i++) {
                PacketBuffer p = got.get(i);
                byte[] x = p.array();
                int ip = p.data();
                byte[] pl = payloads.get(i);
                assertEquals(28 + pl.length, p.length());
                assertTrue(InternetChecksum.isValid(x, ip, 20), "IPv4 header checksum");
                assertArrayEquals(a.getAddress(), Arrays.copyOfRange(x, ip + 12, ip + 16));
                assertArrayEquals(b.getAddress(), Arrays.copyOfRange(x, ip + 16, ip + 20));
                assertEquals(portA, ((x[ip + 20] & 0xFF) << 8) | (x[ip + 21] & 0xFF));
                assertEquals(portB, ((x[ip + 22] & 0xFF) << 8) | (x[ip + 23] & 0xFF));
                assertArrayEquals(pl, Arrays.copyOfRange(x, ip + 28, ip + 28 + pl.length), "payload " + i);
                p.release();
            }
            for (int i = 0; i < 50 && ike.isEmpty(); i++) {
                in.clear();
                sb.receive(in);
                in.releaseAll();
                Thread.sleep(10);
            }
            assertEquals(1, ike.size());
            assertArrayEquals(new byte[] {'i', 'k', 'e'}, ike.get(0));
            sb.stop();
            assertEquals(-1, sb.receive(in));
        }
        assertEquals(0, pool.outstanding());
    }

    /** Steady state allocates nothing: batches through sendmmsg and recvmmsg over loopback, measured per thread. */
    @Test
    void sendAndReceiveAllocateNothing() throws Exception {
        Assumptions.assumeTrue(LibC.AVAILABLE, LibC.UNAVAILABLE_REASON);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter in this JVM");
        BufferPool pool = new BufferPool(256, 128, 1500, 64, 4);
        InetAddress a = InetAddress.getByName("127.0.0.1");
        InetAddress b = InetAddress.getByName("127.0.0.3");
        int portA = 20000 + ThreadLocalRandom.current().nextInt(20000);
        try (UdpEspSocket sa = UdpEspSocket.open(a, portA, pool, true, true);
             UdpEspSocket sb = UdpEspSocket.open(b, portA + 1, pool, true, true)) {
            PacketBatch out = new PacketBatch(32);
            PacketBatch in = new PacketBatch(32);
            byte[] payload = new byte[1000];
            payload[3] = 1;
            long received = 0;
            long before = 0;
            for (int round = 0; round < 3000; round++) {
                if (round == 1000) { // after warm-up: JIT-compiled, lazily initialised JNA paths done
                    before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
                    received = 0;
                }
                for (int i = 0; i < 16; i++) {
                    out.add(fill(pool.acquire(), 3, portA + 1, payload));
                }
                sa.send(out);
                int got = 0;
                int spins = 0;
                while (got < 16 && spins++ < 100_000) {
                    in.clear();
                    got += sb.receive(in);
                    in.releaseAll();
                }
                received += got;
            }
            long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
            assertTrue(received >= 16 * 1900, "most datagrams arrived: " + received);
            assertTrue(allocated < 4096, "bytes allocated for " + received + " packets sent and received: " + allocated);
        }
        assertEquals(0, pool.outstanding());
    }

    /** An ESP-in-UDP packet to 127.0.0.{@code dstLast}:{@code dport} (no InetAddress: its getAddress() allocates). */
    private static PacketBuffer fill(PacketBuffer p, int dstLast, int dport, byte[] payload) {
        byte[] x = p.array();
        int ip = p.put(28 + payload.length);
        x[ip] = 0x45;
        x[ip + 9] = 17;
        x[ip + 16] = 127;
        x[ip + 19] = (byte) dstLast;
        x[ip + 22] = (byte) (dport >>> 8);
        x[ip + 23] = (byte) dport;
        System.arraycopy(payload, 0, x, ip + 28, payload.length);
        return p;
    }

    private static PacketBuffer encapsulated(BufferPool pool, InetAddress src, int sport, InetAddress dst, int dport, byte[] payload) {
        PacketBuffer p = pool.acquire();
        byte[] x = p.array();
        int ip = p.put(28 + payload.length);
        x[ip] = 0x45;
        x[ip + 2] = (byte) ((28 + payload.length) >>> 8);
        x[ip + 3] = (byte) (28 + payload.length);
        x[ip + 8] = 64;
        x[ip + 9] = 17;
        System.arraycopy(src.getAddress(), 0, x, ip + 12, 4);
        System.arraycopy(dst.getAddress(), 0, x, ip + 16, 4);
        x[ip + 20] = (byte) (sport >>> 8);
        x[ip + 21] = (byte) sport;
        x[ip + 22] = (byte) (dport >>> 8);
        x[ip + 23] = (byte) dport;
        x[ip + 24] = (byte) ((8 + payload.length) >>> 8);
        x[ip + 25] = (byte) (8 + payload.length);
        System.arraycopy(payload, 0, x, ip + 28, payload.length);
        return p;
    }
}
