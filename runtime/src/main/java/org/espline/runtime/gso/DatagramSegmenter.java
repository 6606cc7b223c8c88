package org.espline.runtime.gso;

import static org.espline.runtime.header.NetworkBytes.put16;
import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.header.Ipv4Header;
import org.espline.runtime.header.Ipv6Header;
import org.espline.runtime.header.UdpHeader;
import org.espline.runtime.pipeline.PacketBatch;

/**
 * UDP segmentation in software (the idea of Linux's __udp_gso_segment): a UDP super-datagram, as a sender's
 * {@code UDP_SEGMENT} (USO) makes it and the kernel hands it to a TUN device with {@code TUN_F_USO4/6}, becomes
 * {@code ceil(payload / size)} datagrams of {@code size} payload bytes, the last one shorter.
 *
 * <p>Per datagram: a pool buffer with a copy of the IP and UDP headers and its slice of the payload (a copy: each
 * datagram then stands alone, and the large buffer the super-datagram came in goes back at once); IPv4 total length,
 * identification (incremented per datagram) and header checksum, or the IPv6 payload length; the UDP length; and the
 * UDP checksum over the pseudo-header, computed afresh (a computed 0 is sent as 0xFFFF).
 *
 * <p>Only IPv4 without fragmentation and IPv6 without extension headers are cut; anything else passes untouched.
 * One instance per thread (a header view); allocates nothing per packet.
 */
public final class DatagramSegmenter {
    /** {@link #segment} result: not a UDP super-datagram that needs cutting; the packet is untouched. */
    public static final int PASS = 0;
    /** {@link #segment} result: inconsistent lengths, or more datagrams than {@code out} can take; untouched. */
    public static final int MALFORMED = -1;
    /** {@link #segment} result: the pool ran out of buffers; untouched (what was taken went back). */
    public static final int NO_BUFFERS = -2;

    private final BufferPool pool;
    private final Ipv4Header ip4 = new Ipv4Header();

    public DatagramSegmenter(BufferPool pool) {
        this.pool = pool;
    }

    /**
     * Cuts {@code p} into datagrams of {@code size} payload bytes appended to {@code out}.
     *
     * @return the number of datagrams ({@code p} was released), or {@link #PASS}, {@link #MALFORMED},
     *         {@link #NO_BUFFERS} with {@code p} untouched and still the caller's
     */
    public int segment(PacketBuffer p, int size, PacketBatch out) {
        if (size <= 0 || !p.isLinear() || p.linearLength() < 1) {
            return PASS;
        }
        final byte[] a = p.array();
        final int ip = p.data();
        final int length = p.linearLength();
        final int version = u8(a, ip) >>> 4;
        final int ipHeader;
        if (version == Ipv4Header.VERSION) {
            if (length < Ipv4Header.MIN_LENGTH) {
                return MALFORMED;
            }
            ipHeader = (a[ip] & 0x0F) << 2;
            final boolean fragment = (u16(a, ip + Ipv4Header.FLAGS_FRAGMENT_OFFSET) & 0x3FFF) != 0;
            if (u8(a, ip + Ipv4Header.PROTOCOL_OFFSET) != IpProtocols.UDP || fragment || ipHeader < Ipv4Header.MIN_LENGTH) {
                return PASS;
            }
        } else if (version == Ipv6Header.VERSION) {
            if (length < Ipv6Header.LENGTH) {
                return MALFORMED;
            }
            ipHeader = Ipv6Header.LENGTH;
            if (u8(a, ip + Ipv6Header.NEXT_HEADER_OFFSET) != IpProtocols.UDP) {
                return PASS;
            }
        } else {
            return PASS;
        }
        final int headers = ipHeader + UdpHeader.LENGTH;
        if (length < headers) {
            return MALFORMED;
        }
        final int payload = length - headers;
        if (payload <= size) {
            return PASS;
        }
        final int count = (payload + size - 1) / size;
        if (count > out.remaining()) {
            return MALFORMED;
        }
        final int at = out.size();
        for (int i = 0; i < count; i++) {
            final PacketBuffer s = pool.acquire();
            if (s == null || s.tailroom() < headers + Math.min(size, payload - i * size)) {
                if (s != null) {
                    s.release();
                }
                while (out.size() > at) {
                    out.remove(out.size() - 1).release();
                }
                return NO_BUFFERS;
            }
            out.add(s);
        }
        for (int i = 0; i < count; i++) {
            final int len = Math.min(size, payload - i * size);
            build(out.get(at + i), a, ip, ipHeader, headers, headers + i * size, len, i, version == Ipv6Header.VERSION);
        }
        p.release();
        return count;
    }

    private void build(PacketBuffer s, byte[] a, int ip, int ipHeader, int headers, int from, int len, int index, boolean v6) {
        final byte[] b = s.array();
        final int at = s.put(headers + len);
        System.arraycopy(a, ip, b, at, headers);
        System.arraycopy(a, ip + from, b, at + headers, len);
        final int udp = at + ipHeader;
        if (v6) {
            put16(b, at + Ipv6Header.PAYLOAD_LENGTH_OFFSET, UdpHeader.LENGTH + len);
        } else {
            ip4.wrap(b, at).totalLength(headers + len).identification((ip4.identification() + index) & 0xFFFF).updateChecksum();
        }
        put16(b, udp + UdpHeader.LENGTH_OFFSET, UdpHeader.LENGTH + len);
        put16(b, udp + UdpHeader.CHECKSUM_OFFSET, 0);
        final int pseudo = v6
                ? InternetChecksum.ipv6PseudoHeaderSum(b, at, IpProtocols.UDP, UdpHeader.LENGTH + len)
                : InternetChecksum.ipv4PseudoHeaderSum(b, at, IpProtocols.UDP, UdpHeader.LENGTH + len);
        final int sum = InternetChecksum.add(pseudo, InternetChecksum.sum(b, udp, UdpHeader.LENGTH + len));
        final int checksum = ~sum & 0xFFFF;
        put16(b, udp + UdpHeader.CHECKSUM_OFFSET, checksum == 0 ? 0xFFFF : checksum);
    }

    @Override
    public String toString() {
        return "DatagramSegmenter";
    }
}
