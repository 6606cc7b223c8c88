package org.espline.runtime.gso;

import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.header.Ipv4Header;
import org.espline.runtime.header.Ipv6Header;
import org.espline.runtime.header.TcpHeader;

/**
 * Where the IP and TCP headers of a packet are, found once and kept in fields: the parse GSO and GRO share.
 * The headers (IPv4 with options, or IPv6 with extension headers, then TCP with options) must lie in the
 * linear part, as every port and producer keeps them; the payload may continue in fragments.
 *
 * <p>Re-pointed by {@link #parse}; not thread-safe, one per stage.
 */
public final class TcpView {
    /** {@link #parse} result: IPv4/IPv6 + TCP, lengths consistent; the fields are valid. */
    public static final int TCP = 0;
    /** {@link #parse} result: not TCP, or an IP fragment (its TCP header is not ours to read). */
    public static final int NOT_TCP = 1;
    /** {@link #parse} result: IP or TCP lengths inconsistent, or headers outside the linear part. */
    public static final int MALFORMED = 2;

    private int version;
    private int ipOffset;
    private int tcpOffset;
    private int tcpHeaderLength;
    private int length;

    /** Parses the packet in {@code b}; see the result constants. Reads only, never throws for bad input. */
    public int parse(PacketBuffer b) {
        final byte[] a = b.array();
        final int off = b.data();
        final int linear = b.linearLength();
        final int total = b.length();
        if (linear < 1) {
            return MALFORMED;
        }
        final int v = u8(a, off) >>> 4;
        final int transport;
        if (v == Ipv4Header.VERSION) {
            if (linear < Ipv4Header.MIN_LENGTH) {
                return MALFORMED;
            }
            final int ihl = (u8(a, off) & 0x0F) << 2;
            if (ihl < Ipv4Header.MIN_LENGTH || ihl > linear || u16(a, off + Ipv4Header.TOTAL_LENGTH_OFFSET) != total) {
                return MALFORMED;
            }
            final int fragmentBits = Ipv4Header.FLAG_MF | Ipv4Header.FRAGMENT_OFFSET_MASK;
            if (u8(a, off + Ipv4Header.PROTOCOL_OFFSET) != IpProtocols.TCP
                    || (u16(a, off + Ipv4Header.FLAGS_FRAGMENT_OFFSET) & fragmentBits) != 0) {
                return NOT_TCP;
            }
            transport = off + ihl;
        } else if (v == Ipv6Header.VERSION) {
            if (linear < Ipv6Header.LENGTH
                    || u16(a, off + Ipv6Header.PAYLOAD_LENGTH_OFFSET) + Ipv6Header.LENGTH != total) {
                return MALFORMED;
            }
            final long walk = Ipv6Header.skipExtensionHeaders(a, off, off + linear);
            if (Ipv6Header.walkFailed(walk)) {
                return MALFORMED;
            }
            if (Ipv6Header.walkProtocol(walk) != IpProtocols.TCP || Ipv6Header.walkSawFragment(walk)) {
                return NOT_TCP;
            }
            transport = Ipv6Header.walkOffset(walk);
        } else {
            return MALFORMED;
        }
        if (transport + TcpHeader.MIN_LENGTH > off + linear) {
            return MALFORMED;
        }
        final int thl = (u8(a, transport + TcpHeader.DATA_OFFSET_OFFSET) >>> 4) << 2;
        if (thl < TcpHeader.MIN_LENGTH || transport + thl > off + linear) {
            return MALFORMED;
        }
        version = v;
        ipOffset = off;
        tcpOffset = transport;
        tcpHeaderLength = thl;
        length = total;
        return TCP;
    }

    public int version() { return version; }

    public boolean isIpv6() { return version == Ipv6Header.VERSION; }

    /** Offset of the IP header in the buffer's array (= its data offset at parse time). */
    public int ipOffset() { return ipOffset; }

    /** Offset of the TCP header in the buffer's array. */
    public int tcpOffset() { return tcpOffset; }

    public int tcpHeaderLength() { return tcpHeaderLength; }

    /** IP header(s) plus TCP header: the bytes every segment repeats. */
    public int headersLength() { return tcpOffset - ipOffset + tcpHeaderLength; }

    /** TCP payload bytes. */
    public int payloadLength() { return length - headersLength(); }

    /** The whole IP packet. */
    public int length() { return length; }
}
