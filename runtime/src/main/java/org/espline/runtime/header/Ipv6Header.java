package org.espline.runtime.header;

import static org.espline.runtime.header.NetworkBytes.i32;
import static org.espline.runtime.header.NetworkBytes.put16;
import static org.espline.runtime.header.NetworkBytes.put32;
import static org.espline.runtime.header.NetworkBytes.put8;
import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

/**
 * Flyweight over an IPv6 fixed header (RFC 8200 §3) in a {@code byte[]}; re-point it with {@link #wrap(byte[], int)}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Payload Length        |  Next Header  |   Hop Limit   |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                        Source Address (16)                    +  8
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                                                               |
 * +                      Destination Address (16)                 + 24
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Fields are network byte order and returned unsigned. The view does no bounds checks of its own;
 * check untrusted input with {@link #isWellFormed(int)} first. Not thread-safe; keep one per worker.
 *
 * <h2>Extension headers</h2>
 * {@link #skipExtensionHeaders(byte[], int, int)} walks the chain after the fixed header and returns the
 * upper-layer protocol, where it starts, and where the Next Header byte naming it sits, packed into one
 * {@code long} so that the walk allocates nothing. {@link Ipv6ExtensionWalker} unpacks it into named fields.
 */
public final class Ipv6Header {
    public static final int VERSION_CLASS_FLOW_OFFSET = 0;
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    public static final int NEXT_HEADER_OFFSET = 6;
    public static final int HOP_LIMIT_OFFSET = 7;
    public static final int SOURCE_OFFSET = 8;
    public static final int DESTINATION_OFFSET = 24;

    /** The fixed header; extension headers follow it. */
    public static final int LENGTH = 40;
    public static final int ADDRESS_LENGTH = 16;
    public static final int VERSION = 6;
    public static final int FLOW_LABEL_MASK = 0x000F_FFFF;

    /**
     * Longest chain {@link #skipExtensionHeaders} follows. Legitimate packets carry a handful; the bound caps the
     * work a crafted packet of tiny headers can cause.
     */
    public static final int MAX_EXTENSION_HEADERS = 16;

    /** Walk failure: an extension header (or the fixed header) runs past the end of the packet. */
    public static final long WALK_TRUNCATED = -1L;
    /** Walk failure: more than {@link #MAX_EXTENSION_HEADERS} extension headers. */
    public static final long WALK_TOO_MANY_HEADERS = -2L;
    /** Walk failure: a Hop-by-Hop header anywhere but directly after the fixed header (RFC 8200 §4.1). */
    public static final long WALK_MISPLACED_HOP_BY_HOP = -3L;

    /** Fragment header: offset of the 16-bit word holding the 13-bit fragment offset and M flag. */
    private static final int FRAGMENT_OFFSET_WORD = 2;
    private static final int FRAGMENT_HEADER_LENGTH = 8;
    /** Fragment offset bits of that word; non-zero means the bytes that follow are not the upper-layer header. */
    private static final int FRAGMENT_OFFSET_BITS = 0xFFF8;

    // Packed walk result, all fields non-negative so that any negative value is a failure:
    //   bits  0..7   upper-layer protocol
    //   bits  8..38  offset of the upper-layer header (31 bits: any array index)
    //   bits 39..50  distance back from there to the Next Header byte naming it (at most 2048, one
    //                Hop-by-Hop/Routing/DstOpts header of 256 eight-byte units)
    //   bits 51..55  extension headers skipped (at most 16)
    //   bit  56      a Fragment header was seen
    private static final int PROTOCOL_SHIFT = 0;
    private static final int OFFSET_SHIFT = 8;
    private static final int BACK_SHIFT = 39;
    private static final int COUNT_SHIFT = 51;
    private static final int FRAGMENT_SHIFT = 56;

    private byte[] array;
    private int offset;

    /** Points the view at the fixed header starting at {@code array[offset]}; reads nothing. */
    public Ipv6Header wrap(byte[] array, int offset) {
        this.array = array;
        this.offset = offset;
        return this;
    }

    public byte[] array() { return array; }

    public int offset() { return offset; }

    /**
     * Whether a fixed header with version 6 starts here and its payload length fits before {@code packetEnd}.
     * A payload length of 0 (empty, or a Jumbo Payload option) passes: there is nothing to overrun.
     */
    public boolean isWellFormed(int packetEnd) {
        final byte[] a = array;
        final int off = offset;
        if (off < 0 || packetEnd > a.length || packetEnd - off < LENGTH) {
            return false;
        }
        return u8(a, off) >>> 4 == VERSION
                && u16(a, off + PAYLOAD_LENGTH_OFFSET) <= packetEnd - off - LENGTH;
    }

    public int version() { return u8(array, offset + VERSION_CLASS_FLOW_OFFSET) >>> 4; }

    public Ipv6Header version(int version) {
        final int index = offset + VERSION_CLASS_FLOW_OFFSET;
        put8(array, index, (version << 4) | (u8(array, index) & 0x0F));
        return this;
    }

    /** Traffic class: DSCP in the upper 6 bits, ECN in the lower 2. */
    public int trafficClass() { return (i32(array, offset + VERSION_CLASS_FLOW_OFFSET) >>> 20) & 0xFF; }

    public Ipv6Header trafficClass(int trafficClass) {
        final int index = offset + VERSION_CLASS_FLOW_OFFSET;
        final int word = i32(array, index);
        put32(array, index, (word & 0xF00F_FFFF) | ((trafficClass & 0xFF) << 20));
        return this;
    }

    public int flowLabel() { return i32(array, offset + VERSION_CLASS_FLOW_OFFSET) & FLOW_LABEL_MASK; }

    public Ipv6Header flowLabel(int flowLabel) {
        final int index = offset + VERSION_CLASS_FLOW_OFFSET;
        final int word = i32(array, index);
        put32(array, index, (word & ~FLOW_LABEL_MASK) | (flowLabel & FLOW_LABEL_MASK));
        return this;
    }

    /** Bytes after the fixed header, extension headers included. */
    public int payloadLength() { return u16(array, offset + PAYLOAD_LENGTH_OFFSET); }

    public Ipv6Header payloadLength(int payloadLength) {
        put16(array, offset + PAYLOAD_LENGTH_OFFSET, payloadLength);
        return this;
    }

    /** Offset in {@link #array()} of the first byte after the fixed header. */
    public int payloadOffset() { return offset + LENGTH; }

    /** Type of the header after the fixed one: an extension header or the upper layer (see {@link IpProtocols}). */
    public int nextHeader() { return u8(array, offset + NEXT_HEADER_OFFSET); }

    public Ipv6Header nextHeader(int nextHeader) {
        put8(array, offset + NEXT_HEADER_OFFSET, nextHeader);
        return this;
    }

    public int hopLimit() { return u8(array, offset + HOP_LIMIT_OFFSET); }

    public Ipv6Header hopLimit(int hopLimit) {
        put8(array, offset + HOP_LIMIT_OFFSET, hopLimit);
        return this;
    }

    /** Offset of the 16-byte source address in {@link #array()}. */
    public int sourceOffset() { return offset + SOURCE_OFFSET; }

    /** Copies the 16 source address bytes to {@code dst[dstOffset]}. */
    public void copySource(byte[] dst, int dstOffset) {
        System.arraycopy(array, offset + SOURCE_OFFSET, dst, dstOffset, ADDRESS_LENGTH);
    }

    /** Sets the source from 16 bytes at {@code src[srcOffset]}. */
    public Ipv6Header source(byte[] src, int srcOffset) {
        System.arraycopy(src, srcOffset, array, offset + SOURCE_OFFSET, ADDRESS_LENGTH);
        return this;
    }

    /** Offset of the 16-byte destination address in {@link #array()}. */
    public int destinationOffset() { return offset + DESTINATION_OFFSET; }

    /** Copies the 16 destination address bytes to {@code dst[dstOffset]}. */
    public void copyDestination(byte[] dst, int dstOffset) {
        System.arraycopy(array, offset + DESTINATION_OFFSET, dst, dstOffset, ADDRESS_LENGTH);
    }

    /** Sets the destination from 16 bytes at {@code src[srcOffset]}. */
    public Ipv6Header destination(byte[] src, int srcOffset) {
        System.arraycopy(src, srcOffset, array, offset + DESTINATION_OFFSET, ADDRESS_LENGTH);
        return this;
    }

    /** {@link #skipExtensionHeaders(byte[], int, int)} for the wrapped header. */
    public long skipExtensionHeaders(int packetEnd) {
        return skipExtensionHeaders(array, offset, packetEnd);
    }

    // ------------------------------------------------------------------ extension header walk

    /**
     * Skips the extension headers of an inbound IPv6 packet and finds the upper-layer header.
     *
     * <p>Skipped: Hop-by-Hop (0, first only), Routing (43) and Destination Options (60), each
     * {@code (HdrExtLen + 1) * 8} bytes; Fragment (44), 8 bytes; AH (51), {@code (PayloadLen + 2) * 4} bytes.
     * Anything else ends the walk and is reported as the upper layer: ESP, TCP, UDP, ICMPv6, No Next Header,
     * or a type this walker does not know. A Fragment header with a non-zero offset also ends it, reported as
     * protocol {@link IpProtocols#FRAGMENT} at the Fragment header, because what follows is the middle of a
     * datagram and not a header at all.
     *
     * <p>The upper-layer offset may equal {@code packetEnd} (e.g. No Next Header, or a packet cut right after
     * its headers); the caller checks what it needs there.
     *
     * @param array     the packet
     * @param offset    offset of the IPv6 fixed header
     * @param packetEnd offset one past the last byte of the packet; normally {@code offset + 40 + payloadLength()}
     *                  once {@link #isWellFormed(int)} said that fits
     * @return a packed result for {@link #walkProtocol}, {@link #walkOffset}, {@link #walkNextHeaderFieldOffset},
     *         {@link #walkHeaderCount} and {@link #walkSawFragment}; or a negative {@code WALK_*} failure code.
     *         Never throws for {@code 0 <= offset}, {@code packetEnd <= array.length}.
     */
    public static long skipExtensionHeaders(byte[] array, int offset, int packetEnd) {
        if (offset < 0 || packetEnd > array.length || packetEnd - offset < LENGTH) {
            return WALK_TRUNCATED;
        }
        int nextHeaderField = offset + NEXT_HEADER_OFFSET;
        int cursor = offset + LENGTH;
        int protocol = u8(array, nextHeaderField);
        int count = 0;
        boolean sawFragment = false;
        while (true) {
            final int headerLength;
            switch (protocol) {
                case IpProtocols.HOPOPT:
                    if (count != 0) {
                        return WALK_MISPLACED_HOP_BY_HOP;
                    }
                    headerLength = optionsHeaderLength(array, cursor, packetEnd);
                    break;
                case IpProtocols.ROUTING:
                case IpProtocols.DSTOPTS:
                    headerLength = optionsHeaderLength(array, cursor, packetEnd);
                    break;
                case IpProtocols.AH:
                    if (packetEnd - cursor < 2) {
                        return WALK_TRUNCATED;
                    }
                    headerLength = (u8(array, cursor + 1) + 2) << 2;
                    break;
                case IpProtocols.FRAGMENT:
                    if (packetEnd - cursor < FRAGMENT_HEADER_LENGTH) {
                        return WALK_TRUNCATED;
                    }
                    sawFragment = true;
                    if ((u16(array, cursor + FRAGMENT_OFFSET_WORD) & FRAGMENT_OFFSET_BITS) != 0) {
                        return pack(protocol, cursor, nextHeaderField, count, true);
                    }
                    headerLength = FRAGMENT_HEADER_LENGTH;
                    break;
                default:
                    return pack(protocol, cursor, nextHeaderField, count, sawFragment);
            }
            if (headerLength < 0 || headerLength > packetEnd - cursor) {
                return WALK_TRUNCATED;
            }
            if (++count > MAX_EXTENSION_HEADERS) {
                return WALK_TOO_MANY_HEADERS;
            }
            // Every extension header starts with the Next Header byte naming the one after it.
            nextHeaderField = cursor;
            protocol = u8(array, cursor);
            cursor += headerLength;
        }
    }

    /** Length of a Hop-by-Hop, Routing or Destination Options header, or -1 if its length byte is past the end. */
    private static int optionsHeaderLength(byte[] array, int cursor, int packetEnd) {
        if (packetEnd - cursor < 2) {
            return -1;
        }
        return (u8(array, cursor + 1) + 1) << 3;
    }

    private static long pack(int protocol, int protocolOffset, int nextHeaderField, int count, boolean sawFragment) {
        return ((long) protocol << PROTOCOL_SHIFT)
                | ((long) protocolOffset << OFFSET_SHIFT)
                | ((long) (protocolOffset - nextHeaderField) << BACK_SHIFT)
                | ((long) count << COUNT_SHIFT)
                | ((sawFragment ? 1L : 0L) << FRAGMENT_SHIFT);
    }

    /** True if {@code walk} is one of the {@code WALK_*} failure codes. */
    public static boolean walkFailed(long walk) { return walk < 0; }

    /** Upper-layer protocol (see {@link IpProtocols}) of a successful walk. */
    public static int walkProtocol(long walk) { return (int) (walk >>> PROTOCOL_SHIFT) & 0xFF; }

    /** Offset in the array of the upper-layer header (its first byte, or {@code packetEnd} if nothing follows). */
    public static int walkOffset(long walk) { return (int) (walk >>> OFFSET_SHIFT) & 0x7FFF_FFFF; }

    /**
     * Offset in the array of the Next Header byte that names the upper layer: byte 6 of the fixed header, or
     * byte 0 of the last extension header. ESP transport mode rewrites this byte.
     */
    public static int walkNextHeaderFieldOffset(long walk) {
        return walkOffset(walk) - ((int) (walk >>> BACK_SHIFT) & 0xFFF);
    }

    /** Extension headers skipped before the upper layer. */
    public static int walkHeaderCount(long walk) { return (int) (walk >>> COUNT_SHIFT) & 0x1F; }

    /** Whether the chain held a Fragment header. */
    public static boolean walkSawFragment(long walk) { return ((walk >>> FRAGMENT_SHIFT) & 1L) != 0; }

    /** Name of a {@code WALK_*} failure code, for counters and debug lines. */
    public static String walkFailureName(long walk) {
        if (walk == WALK_TRUNCATED) {
            return "truncated";
        }
        if (walk == WALK_TOO_MANY_HEADERS) {
            return "too many extension headers";
        }
        if (walk == WALK_MISPLACED_HOP_BY_HOP) {
            return "misplaced Hop-by-Hop header";
        }
        return walk < 0 ? "unknown failure " + walk : "ok";
    }

    @Override
    public String toString() {
        if (array == null) {
            return "Ipv6Header{unwrapped}";
        }
        if (offset < 0 || array.length - offset < LENGTH) {
            return "Ipv6Header{offset=" + offset + ", truncated: " + (array.length - offset) + " bytes}";
        }
        return "Ipv6Header{offset=" + offset
                + ", version=" + version()
                + ", trafficClass=" + trafficClass()
                + ", flowLabel=0x" + Integer.toHexString(flowLabel())
                + ", payloadLength=" + payloadLength()
                + ", nextHeader=" + IpProtocols.name(nextHeader())
                + ", hopLimit=" + hopLimit()
                + ", source=" + NetworkBytes.ipv6ToString(array, offset + SOURCE_OFFSET)
                + ", destination=" + NetworkBytes.ipv6ToString(array, offset + DESTINATION_OFFSET)
                + '}';
    }
}
