package org.espline.runtime.port.linux;

import java.io.Closeable;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.gateway.GatewayRunner;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.port.Port;

/**
 * ESP in UDP (RFC 3948) on a UDP socket bound to one IPv4 address and port (4500 by default), as a port: the rx
 * pipeline receives what peers send to it, the tx pipeline's encapsulated packets leave through it.
 *
 * <p>The pipeline works on whole IP packets (its decrypt stage demultiplexes ESP-in-UDP, IKE behind the non-ESP
 * marker and NAT keepalives by the UDP header, and finds the SA by SPI and destination), while a UDP socket carries
 * payloads. So {@link #receive} puts an outer IPv4 and UDP header — peer to bound address, the IPv4 header checksum
 * computed, UDP checksum 0 as RFC 3948 §3.1.2 allows for IPv4 — in front of each datagram, and {@link #send} takes
 * the outer IPv4 and UDP header off each encapsulated packet and sends its payload to the destination address and
 * port they name. A packet that is not IPv4/UDP (bypass traffic a tx policy let through in the clear) cannot go
 * through this socket and is counted ({@link #notUdpDropped()}), released, never sent.
 *
 * <p>Batching: {@code recvmmsg} and {@code sendmmsg} move up to {@link #MAX_MESSAGES} datagrams per system call.
 * With UDP GRO ({@code UDP_GRO}, Linux 5.0) the kernel may hand over several same-sized datagrams of one peer as
 * one message with the segment size in a control message; they are cut apart here. With UDP GSO
 * ({@code UDP_SEGMENT}, Linux 4.18) consecutive packets to one destination of equal size (the last may be
 * shorter) leave as one message the kernel segments. A kernel without either falls back to one datagram per
 * message; one whose GSO send fails falls back for good ({@link #gsoEnabled()}).
 *
 * <p>IKE: datagrams behind the non-ESP marker go to the {@link IkeHandler} when one is set (copied into a scratch
 * array, no buffer taken) and are counted ({@link #ikeReceived()}); without a handler they go to the pipeline, whose
 * decrypt stage counts them under EsplineIkeHandedOff.
 *
 * <p>Back-pressure: the socket blocks on send (a full socket buffer holds the tx pipeline); an empty pool leaves
 * received datagrams in the message array for the next call. A send the kernel refuses (no route, peer gone) is
 * counted ({@link #sendErrors()}) and the packet released. Threads: one receiving thread and one sending thread at
 * a time; {@link #stop()} from any thread. Nothing on the packet path allocates.
 *
 * <p>Native memory: the message vectors, addresses, control messages and data areas are JNA {@link Memory} blocks
 * read and written through direct {@link ByteBuffer} views in native order, so filling a message header or copying a
 * datagram is a plain (intrinsic) memory access, not a JNI call per field as {@code Memory.setLong} would be.
 */
public final class UdpEspSocket implements Port, Closeable, GatewayRunner.GatewayPort {
    /** Datagrams per recvmmsg/sendmmsg call. */
    public static final int MAX_MESSAGES = 64;
    /** Segments the kernel takes in one UDP GSO send (UDP_MAX_SEGMENTS was 64 before Linux 5.x raised it). */
    public static final int MAX_GSO_SEGMENTS = 64;
    /** Largest UDP payload over IPv4. */
    public static final int MAX_PAYLOAD = 0xFFFF - 20 - 8;
    /** RFC 3948 non-ESP marker length. */
    private static final int NON_ESP_MARKER = 4;
    private static final int OUTER_HEADERS = 20 + 8;

    // struct layouts, x86-64 / arm64 (LP64)
    private static final int MSGHDR_SIZE = 56;
    private static final int MMSGHDR_SIZE = 64;
    private static final int MSG_NAME = 0;
    private static final int MSG_NAMELEN = 8;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MMSG_LEN = 56;
    private static final int IOVEC_SIZE = 16;
    private static final int SOCKADDR_IN_SIZE = 16;
    private static final int CONTROL_SIZE = 64;
    private static final int CMSG_HDR = 16;
    private static final int CMSG_INT_SPACE = 24;

    /** Receives IKE messages (behind the non-ESP marker); the arrays are reused after the call returns. */
    @FunctionalInterface
    public interface IkeHandler {
        void onIke(byte[] message, int offset, int length, int peerAddress, int peerPort);
    }

    private final int fd;
    private final int localAddress;
    private final int localPort;
    private final BufferPool pool;
    private final int maxPayload;
    private final boolean groEnabled;
    private volatile boolean gsoEnabled;
    private volatile boolean stopped;
    private boolean closed;
    private IkeHandler ikeHandler;
    private final byte[] ikeScratch = new byte[MAX_PAYLOAD];
    private final byte[] rxName = new byte[SOCKADDR_IN_SIZE];
    private final byte[] txName = new byte[SOCKADDR_IN_SIZE];

    // receive side
    private final int rxSlotSize;
    private final Memory rxMsgs = new Memory((long) MAX_MESSAGES * MMSGHDR_SIZE);
    private final Memory rxIov = new Memory((long) MAX_MESSAGES * IOVEC_SIZE);
    private final Memory rxNames = new Memory((long) MAX_MESSAGES * SOCKADDR_IN_SIZE);
    private final Memory rxControl = new Memory((long) MAX_MESSAGES * CONTROL_SIZE);
    private final Memory rxData;
    private final ByteBuffer rxMsgsView = view(rxMsgs);
    private final ByteBuffer rxNamesView = view(rxNames);
    private final ByteBuffer rxControlView = view(rxControl);
    private final ByteBuffer rxDataView;
    /** Messages the previous recvmmsg filled: only their name and control lengths need resetting. */
    private int rxDirty = MAX_MESSAGES;
    /** struct pollfd for {@link #awaitInput}. */
    private final Memory pollFd = new Memory(8);
    /** Messages of the last recvmmsg not yet turned into packets: [rxNext, rxCount), at byte rxOffset of rxNext. */
    private int rxCount;
    private int rxNext;
    private int rxOffset;

    // send side
    private static final int TX_BYTES = MAX_MESSAGES * 2048;
    private final Memory txMsgs = new Memory((long) MAX_MESSAGES * MMSGHDR_SIZE);
    private final Memory txIov = new Memory((long) MAX_MESSAGES * IOVEC_SIZE);
    private final Memory txNames = new Memory((long) MAX_MESSAGES * SOCKADDR_IN_SIZE);
    private final Memory txControl = new Memory((long) MAX_MESSAGES * CONTROL_SIZE);
    private final Memory txData = new Memory(TX_BYTES + 0x10000);
    private final ByteBuffer txMsgsView = view(txMsgs);
    private final ByteBuffer txIovView = view(txIov);
    private final ByteBuffer txNamesView = view(txNames);
    private final ByteBuffer txControlView = view(txControl);
    private final ByteBuffer txDataView = view(txData);
    // Raw addresses, so filling a message re-points nothing through a new Pointer object.
    private final long txMsgsAddress = Pointer.nativeValue(txMsgs);
    private final long txDataAddress = Pointer.nativeValue(txData);
    private final long txControlAddress = Pointer.nativeValue(txControl);
    /** Packets (from the batch's front) each built message carries. */
    private final int[] txPackets = new int[MAX_MESSAGES];
    /** UDP payload bytes each built message carries. */
    private final int[] txBytes = new int[MAX_MESSAGES];

    private long received;
    // Read by the status thread without synchronisation: a display value, possibly a batch stale.
    private long bytesIn;
    private long bytesOut;
    private long datagramsIn;
    private long groMessages;
    private long ikeReceived;
    private long tooLargeDropped;
    private long noBufferDropped;
    private long receiveErrors;
    private long sent;
    private long gsoMessages;
    private long notUdpDropped;
    private long sendErrors;

    private UdpEspSocket(int fd, int localAddress, int localPort, BufferPool pool, boolean gro, boolean gso) {
        this.fd = fd;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.pool = pool;
        this.maxPayload = Math.min(MAX_PAYLOAD, pool.bufferSize() - pool.headroom() - OUTER_HEADERS);
        this.groEnabled = gro;
        this.gsoEnabled = gso;
        this.rxSlotSize = gro ? 0x10000 : 2048;
        this.rxData = new Memory((long) MAX_MESSAGES * rxSlotSize);
        this.rxDataView = view(rxData);
        pollFd.setInt(0, fd);
        pollFd.setShort(4, LibC.POLLIN);
        pollFd.setShort(6, (short) 0);
        for (int i = 0; i < MAX_MESSAGES; i++) {
            final long m = (long) i * MMSGHDR_SIZE;
            rxMsgs.setPointer(m + MSG_NAME, rxNames.share((long) i * SOCKADDR_IN_SIZE));
            rxMsgs.setPointer(m + MSG_IOV, rxIov.share((long) i * IOVEC_SIZE));
            rxMsgs.setLong(m + MSG_IOVLEN, 1);
            rxMsgs.setPointer(m + MSG_CONTROL, rxControl.share((long) i * CONTROL_SIZE));
            rxIov.setPointer((long) i * IOVEC_SIZE, rxData.share((long) i * rxSlotSize));
            rxIov.setLong((long) i * IOVEC_SIZE + 8, rxSlotSize);
            txMsgs.setPointer(m + MSG_NAME, txNames.share((long) i * SOCKADDR_IN_SIZE));
            txMsgs.setInt(m + MSG_NAMELEN, SOCKADDR_IN_SIZE);
            txMsgs.setPointer(m + MSG_IOV, txIov.share((long) i * IOVEC_SIZE));
            txMsgs.setLong(m + MSG_IOVLEN, 1);
        }
    }

    /**
     * Opens a UDP socket bound to {@code address:port}.
     *
     * @param pool buffers for received datagrams (the rx pipeline's pool: room for outer headers + payload)
     * @param gro  ask for UDP GRO; {@code gso} use UDP GSO on send (each falls back when the kernel lacks it)
     * @throws IOException naming the address and the refused call
     */
    public static UdpEspSocket open(InetAddress address, int port, BufferPool pool, boolean gro, boolean gso) throws IOException {
        final String where = "udp " + address.getHostAddress() + " port " + port;
        if (!LibC.AVAILABLE) {
            throw new IOException(where + ": " + LibC.UNAVAILABLE_REASON);
        }
        if (!(address instanceof Inet4Address)) {
            throw new IOException(where + ": only IPv4 outer addresses are supported so far");
        }
        if (port <= 0 || port > 0xFFFF) {
            throw new IOException(where + ": port out of range 1..65535");
        }
        final int fd = LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, LibC.IPPROTO_UDP);
        if (fd < 0) {
            throw new IOException(where + ": socket: " + LibC.lastError());
        }
        final byte[] a = address.getAddress();
        final int addr = ((a[0] & 0xFF) << 24) | ((a[1] & 0xFF) << 16) | ((a[2] & 0xFF) << 8) | (a[3] & 0xFF);
        boolean groOk = false;
        boolean gsoOk = false;
        try (Memory sa = new Memory(SOCKADDR_IN_SIZE); Memory v = new Memory(4)) {
            v.setInt(0, 1);
            LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, v, 4);
            v.setInt(0, 8 << 20);
            // Bursts of a TCP window in 1400-byte datagrams: a default-sized buffer drops them before we read.
            if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, v, 4) < 0) {
                LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, v, 4);
            }
            if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, v, 4) < 0) {
                LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, v, 4);
            }
            if (gro) {
                v.setInt(0, 1);
                groOk = LibC.setsockopt(fd, LibC.SOL_UDP, LibC.UDP_GRO, v, 4) == 0;
            }
            if (gso) {
                v.setInt(0, 0); // 0 keeps per-message control; success says the kernel knows UDP_SEGMENT
                gsoOk = LibC.setsockopt(fd, LibC.SOL_UDP, LibC.UDP_SEGMENT, v, 4) == 0;
            }
            sa.clear();
            sa.setShort(0, (short) LibC.AF_INET);
            sa.setByte(2, (byte) (port >>> 8));
            sa.setByte(3, (byte) port);
            sa.write(4, a, 0, 4);
            if (LibC.bind(fd, sa, SOCKADDR_IN_SIZE) < 0) {
                final String why = LibC.lastError();
                LibC.close(fd);
                throw new IOException(where + ": bind: " + why);
            }
        }
        return new UdpEspSocket(fd, addr, port, pool, groOk, gsoOk);
    }

    /** Where IKE messages go; null (the default) passes them to the pipeline. Set before traffic flows. */
    public void ikeHandler(IkeHandler handler) {
        this.ikeHandler = handler;
    }

    // ------------------------------------------------------------------ receive (rx pipeline's source)

    @Override
    public int receive(PacketBatch into) {
        if (stopped) {
            return -1;
        }
        int n = 0;
        while (!into.isFull()) {
            if (rxNext >= rxCount && !fill()) {
                break;
            }
            final int total = rxMsgsView.getInt(rxNext * MMSGHDR_SIZE + MMSG_LEN);
            final int segment = groEnabled ? groSegment(rxNext, total) : total;
            final int len = Math.min(segment, total - rxOffset);
            final int at = rxNext * rxSlotSize + rxOffset;
            final int r = deliver(at, len, rxNext, into);
            if (r < 0) {
                break; // no buffer: keep this datagram for the next call
            }
            n += r;
            rxOffset += len;
            if (rxOffset >= total) {
                rxNext++;
                rxOffset = 0;
            }
        }
        received += n;
        return n;
    }

    /** Receives the next batch of messages; false when none is waiting. */
    private boolean fill() {
        final ByteBuffer msgs = rxMsgsView;
        final long control = groEnabled ? CONTROL_SIZE : 0;
        for (int i = 0; i < rxDirty; i++) {
            final int m = i * MMSGHDR_SIZE;
            msgs.putInt(m + MSG_NAMELEN, SOCKADDR_IN_SIZE);
            msgs.putLong(m + MSG_CONTROLLEN, control);
        }
        rxDirty = 0;
        final int r = LibC.recvmmsg(fd, rxMsgs, MAX_MESSAGES, LibC.MSG_DONTWAIT, Pointer.NULL);
        if (r <= 0) {
            if (r < 0 && LibC.errno() != LibC.EAGAIN && LibC.errno() != LibC.EINTR) {
                receiveErrors++;
            }
            rxCount = 0;
            rxNext = 0;
            return false;
        }
        rxCount = r;
        rxDirty = r;
        rxNext = 0;
        rxOffset = 0;
        return true;
    }

    /** The GRO segment size of message {@code i}, or its whole length when the kernel coalesced nothing. */
    private int groSegment(int i, int total) {
        final ByteBuffer control = rxControlView;
        final long controlLength = Math.min(CONTROL_SIZE, rxMsgsView.getLong(i * MMSGHDR_SIZE + MSG_CONTROLLEN));
        final int base = i * CONTROL_SIZE;
        int c = 0;
        while (c + CMSG_HDR <= controlLength) {
            final long cl = control.getLong(base + c);
            if (cl < CMSG_HDR || c + cl > controlLength) {
                break;
            }
            if (control.getInt(base + c + 8) == LibC.SOL_UDP && control.getInt(base + c + 12) == LibC.UDP_GRO) {
                final int s = control.getInt(base + c + CMSG_HDR);
                if (s > 0 && s < total) {
                    if (rxOffset == 0) {
                        groMessages++;
                    }
                    return s;
                }
                return total;
            }
            c += (int) ((cl + 7) & ~7L);
        }
        return total;
    }

    /**
     * One datagram of message {@code msg} at {@code at} in the data area: to the IKE handler, or into a buffer behind
     * a rebuilt IPv4/UDP header. Returns the packets added (0 or 1), or -1 when no buffer is free.
     */
    private int deliver(int at, int len, int msg, PacketBatch into) {
        final byte[] sa = rxName;
        rxNamesView.get(msg * SOCKADDR_IN_SIZE, sa, 0, 8);
        final int peerPort = u16(sa, 2);
        final int peer = i32(sa, 4);
        datagramsIn++;
        if (ikeHandler != null && len >= NON_ESP_MARKER && rxDataView.getInt(at) == 0) {
            ikeReceived++;
            rxDataView.get(at + NON_ESP_MARKER, ikeScratch, 0, len - NON_ESP_MARKER);
            ikeHandler.onIke(ikeScratch, 0, len - NON_ESP_MARKER, peer, peerPort);
            return 0;
        }
        if (len > maxPayload) {
            tooLargeDropped++;
            return 0;
        }
        final PacketBuffer p = pool.acquire();
        if (p == null) {
            datagramsIn--;
            noBufferDropped++; // an event, not a loss: the datagram stays for the next call
            return -1;
        }
        final byte[] a = p.array();
        final int ip = p.put(OUTER_HEADERS + len);
        a[ip] = 0x45;
        a[ip + 1] = 0;
        put16(a, ip + 2, OUTER_HEADERS + len);
        put16(a, ip + 4, 0);
        put16(a, ip + 6, 0x4000);
        a[ip + 8] = 64;
        a[ip + 9] = (byte) IpProtocols.UDP;
        put16(a, ip + 10, 0);
        put32(a, ip + 12, peer);
        put32(a, ip + 16, localAddress);
        put16(a, ip + 10, InternetChecksum.checksum(a, ip, 20));
        final int udp = ip + 20;
        put16(a, udp, peerPort);
        put16(a, udp + 2, localPort);
        put16(a, udp + 4, 8 + len);
        put16(a, udp + 6, 0);
        rxDataView.get(at, a, udp + 8, len);
        bytesIn += OUTER_HEADERS + len;
        into.add(p);
        return 1;
    }

    // ------------------------------------------------------------------ send (tx pipeline's sink)

    @Override
    public int send(PacketBatch from) {
        int taken = 0;
        while (!from.isEmpty()) {
            final int messages = build(from);
            if (messages == 0) {
                taken++; // build dropped the packet at the front (not IPv4/UDP): taken, counted, released
                continue;
            }
            int done = 0;
            while (done < messages) {
                final int r = LibC.sendmmsg(fd, txMsgsAddress + (long) done * MMSGHDR_SIZE, messages - done, 0);
                if (r > 0) {
                    done += r;
                    continue;
                }
                final int e = LibC.errno();
                if (e == LibC.EINTR) {
                    continue;
                }
                if (gsoEnabled && (e == LibC.EIO || e == LibC.EINVAL) && txPackets[done] > 1) {
                    // The device cannot segment: send the rest one datagram at a time from now on.
                    gsoEnabled = false;
                    break;
                }
                sendErrors += txPackets[done];
                txPackets[done] = -txPackets[done]; // sent nothing: still released below, counted above
                done++;
            }
            int packets = 0;
            for (int i = 0; i < done; i++) {
                final int k = Math.abs(txPackets[i]);
                if (txPackets[i] > 0) {
                    sent += k;
                    bytesOut += txBytes[i] + (long) k * OUTER_HEADERS;
                    if (k > 1) {
                        gsoMessages++;
                    }
                }
                packets += k;
            }
            for (int i = 0; i < packets; i++) {
                from.get(i).release();
            }
            from.removeFirst(packets);
            taken += packets;
        }
        return taken;
    }

    /**
     * Fills the message array from the batch's front: each message one datagram, or with GSO a run of equal-sized
     * datagrams to one destination. Packets that are not IPv4/UDP are counted, released and removed first.
     *
     * @return messages built; {@link #txPackets} says how many packets each carries
     */
    private int build(PacketBatch from) {
        int messages = 0;
        int i = 0;
        int data = 0;
        final int n = from.size();
        final boolean gso = gsoEnabled;
        while (i < n && messages < MAX_MESSAGES && data < TX_BYTES) {
            final PacketBuffer p = from.get(i);
            final int payload = udpPayloadOffset(p);
            if (payload < 0) {
                if (messages == 0) {
                    notUdpDropped++;
                    from.remove(i).release();
                    return 0;
                }
                break; // send what is built; this one is dropped at the front of the next call
            }
            final byte[] a = p.array();
            final int ip = p.data();
            final int dst = i32(a, ip + 16);
            final int dport = u16(a, payload - 6);
            final int len = p.length() - (payload - ip);
            final int start = data;
            copyOut(p, payload - ip, len, data);
            data += len;
            int count = 1;
            int groupBytes = len;
            // With GSO, append following datagrams of the same size to the same destination (the last may be shorter).
            while (gso && i + count < n && count < MAX_GSO_SEGMENTS && data < TX_BYTES) {
                final PacketBuffer q = from.get(i + count);
                final int qp = udpPayloadOffset(q);
                if (qp < 0) {
                    break;
                }
                final int qlen = q.length() - (qp - q.data());
                final byte[] b = q.array();
                if (qlen > len || i32(b, q.data() + 16) != dst || u16(b, qp - 6) != dport || groupBytes + qlen > MAX_PAYLOAD) {
                    break;
                }
                copyOut(q, qp - q.data(), qlen, data);
                data += qlen;
                groupBytes += qlen;
                count++;
                if (qlen < len) {
                    break; // a shorter datagram ends a GSO run
                }
            }
            final int m = messages * MMSGHDR_SIZE;
            final int name = messages * SOCKADDR_IN_SIZE;
            // sockaddr_in built on the heap and written with one bulk copy.
            final byte[] sa = txName;
            sa[0] = (byte) LibC.AF_INET; // sa_family, host (little-endian) order
            sa[2] = (byte) (dport >>> 8);
            sa[3] = (byte) dport;
            sa[4] = (byte) (dst >>> 24);
            sa[5] = (byte) (dst >>> 16);
            sa[6] = (byte) (dst >>> 8);
            sa[7] = (byte) dst;
            txNamesView.put(name, sa, 0, SOCKADDR_IN_SIZE);
            txIovView.putLong(messages * IOVEC_SIZE, txDataAddress + start);
            txIovView.putLong(messages * IOVEC_SIZE + 8, groupBytes);
            if (count > 1) {
                final int c = messages * CONTROL_SIZE;
                txControlView.putLong(c, CMSG_HDR + 2); // CMSG_LEN(sizeof(u16)): the kernel wants exactly this
                txControlView.putInt(c + 8, LibC.SOL_UDP);
                txControlView.putInt(c + 12, LibC.UDP_SEGMENT);
                txControlView.putShort(c + CMSG_HDR, (short) len);
                txMsgsView.putLong(m + MSG_CONTROL, txControlAddress + c);
                txMsgsView.putLong(m + MSG_CONTROLLEN, CMSG_INT_SPACE);
            } else {
                txMsgsView.putLong(m + MSG_CONTROL, 0L);
                txMsgsView.putLong(m + MSG_CONTROLLEN, 0);
            }
            txBytes[messages] = groupBytes;
            txPackets[messages++] = count;
            i += count;
        }
        return messages;
    }

    /** Offset of the UDP payload from the buffer's array start, or -1 when the packet is not IPv4/UDP. */
    private static int udpPayloadOffset(PacketBuffer p) {
        final byte[] a = p.array();
        final int ip = p.data();
        if (p.linearLength() < OUTER_HEADERS || (a[ip] & 0xF0) != 0x40 || a[ip + 9] != IpProtocols.UDP) {
            return -1;
        }
        final int ihl = (a[ip] & 0x0F) * 4;
        if (ihl < 20 || p.linearLength() < ihl + 8) {
            return -1;
        }
        return ip + ihl + 8;
    }

    /** Copies {@code len} bytes of the packet from {@code from} (relative to data, crossing into fragments) to the data area. */
    private void copyOut(PacketBuffer p, int from, int len, int to) {
        final int linear = p.linearLength();
        int left = len;
        if (from < linear) {
            final int k = Math.min(linear - from, left);
            txDataView.put(to, p.array(), p.data() + from, k);
            to += k;
            left -= k;
            from = 0;
        } else {
            from -= linear;
        }
        final int frags = p.fragmentCount();
        for (int f = 0; f < frags && left > 0; f++) {
            final int fl = p.fragmentLength(f);
            if (from >= fl) {
                from -= fl;
                continue;
            }
            final int k = Math.min(fl - from, left);
            txDataView.put(to, p.fragmentArray(f), p.fragmentOffset(f) + from, k);
            to += k;
            left -= k;
            from = 0;
        }
    }

    /** A direct view of all of {@code m} in native byte order (the order of the kernel's structs). */
    static ByteBuffer view(Memory m) {
        return m.getByteBuffer(0, m.size()).order(ByteOrder.nativeOrder());
    }

    private static void put16(byte[] a, int i, int v) {
        a[i] = (byte) (v >>> 8);
        a[i + 1] = (byte) v;
    }

    private static void put32(byte[] a, int i, int v) {
        put16(a, i, v >>> 16);
        put16(a, i + 2, v);
    }

    private static int u16(byte[] a, int i) {
        return ((a[i] & 0xFF) << 8) | (a[i + 1] & 0xFF);
    }

    private static int i32(byte[] a, int i) {
        return (u16(a, i) << 16) | u16(a, i + 2);
    }

    /**
     * Blocks in poll(2) until a datagram is waiting or {@code timeoutMillis} passed, so an idle receiving thread
     * leaves the CPU to the threads that have work instead of spinning. Answers false at once, without waiting,
     * while datagrams of the last recvmmsg are still unconsumed (an empty pool held them back).
     */
    @Override
    public boolean awaitInput(int timeoutMillis) {
        if (stopped || rxNext < rxCount) {
            return false;
        }
        LibC.poll(pollFd, 1, timeoutMillis);
        return true;
    }

    // ------------------------------------------------------------------ lifecycle and counters

    /** Makes {@link #receive} answer -1 from now on, so the receiving pipeline drains and finishes. */
    public void stop() {
        stopped = true;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            stopped = true;
            LibC.close(fd);
        }
    }

    public int localPort() { return localPort; }

    public boolean groEnabled() { return groEnabled; }

    public boolean gsoEnabled() { return gsoEnabled; }

    /** Packets handed to the pipeline. */
    public long received() { return received; }

    /** Datagrams taken from the socket (including IKE handed to the handler and oversized ones). */
    public long datagramsIn() { return datagramsIn; }

    /** Received messages the kernel had coalesced (UDP GRO). */
    public long groMessages() { return groMessages; }

    public long ikeReceived() { return ikeReceived; }

    /** Datagrams too large for a pool buffer, dropped. */
    public long tooLargeDropped() { return tooLargeDropped; }

    /** Times the pool was empty (the datagram waited, nothing was lost). */
    public long noBufferEvents() { return noBufferDropped; }

    public long receiveErrors() { return receiveErrors; }

    /** Packets sent (datagrams, counting each GSO segment). */
    public long sent() { return sent; }

    /** GSO messages sent (each several datagrams). */
    public long gsoMessages() { return gsoMessages; }

    /** Packets given to send that were not IPv4/UDP (clear bypass traffic): dropped. */
    public long notUdpDropped() { return notUdpDropped; }

    /** Packets the kernel refused to send (no route, peer gone): dropped. */
    public long sendErrors() { return sendErrors; }

    @Override
    public String label() { return "udp " + localPort; }

    /** Bytes handed to the pipeline, outer IPv4 and UDP headers included. */
    @Override
    public long bytesReceived() { return bytesIn; }

    /** Bytes sent, outer IPv4 and UDP headers included (as on the wire, before the link header). */
    @Override
    public long bytesSent() { return bytesOut; }

    /** The pool received packets are taken from. */
    public BufferPool pool() { return pool; }

    @Override
    public String summary() {
        return "udp port " + localPort + " (gro " + groEnabled + ", gso " + gsoEnabled + "): received " + datagramsIn
                + " datagrams (" + groMessages + " coalesced messages, " + ikeReceived + " IKE to the handler), sent " + sent
                + " (" + gsoMessages + " GSO messages); dropped: " + tooLargeDropped + " too large, " + notUdpDropped
                + " clear packets (not IPv4/UDP), " + sendErrors + " refused by the kernel, " + receiveErrors + " receive errors";
    }

    @Override
    public String toString() {
        return "UdpEspSocket(port " + localPort + ", gro=" + groEnabled + ", gso=" + gsoEnabled + ", received=" + received
                + ", sent=" + sent + ")";
    }
}
