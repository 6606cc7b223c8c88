package org.espline.runtime.header;

import static org.espline.runtime.header.NetworkBytes.i32;
import static org.espline.runtime.header.NetworkBytes.put16;
import static org.espline.runtime.header.NetworkBytes.put32;
import static org.espline.runtime.header.NetworkBytes.put8;
import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

/**
 * Flyweight over a TCP header (RFC 9293 §3.1); re-point it with {@link #wrap(byte[], int)}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |  8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             | 12
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (data offset &gt; 5)                  | 20
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Sequence and acknowledgment numbers are the raw 32 bits in an {@code int}; compare them with
 * {@link Integer#compareUnsigned} or widen with {@link Integer#toUnsignedLong}. No bounds checks of its own;
 * not thread-safe.
 */
public final class TcpHeader {
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int SEQUENCE_OFFSET = 4;
    public static final int ACKNOWLEDGMENT_OFFSET = 8;
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_POINTER_OFFSET = 18;
    /** Header without options (data offset 5). */
    public static final int MIN_LENGTH = 20;
    public static final int MAX_LENGTH = 60;

    public static final int FLAG_FIN = 0x01;
    public static final int FLAG_SYN = 0x02;
    public static final int FLAG_RST = 0x04;
    public static final int FLAG_PSH = 0x08;
    public static final int FLAG_ACK = 0x10;
    public static final int FLAG_URG = 0x20;
    public static final int FLAG_ECE = 0x40;
    public static final int FLAG_CWR = 0x80;

    private static final String FLAG_LETTERS = "FSRPAUEC";

    private byte[] array;
    private int offset;

    public TcpHeader wrap(byte[] array, int offset) {
        this.array = array;
        this.offset = offset;
        return this;
    }

    public byte[] array() { return array; }

    public int offset() { return offset; }

    public int sourcePort() { return u16(array, offset + SOURCE_PORT_OFFSET); }

    public TcpHeader sourcePort(int port) {
        put16(array, offset + SOURCE_PORT_OFFSET, port);
        return this;
    }

    public int destinationPort() { return u16(array, offset + DESTINATION_PORT_OFFSET); }

    public TcpHeader destinationPort(int port) {
        put16(array, offset + DESTINATION_PORT_OFFSET, port);
        return this;
    }

    public int sequenceNumber() { return i32(array, offset + SEQUENCE_OFFSET); }

    public TcpHeader sequenceNumber(int sequence) {
        put32(array, offset + SEQUENCE_OFFSET, sequence);
        return this;
    }

    public int acknowledgmentNumber() { return i32(array, offset + ACKNOWLEDGMENT_OFFSET); }

    public TcpHeader acknowledgmentNumber(int acknowledgment) {
        put32(array, offset + ACKNOWLEDGMENT_OFFSET, acknowledgment);
        return this;
    }

    /** Data offset in 4-byte words (5..15). */
    public int dataOffset() { return u8(array, offset + DATA_OFFSET_OFFSET) >>> 4; }

    /** Sets the data offset in words; keeps the reserved bits. */
    public TcpHeader dataOffset(int words) {
        final int index = offset + DATA_OFFSET_OFFSET;
        put8(array, index, (words << 4) | (u8(array, index) & 0x0F));
        return this;
    }

    /** Header length in bytes, options included: {@code dataOffset() * 4}. */
    public int headerLength() { return dataOffset() << 2; }

    /** The eight flag bits CWR..FIN ({@code FLAG_*}). */
    public int flags() { return u8(array, offset + FLAGS_OFFSET); }

    public TcpHeader flags(int flags) {
        put8(array, offset + FLAGS_OFFSET, flags);
        return this;
    }

    /** True if every bit of {@code flagMask} is set. */
    public boolean hasFlags(int flagMask) { return (flags() & flagMask) == flagMask; }

    public int window() { return u16(array, offset + WINDOW_OFFSET); }

    public TcpHeader window(int window) {
        put16(array, offset + WINDOW_OFFSET, window);
        return this;
    }

    public int checksum() { return u16(array, offset + CHECKSUM_OFFSET); }

    public TcpHeader checksum(int checksum) {
        put16(array, offset + CHECKSUM_OFFSET, checksum);
        return this;
    }

    public int urgentPointer() { return u16(array, offset + URGENT_POINTER_OFFSET); }

    public TcpHeader urgentPointer(int urgentPointer) {
        put16(array, offset + URGENT_POINTER_OFFSET, urgentPointer);
        return this;
    }

    /** Offset in {@link #array()} of the first data byte (after the options). */
    public int payloadOffset() { return offset + headerLength(); }

    @Override
    public String toString() {
        if (array == null) {
            return "TcpHeader{unwrapped}";
        }
        if (offset < 0 || array.length - offset < MIN_LENGTH) {
            return "TcpHeader{offset=" + offset + ", truncated: " + (array.length - offset) + " bytes}";
        }
        final int flags = flags();
        final StringBuilder letters = new StringBuilder(8);
        for (int bit = 0; bit < 8; bit++) {
            letters.append((flags & (1 << bit)) != 0 ? FLAG_LETTERS.charAt(bit) : '.');
        }
        return "TcpHeader{offset=" + offset
                + ", sourcePort=" + sourcePort()
                + ", destinationPort=" + destinationPort()
                + ", seq=" + Integer.toUnsignedString(sequenceNumber())
                + ", ack=" + Integer.toUnsignedString(acknowledgmentNumber())
                + ", dataOffset=" + dataOffset()
                + ", flags=" + letters
                + ", window=" + window()
                + ", checksum=0x" + Integer.toHexString(checksum())
                + ", urgentPointer=" + urgentPointer()
                + '}';
    }
}
