package org.espline.runtime.port.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.pipeline.PacketBatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The TUN device against the kernel, in a namespace of its own: what the kernel routes into the device arrives with
 * completed checksums (and TCP sends as GSO super-packets when TSO was granted), and what we write is taken up by
 * the kernel's stack (an ICMP echo request written into the device is answered back out of it).
 */
class TunDeviceTest {
    private static TestNamespaces namespaces;
    private static String ns;
    /** Every socket and the device are opened on this thread, which lives in the test namespace. */
    private static ExecutorService inNs;

    @BeforeAll
    static void setUp() throws Exception {
        TestNamespaces.requireRoot();
        namespaces = new TestNamespaces();
        ns = namespaces.add("esptun");
        inNs = Executors.newSingleThreadExecutor();
        inNs.submit((Callable<Void>) () -> {
            NetNamespace.enter(ns);
            return null;
        }).get();
    }

    @AfterAll
    static void tearDown() {
        if (inNs != null) {
            inNs.shutdownNow();
        }
        if (namespaces != null) {
            namespaces.close();
        }
    }

    private static <T> T inNamespace(Callable<T> c) throws Exception {
        return inNs.submit(c).get(30, TimeUnit.SECONDS);
    }

    @Test
    void kernelTrafficComesInWithCompleteChecksumsAndWrittenPacketsAreAnswered() throws Exception {
        BufferPool pool = new BufferPool(64, 128, 0xFFFF + 40, 64, 17);
        TunDevice tun = inNamespace(() -> TunDevice.open("esptst0", pool, true, 1400));
        try {
            assertTrue((tun.offloads() & TunDevice.TUN_F_TSO4) != 0, "TSO4 granted: " + tun.offloadNames());
            TestNamespaces.run("ip", "-n", ns, "link", "set", "esptst0", "mtu", "1400", "up");
            TestNamespaces.run("ip", "-n", ns, "addr", "add", "10.99.0.1/24", "dev", "esptst0");

            // A UDP datagram routed into the device: its checksum arrives complete (the kernel left it partial).
            inNamespace(() -> {
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("10.99.0.1", 0))) {
                    byte[] b = new byte[300];
                    s.send(new DatagramPacket(b, b.length, InetAddress.getByName("10.99.0.2"), 9999));
                }
                return null;
            });
            PacketBuffer udp = next(tun, 17);
            assertEquals(InternetChecksum.Status.VALID,
                    InternetChecksum.verifyTransportChecksum(udp.array(), udp.data(), udp.tail()));
            udp.release();

            // TCP: a connect to a peer that never answers repeats its SYN; the SYN's checksum is complete.
            Future<?> connect = inNs.submit(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("10.99.0.2", 80), 1500);
                } catch (Exception expected) {
                    // no one answers
                }
                return null;
            });
            PacketBuffer syn = next(tun, 6);
            assertEquals(InternetChecksum.Status.VALID,
                    InternetChecksum.verifyTransportChecksum(syn.array(), syn.data(), syn.tail()));
            syn.release();
            connect.get(10, TimeUnit.SECONDS);

            // An echo request from 10.99.0.2 written into the device: the kernel answers it back through the device.
            PacketBatch out = new PacketBatch(1);
            PacketBuffer echo = pool.acquire();
            byte[] req = echoRequest();
            System.arraycopy(req, 0, echo.array(), echo.put(req.length), req.length);
            out.add(echo);
            assertEquals(1, tun.send(out));
            assertEquals(1, tun.sent());
            PacketBuffer reply = next(tun, 1);
            assertEquals(0, reply.array()[reply.data() + 20], "ICMP echo reply");
            assertEquals(0x1234, ((reply.array()[reply.data() + 24] & 0xFF) << 8) | (reply.array()[reply.data() + 25] & 0xFF));
            reply.release();
            assertEquals(0, tun.writeErrors());
        } finally {
            tun.close();
        }
        assertEquals(0, pool.outstanding());
    }

    @Test
    void aUdpSegmentSuperDatagramArrivesInOneReadAndLeavesAsItsDatagrams() throws Exception {
        BufferPool pool = new BufferPool(64, 128, 0xFFFF + 40, 64, 17);
        TunDevice tun = inNamespace(() -> TunDevice.open("espuso0", pool, true, 1500));
        try {
            org.junit.jupiter.api.Assumptions.assumeTrue((tun.offloads() & TunDevice.TUN_F_USO4) != 0,
                    "this kernel has no USO for TUN devices (Linux 6.2+): " + tun.offloadNames());
            TestNamespaces.run("ip", "-n", ns, "link", "set", "espuso0", "mtu", "1500", "up");
            TestNamespaces.run("ip", "-n", ns, "addr", "add", "10.98.0.1/24", "dev", "espuso0");
            // A sender with UDP_SEGMENT (SOL_UDP 17, option 103): 3072 bytes in datagrams of 1000.
            TestNamespaces.run("ip", "netns", "exec", ns, "/usr/bin/python3", "-c",
                    "import socket\n"
                            + "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                            + "s.bind(('10.98.0.1', 40000))\n"
                            + "s.setsockopt(17, 103, 1000)\n"
                            + "s.sendto(bytes((i * 7 + 3) & 255 for i in range(3072)), ('10.98.0.2', 9999))\n");
            java.util.List<byte[]> datagrams = new java.util.ArrayList<>();
            PacketBatch b = new PacketBatch(2); // smaller than the four datagrams: the rest waits in the port
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (datagrams.size() < 4 && System.nanoTime() < deadline) {
                b.clear();
                tun.receive(b);
                for (int i = 0; i < b.size(); i++) {
                    PacketBuffer p = b.get(i);
                    if ((p.array()[p.data()] & 0xF0) == 0x40 && p.array()[p.data() + 9] == 17) {
                        datagrams.add(p.toByteArray());
                    }
                    p.release();
                }
                Thread.sleep(1);
            }
            assertEquals(1, tun.usoSuperDatagrams(), "one read: " + tun.offloadNames());
            assertEquals(4, datagrams.size());
            java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < 4; i++) {
                byte[] d = datagrams.get(i);
                assertEquals(28 + (i < 3 ? 1000 : 72), d.length, "datagram " + i);
                assertEquals(InternetChecksum.Status.VALID, InternetChecksum.verifyTransportChecksum(d, 0, d.length));
                joined.write(d, 28, d.length - 28);
            }
            byte[] sent = new byte[3072];
            for (int i = 0; i < sent.length; i++) {
                sent[i] = (byte) (i * 7 + 3);
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(sent, joined.toByteArray());
        } finally {
            tun.close();
        }
        assertEquals(0, pool.outstanding());
    }

    private static PacketBuffer next(TunDevice tun, int protocol) throws InterruptedException {
        PacketBatch b = new PacketBatch(16);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            b.clear();
            tun.receive(b);
            PacketBuffer found = null;
            for (int i = 0; i < b.size(); i++) {
                PacketBuffer p = b.get(i);
                if (found == null && (p.array()[p.data()] & 0xF0) == 0x40 && p.array()[p.data() + 9] == protocol) {
                    found = p;
                } else {
                    p.release();
                }
            }
            if (found != null) {
                return found;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("no packet of protocol " + protocol + " came out of " + tun.name());
    }

    private static byte[] echoRequest() {
        byte[] p = new byte[28 + 32];
        p[0] = 0x45;
        p[2] = 0;
        p[3] = (byte) p.length;
        p[8] = 64;
        p[9] = 1;
        p[12] = 10; p[13] = 99; p[14] = 0; p[15] = 2;
        p[16] = 10; p[17] = 99; p[18] = 0; p[19] = 1;
        int c = InternetChecksum.checksum(p, 0, 20);
        p[10] = (byte) (c >>> 8);
        p[11] = (byte) c;
        p[20] = 8;
        p[24] = 0x12;
        p[25] = 0x34;
        p[27] = 1;
        for (int i = 28; i < p.length; i++) {
            p[i] = (byte) i;
        }
        int ic = InternetChecksum.checksum(p, 20, p.length - 20);
        p[22] = (byte) (ic >>> 8);
        p[23] = (byte) ic;
        return p;
    }
}
