package org.espline.runtime.port.linux;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import com.sun.jna.Memory;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.gateway.GatewayRunner;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.gso.DatagramSegmenter;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.header.Ipv4Header;
import org.espline.runtime.header.Ipv6Header;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.port.Port;

/**
 * A Linux TUN device ({@code /dev/net/tun}, {@code IFF_TUN | IFF_NO_PI | IFF_VNET_HDR}) as a port: the tx pipeline
 * receives the plaintext the kernel routes into the device, the rx pipeline sends decrypted packets out of it.
 *
 * <p>Offloads ({@code TUNSETOFFLOAD}): checksum and TSO4/TSO6 are asked for, so the kernel hands over TCP
 * super-packets of up to 64 KB with a virtio-net header instead of MTU-sized segments; the tx pipeline's GSO stage
 * cuts them late, just before encryption (TALK.md §3). A kernel that refuses falls back to checksum only, then to
 * none ({@link #offloads()} says what was granted). USO4/USO6 are asked for too where the kernel has them (Linux
 * 6.2 and later): a sender's {@code UDP_SEGMENT} super-datagram then arrives in one read, and this port cuts it into
 * its datagrams at once ({@link DatagramSegmenter}, at the sender's segment size), so the pipeline sees plain
 * datagrams with complete checksums; what does not fit the caller's batch waits here for the next call.
 *
 * <p>Receive: each read is one packet behind a 10-byte {@link VirtioNetHeader}; the packet is copied once into a
 * buffer of {@code pool} (whose buffers must hold 64 KB super-packets). A packet whose header says
 * {@code NEEDS_CSUM} carries only the pseudo-header sum in its checksum field; it is completed here, for
 * super-packets too, because a super-packet the GSO stage leaves whole (payload within its MSS) must leave with a
 * valid checksum (the stage recomputes each segment's anyway). Packets too large for a pool buffer are counted
 * ({@link #oversizeDropped()}); an empty pool leaves packets in the kernel's queue (back-pressure: the buffer is
 * taken before the read, {@link #noBufferEvents()}).
 *
 * <p>Send: each packet, linear part and fragments, is gathered into one native buffer behind a virtio-net header
 * and written. A TCP packet longer than {@code segmentMtu} (a GRO-coalesced packet) leaves as a GSO packet
 * (TCPV4/TCPV6, segment size {@code segmentMtu} minus its headers, checksum partial), so the kernel can
 * deliver it whole or segment it again when it forwards it. A failed write is counted ({@link #writeErrors()}),
 * never retried; the packet is released.
 *
 * <p>Threads: one thread may {@link #receive} while another {@link #send}s (separate native buffers); each side is
 * single-threaded. {@link #stop()} may be called from any thread: {@link #receive} then answers -1, so a
 * pipeline drains what it holds and finishes. Nothing on the packet path allocates.
 */
public final class TunDevice implements Port, Closeable, GatewayRunner.GatewayPort {
    private static final long TUNSETIFF = 0x400454caL;
    private static final long TUNSETOFFLOAD = 0x400454d0L;
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_NO_PI = 0x1000;
    private static final short IFF_VNET_HDR = 0x4000;
    private static final int IFNAMSIZ = 16;
    private static final int IFREQ_SIZE = 40;
    private static final int IFREQ_FLAGS_OFFSET = 16;

    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    /** UDP segmentation offload (Linux 6.2): the kernel hands over UDP_SEGMENT super-datagrams whole. */
    public static final int TUN_F_USO4 = 0x20;
    public static final int TUN_F_USO6 = 0x40;
    /** The most datagrams one USO super-datagram becomes (Linux's UDP_MAX_SEGMENTS). */
    static final int MAX_UDP_SEGMENTS = 128;

    /** Largest packet a read returns: the 16-bit IP length (64 KB super-packets) behind the virtio-net header. */
    private static final int MAX_READ = VirtioNetHeader.LENGTH + 0xFFFF + Ipv6Header.LENGTH;

    private final int fd;
    private final String name;
    private final int offloads;
    private final BufferPool pool;
    private final int maxPacket;
    private final int segmentMtu;
    private final Memory rx = new Memory(MAX_READ);
    private final Memory tx = new Memory(MAX_READ);
    // Direct views in native order: header fields and packet copies are plain memory accesses, not JNI calls.
    private final ByteBuffer rxView = UdpEspSocket.view(rx);
    private final ByteBuffer txView = UdpEspSocket.view(tx);
    /** struct pollfd for {@link #awaitInput}. */
    private final Memory pollFd = new Memory(8);
    private volatile boolean stopped;
    private boolean closed;

    private long received;
    // Read by the status thread without synchronisation: a display value, possibly a batch stale.
    private long bytesIn;
    private long bytesOut;
    private long superPacketsIn;
    private long checksumsCompleted;
    private long oversizeDropped;
    private long noBufferEvents;
    /** A buffer taken for a read that found nothing; the receiving thread's only, released on close. */
    private PacketBuffer spare;
    private long malformedDropped;
    private long usoSuperDatagrams;
    /** Cuts USO super-datagrams; its datagrams wait in {@link #datagrams} for room in the caller's batch. */
    private final DatagramSegmenter datagramSegmenter;
    private final PacketBatch datagrams = new PacketBatch(MAX_UDP_SEGMENTS);
    private long readErrors;
    private long sent;
    private long superPacketsOut;
    private long writeErrors;

    private TunDevice(int fd, String name, int offloads, BufferPool pool, int segmentMtu) {
        this.fd = fd;
        this.name = name;
        this.offloads = offloads;
        this.pool = pool;
        this.datagramSegmenter = new DatagramSegmenter(pool);
        this.maxPacket = pool.bufferSize() - pool.headroom();
        this.segmentMtu = segmentMtu;
        pollFd.setInt(0, fd);
        pollFd.setShort(4, LibC.POLLIN);
        pollFd.setShort(6, (short) 0);
    }

    /**
     * Creates (or attaches to) the TUN device {@code name} in the calling thread's network namespace. The device
     * lives as long as this object is open; its addresses, MTU and routes are the administrator's (ip link/addr).
     *
     * @param pool       buffers for received packets; each should hold 64 KB when TSO is wanted
     * @param tso        ask the kernel for TCP super-packets (TSO4/TSO6 with checksum offload)
     * @param segmentMtu IP packet size above which sent TCP packets are marked GSO (the device's MTU)
     * @throws IOException naming the device and the refused call (not root, no /dev/net/tun, name taken)
     */
    public static TunDevice open(String name, BufferPool pool, boolean tso, int segmentMtu) throws IOException {
        if (!LibC.AVAILABLE) {
            throw new IOException("tun \"" + name + "\": " + LibC.UNAVAILABLE_REASON);
        }
        final byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (n.length == 0 || n.length >= IFNAMSIZ) {
            throw new IOException("tun \"" + name + "\": a device name has 1 to " + (IFNAMSIZ - 1) + " characters");
        }
        if (segmentMtu < 576 || segmentMtu > 0xFFFF) {
            throw new IllegalArgumentException("segmentMtu: " + segmentMtu + " (expected: 576 <= segmentMtu <= 65535)");
        }
        final int fd = LibC.open("/dev/net/tun", LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw new IOException("tun \"" + name + "\": cannot open /dev/net/tun: " + LibC.lastError());
        }
        try (Memory ifr = new Memory(IFREQ_SIZE)) {
            ifr.clear();
            ifr.write(0, n, 0, n.length);
            ifr.setShort(IFREQ_FLAGS_OFFSET, (short) (IFF_TUN | IFF_NO_PI | IFF_VNET_HDR));
            if (LibC.ioctl(fd, TUNSETIFF, ifr) < 0) {
                final String why = LibC.lastError();
                LibC.close(fd);
                throw new IOException("tun \"" + name + "\": TUNSETIFF refused: " + why
                        + (LibC.errno() == 1 ? " (needs CAP_NET_ADMIN)" : ""));
            }
        }
        int granted = 0;
        if (tso) {
            final int[] wishes = {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6,
                TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, TUN_F_CSUM | TUN_F_TSO4, TUN_F_CSUM};
            for (int w : wishes) {
                if (LibC.ioctl(fd, TUNSETOFFLOAD, new com.sun.jna.Pointer(w)) == 0) {
                    granted = w;
                    break;
                }
            }
        } else {
            LibC.ioctl(fd, TUNSETOFFLOAD, com.sun.jna.Pointer.NULL);
        }
        return new TunDevice(fd, name, granted, pool, segmentMtu);
    }

    // ------------------------------------------------------------------ receive (tx pipeline's source)

    @Override
    public int receive(PacketBatch into) {
        if (stopped) {
            // Datagrams already cut from a read super-datagram are handed on first: nothing read is lost at a stop.
            return datagrams.isEmpty() ? -1 : handOverDatagrams(into);
        }
        final ByteBuffer buf = rxView;
        int n = 0;
        n += handOverDatagrams(into);
        PacketBuffer p = spare;
        spare = null;
        while (!into.isFull() && datagrams.isEmpty()) {
            // The buffer first: with the pool empty the packet stays in the kernel's queue (back-pressure), not lost.
            if (p == null && (p = pool.acquire()) == null) {
                noBufferEvents++;
                break;
            }
            final long r = LibC.read(fd, rx, MAX_READ);
            if (r < 0) {
                final int e = LibC.errno();
                if (e == LibC.EINTR) {
                    continue;
                }
                if (e != LibC.EAGAIN) {
                    readErrors++;
                }
                break;
            }
            final int len = (int) r - VirtioNetHeader.LENGTH;
            if (len <= 0) {
                malformedDropped++;
                continue;
            }
            if (len > maxPacket) {
                oversizeDropped++;
                continue;
            }
            final int at = p.put(len);
            buf.get(VirtioNetHeader.LENGTH, p.array(), at, len);
            if ((buf.get(VirtioNetHeader.GSO_TYPE_OFFSET) & ~VirtioNetHeader.GSO_ECN) == VirtioNetHeader.GSO_UDP_L4) {
                final int cut = datagramSegmenter.segment(p, buf.getShort(VirtioNetHeader.GSO_SIZE_OFFSET) & 0xFFFF, datagrams);
                if (cut > 0) {
                    usoSuperDatagrams++;
                    bytesIn += len;
                    p = null;
                    n += handOverDatagrams(into);
                    continue;
                }
                if (cut != DatagramSegmenter.PASS) {
                    // Cut or dropped, never handed on whole: it would leave as one ESP packet far above the MTU.
                    if (cut == DatagramSegmenter.NO_BUFFERS) {
                        noBufferEvents++;
                    } else {
                        malformedDropped++;
                    }
                    p.release();
                    p = null;
                    continue;
                }
            }
            if (!completeChecksum(buf, p.array(), at, len)) {
                malformedDropped++;
                p.release();
                p = null;
                continue;
            }
            if (buf.get(VirtioNetHeader.GSO_TYPE_OFFSET) != VirtioNetHeader.GSO_NONE) {
                superPacketsIn++;
            }
            into.add(p);
            p = null;
            bytesIn += len;
            n++;
        }
        spare = p; // kept for the next call: an empty read costs no acquire and release
        received += n;
        return n;
    }

    /** Moves waiting datagrams of a cut super-datagram into {@code into}, as many as fit, in order. */
    private int handOverDatagrams(PacketBatch into) {
        final int k = Math.min(datagrams.size(), into.remaining());
        for (int i = 0; i < k; i++) {
            into.add(datagrams.get(i));
        }
        datagrams.removeFirst(k);
        return k;
    }

    /** Completes a partial checksum (NEEDS_CSUM): the field holds the pseudo-header sum, the range is summed in. */
    private boolean completeChecksum(ByteBuffer hdr, byte[] a, int at, int len) {
        if ((hdr.get(VirtioNetHeader.FLAGS_OFFSET) & VirtioNetHeader.F_NEEDS_CSUM) == 0) {
            return true;
        }
        final int start = hdr.getShort(VirtioNetHeader.CSUM_START_OFFSET) & 0xFFFF;
        final int field = start + (hdr.getShort(VirtioNetHeader.CSUM_OFFSET_OFFSET) & 0xFFFF);
        if (field + 2 > len) {
            return false;
        }
        int c = InternetChecksum.checksum(a, at + start, len - start);
        if (c == 0 && field - start == 6) {
            c = 0xFFFF; // UDP: a computed 0 goes on the wire as 0xFFFF (RFC 768)
        }
        a[at + field] = (byte) (c >>> 8);
        a[at + field + 1] = (byte) c;
        checksumsCompleted++;
        return true;
    }

    // ------------------------------------------------------------------ send (rx pipeline's sink)

    @Override
    public int send(PacketBatch from) {
        final int n = from.size();
        final ByteBuffer buf = txView;
        for (int i = 0; i < n; i++) {
            final PacketBuffer p = from.get(i);
            final int len = p.length();
            if (len <= 0 || len > MAX_READ - VirtioNetHeader.LENGTH) {
                writeErrors++;
                p.release();
                continue;
            }
            gather(p, buf);
            final boolean gso = header(buf, len);
            final long w = LibC.write(fd, tx, VirtioNetHeader.LENGTH + len);
            if (w < 0) {
                writeErrors++;
            } else {
                sent++;
                bytesOut += len;
                if (gso) {
                    superPacketsOut++;
                }
            }
            p.release();
        }
        from.removeFirst(n);
        return n;
    }

    /** Copies the packet (linear part, then fragments) behind the header room. */
    private static void gather(PacketBuffer p, ByteBuffer buf) {
        int off = VirtioNetHeader.LENGTH;
        final int linear = p.linearLength();
        buf.put(off, p.array(), p.data(), linear);
        off += linear;
        final int frags = p.fragmentCount();
        for (int f = 0; f < frags; f++) {
            final int fl = p.fragmentLength(f);
            buf.put(off, p.fragmentArray(f), p.fragmentOffset(f), fl);
            off += fl;
        }
    }

    /**
     * Writes the virtio-net header for the packet gathered in {@code buf}: a TCP packet longer than the segment
     * MTU with plain headers becomes a GSO packet with a partial checksum; everything else goes as is (its
     * checksums are the sender's, authenticated by ESP on the way). Returns true for a GSO packet.
     */
    private boolean header(ByteBuffer buf, int len) {
        buf.putLong(0, 0L);
        buf.putShort(8, (short) 0);
        if (len <= segmentMtu) {
            return false;
        }
        final int ip = VirtioNetHeader.LENGTH;
        final int version = (buf.get(ip) & 0xF0) >>> 4;
        final int ipHeader;
        final int gsoType;
        final int tcpLength;
        if (version == 4) {
            ipHeader = (buf.get(ip) & 0x0F) * 4;
            if (buf.get(ip + Ipv4Header.PROTOCOL_OFFSET) != IpProtocols.TCP) {
                return false;
            }
            gsoType = VirtioNetHeader.GSO_TCPV4;
            tcpLength = len - ipHeader;
        } else if (version == 6) {
            ipHeader = Ipv6Header.LENGTH;
            if (buf.get(ip + Ipv6Header.NEXT_HEADER_OFFSET) != IpProtocols.TCP) {
                return false;
            }
            gsoType = VirtioNetHeader.GSO_TCPV6;
            tcpLength = len - ipHeader;
        } else {
            return false;
        }
        final int tcp = ip + ipHeader;
        final int tcpHeader = ((buf.get(tcp + 12) & 0xF0) >>> 4) * 4;
        if (tcpHeader < 20 || tcpHeader >= tcpLength) {
            return false;
        }
        final int sum;
        if (version == 4) {
            // The view reads native (little-endian) order: read the addresses big-endian, as the sum wants them.
            sum = InternetChecksum.ipv4PseudoHeaderSum(be32(buf, ip + Ipv4Header.SOURCE_OFFSET),
                    be32(buf, ip + Ipv4Header.DESTINATION_OFFSET), IpProtocols.TCP, tcpLength);
        } else {
            long acc = IpProtocols.TCP + tcpLength;
            for (int o = Ipv6Header.SOURCE_OFFSET; o < Ipv6Header.SOURCE_OFFSET + 32; o += 2) {
                acc += be16(buf, ip + o);
            }
            sum = InternetChecksum.fold(acc);
        }
        buf.put(tcp + 16, (byte) (sum >>> 8));
        buf.put(tcp + 17, (byte) sum);
        buf.put(VirtioNetHeader.FLAGS_OFFSET, (byte) VirtioNetHeader.F_NEEDS_CSUM);
        buf.put(VirtioNetHeader.GSO_TYPE_OFFSET, (byte) gsoType);
        buf.putShort(VirtioNetHeader.HDR_LEN_OFFSET, (short) (ipHeader + tcpHeader));
        buf.putShort(VirtioNetHeader.GSO_SIZE_OFFSET, (short) (segmentMtu - ipHeader - tcpHeader));
        buf.putShort(VirtioNetHeader.CSUM_START_OFFSET, (short) ipHeader);
        buf.putShort(VirtioNetHeader.CSUM_OFFSET_OFFSET, (short) 16);
        return true;
    }

    private static int be16(ByteBuffer m, int off) {
        return ((m.get(off) & 0xFF) << 8) | (m.get(off + 1) & 0xFF);
    }

    private static int be32(ByteBuffer m, int off) {
        return (be16(m, off) << 16) | be16(m, off + 2);
    }

    /**
     * Blocks in poll(2) until the kernel has a packet for the device or {@code timeoutMillis} passed, so an idle
     * reading thread leaves the CPU to the threads that have work instead of spinning.
     */
    @Override
    public boolean awaitInput(int timeoutMillis) {
        if (stopped) {
            return false;
        }
        LibC.poll(pollFd, 1, timeoutMillis);
        return true;
    }

    // ------------------------------------------------------------------ lifecycle

    /** Makes {@link #receive} answer -1 from now on (end of input), so the reading pipeline drains and finishes. */
    public void stop() {
        stopped = true;
    }

    public boolean isStopped() { return stopped; }

    /** Closes the file descriptor (the device disappears unless persistent). Call after both pipelines finished. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            stopped = true;
            LibC.close(fd);
            if (spare != null) {
                spare.release(); // after the reading pipeline finished (see the class comment)
                spare = null;
            }
            datagrams.releaseAll();
            rx.close();
            tx.close();
        }
    }

    public String name() { return name; }

    /** TUN_F_* offloads the kernel granted (0: none, plain MTU-sized packets with full checksums). */
    public int offloads() { return offloads; }

    /** "csum tso4 tso6 uso4 uso6" (what was granted), or "none". */
    public String offloadNames() {
        if (offloads == 0) {
            return "none";
        }
        return ((offloads & TUN_F_CSUM) != 0 ? "csum" : "") + ((offloads & TUN_F_TSO4) != 0 ? " tso4" : "")
                + ((offloads & TUN_F_TSO6) != 0 ? " tso6" : "") + ((offloads & TUN_F_USO4) != 0 ? " uso4" : "")
                + ((offloads & TUN_F_USO6) != 0 ? " uso6" : "");
    }

    public long received() { return received; }

    /** USO super-datagrams read and cut into their datagrams here. */
    public long usoSuperDatagrams() { return usoSuperDatagrams; }

    /** Packets the kernel handed over as GSO super-packets. */
    public long superPacketsIn() { return superPacketsIn; }

    public long checksumsCompleted() { return checksumsCompleted; }

    /** Packets read but not taken: larger than a pool buffer. */
    public long oversizeDropped() { return oversizeDropped; }

    /** Times the pool was empty: the packets waited in the kernel's queue, nothing was lost. */
    public long noBufferEvents() { return noBufferEvents; }

    /** Reads with an unusable virtio-net header or length. */
    public long malformedDropped() { return malformedDropped; }

    public long readErrors() { return readErrors; }

    public long sent() { return sent; }

    /** Packets written as GSO packets (coalesced by GRO). */
    public long superPacketsOut() { return superPacketsOut; }

    /** Packets the kernel refused (write failed) or that could not be framed; each released and counted. */
    public long writeErrors() { return writeErrors; }

    @Override
    public String label() { return "tun " + name; }

    @Override
    public long bytesReceived() { return bytesIn; }

    @Override
    public long bytesSent() { return bytesOut; }

    /** The pool received packets are taken from. */
    public BufferPool pool() { return pool; }

    @Override
    public String summary() {
        return "tun " + name + " (offloads " + offloadNames() + "): read " + received + " (" + superPacketsIn + " super-packets, "
                + checksumsCompleted + " checksums completed), written " + sent + " (" + superPacketsOut + " as GSO); pool empty "
                + noBufferEvents + " times; dropped: " + oversizeDropped + " oversize, " + malformedDropped + " malformed, " + writeErrors + " write errors, "
                + readErrors + " read errors";
    }

    @Override
    public String toString() {
        return "TunDevice(" + name + ", offloads=" + offloadNames() + ", received=" + received + ", sent=" + sent + ")";
    }
}
