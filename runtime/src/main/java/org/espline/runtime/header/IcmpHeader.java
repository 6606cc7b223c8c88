package org.espline.runtime.header;

import static org.espline.runtime.header.NetworkBytes.i32;
import static org.espline.runtime.header.NetworkBytes.put16;
import static org.espline.runtime.header.NetworkBytes.put32;
import static org.espline.runtime.header.NetworkBytes.put8;
import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

/**
 * Flyweight over an ICMP (RFC 792) or ICMPv6 (RFC 4443) header: both share this layout, only the type numbers
 * and the checksum coverage differ (ICMPv6 includes the IPv6 pseudo-header, ICMP for IPv4 does not).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Rest of header: Identifier + Sequence (echo), MTU (too big) |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * No bounds checks of its own; not thread-safe.
 */
public final class IcmpHeader {
    public static final int TYPE_OFFSET = 0;
    public static final int CODE_OFFSET = 1;
    public static final int CHECKSUM_OFFSET = 2;
    public static final int REST_OFFSET = 4;
    public static final int IDENTIFIER_OFFSET = 4;
    public static final int SEQUENCE_OFFSET = 6;
    /** Type, code, checksum and the 4-byte rest of header. */
    public static final int LENGTH = 8;

    public static final int ICMP_ECHO_REPLY = 0;
    public static final int ICMP_DESTINATION_UNREACHABLE = 3;
    public static final int ICMP_ECHO_REQUEST = 8;
    public static final int ICMP_TIME_EXCEEDED = 11;
    public static final int ICMPV6_DESTINATION_UNREACHABLE = 1;
    public static final int ICMPV6_PACKET_TOO_BIG = 2;
    public static final int ICMPV6_TIME_EXCEEDED = 3;
    public static final int ICMPV6_PARAMETER_PROBLEM = 4;
    public static final int ICMPV6_ECHO_REQUEST = 128;
    public static final int ICMPV6_ECHO_REPLY = 129;

    private byte[] array;
    private int offset;

    public IcmpHeader wrap(byte[] array, int offset) {
        this.array = array;
        this.offset = offset;
        return this;
    }

    public byte[] array() { return array; }

    public int offset() { return offset; }

    public int type() { return u8(array, offset + TYPE_OFFSET); }

    public IcmpHeader type(int type) {
        put8(array, offset + TYPE_OFFSET, type);
        return this;
    }

    public int code() { return u8(array, offset + CODE_OFFSET); }

    public IcmpHeader code(int code) {
        put8(array, offset + CODE_OFFSET, code);
        return this;
    }

    public int checksum() { return u16(array, offset + CHECKSUM_OFFSET); }

    public IcmpHeader checksum(int checksum) {
        put16(array, offset + CHECKSUM_OFFSET, checksum);
        return this;
    }

    /** The type-specific second word, raw. */
    public int restOfHeader() { return i32(array, offset + REST_OFFSET); }

    public IcmpHeader restOfHeader(int rest) {
        put32(array, offset + REST_OFFSET, rest);
        return this;
    }

    /** Echo request/reply identifier. */
    public int identifier() { return u16(array, offset + IDENTIFIER_OFFSET); }

    public IcmpHeader identifier(int identifier) {
        put16(array, offset + IDENTIFIER_OFFSET, identifier);
        return this;
    }

    /** Echo request/reply sequence number. */
    public int sequenceNumber() { return u16(array, offset + SEQUENCE_OFFSET); }

    public IcmpHeader sequenceNumber(int sequence) {
        put16(array, offset + SEQUENCE_OFFSET, sequence);
        return this;
    }

    @Override
    public String toString() {
        if (array == null) {
            return "IcmpHeader{unwrapped}";
        }
        if (offset < 0 || array.length - offset < LENGTH) {
            return "IcmpHeader{offset=" + offset + ", truncated: " + (array.length - offset) + " bytes}";
        }
        return "IcmpHeader{offset=" + offset
                + ", type=" + type()
                + ", code=" + code()
                + ", checksum=0x" + Integer.toHexString(checksum())
                + ", rest=0x" + Integer.toHexString(restOfHeader())
                + '}';
    }
}
