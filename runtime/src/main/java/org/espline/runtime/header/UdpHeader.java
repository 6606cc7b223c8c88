package org.espline.runtime.header;

import static org.espline.runtime.header.NetworkBytes.put16;
import static org.espline.runtime.header.NetworkBytes.u16;

/**
 * Flyweight over a UDP header (RFC 768); re-point it with {@link #wrap(byte[], int)}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Length             |           Checksum            |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Over IPv4 a checksum of 0 means "not computed" and a computed 0 is sent as 0xFFFF; over IPv6 the
 * checksum is mandatory. {@link InternetChecksum#updateTransportChecksum} handles both.
 * No bounds checks of its own; not thread-safe.
 */
public final class UdpHeader {
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int LENGTH_OFFSET = 4;
    public static final int CHECKSUM_OFFSET = 6;
    /** Header size; the Length field counts it. */
    public static final int LENGTH = 8;

    private byte[] array;
    private int offset;

    public UdpHeader wrap(byte[] array, int offset) {
        this.array = array;
        this.offset = offset;
        return this;
    }

    public byte[] array() { return array; }

    public int offset() { return offset; }

    public int sourcePort() { return u16(array, offset + SOURCE_PORT_OFFSET); }

    public UdpHeader sourcePort(int port) {
        put16(array, offset + SOURCE_PORT_OFFSET, port);
        return this;
    }

    public int destinationPort() { return u16(array, offset + DESTINATION_PORT_OFFSET); }

    public UdpHeader destinationPort(int port) {
        put16(array, offset + DESTINATION_PORT_OFFSET, port);
        return this;
    }

    /** Header plus data in bytes. */
    public int length() { return u16(array, offset + LENGTH_OFFSET); }

    public UdpHeader length(int length) {
        put16(array, offset + LENGTH_OFFSET, length);
        return this;
    }

    public int checksum() { return u16(array, offset + CHECKSUM_OFFSET); }

    public UdpHeader checksum(int checksum) {
        put16(array, offset + CHECKSUM_OFFSET, checksum);
        return this;
    }

    /** Offset in {@link #array()} of the first data byte. */
    public int payloadOffset() { return offset + LENGTH; }

    @Override
    public String toString() {
        if (array == null) {
            return "UdpHeader{unwrapped}";
        }
        if (offset < 0 || array.length - offset < LENGTH) {
            return "UdpHeader{offset=" + offset + ", truncated: " + (array.length - offset) + " bytes}";
        }
        return "UdpHeader{offset=" + offset
                + ", sourcePort=" + sourcePort()
                + ", destinationPort=" + destinationPort()
                + ", length=" + length()
                + ", checksum=0x" + Integer.toHexString(checksum())
                + '}';
    }
}
