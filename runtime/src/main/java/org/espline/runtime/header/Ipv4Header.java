package org.espline.runtime.header;

import static org.espline.runtime.header.NetworkBytes.i32;
import static org.espline.runtime.header.NetworkBytes.put16;
import static org.espline.runtime.header.NetworkBytes.put32;
import static org.espline.runtime.header.NetworkBytes.put8;
import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

/**
 * Flyweight over an IPv4 header (RFC 791) in a {@code byte[]}; re-point it with {@link #wrap(byte[], int)}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |   DSCP    |ECN|          Total Length         |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |0|D|M|     Fragment Offset     |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |  8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          | 12
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options (IHL &gt; 5)                          | 20
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>All fields are network byte order and returned unsigned. Setters return {@code this} and do not touch the
 * checksum: call {@link #updateChecksum()} once after the last change, or patch it with
 * {@link InternetChecksum#adjust16(int, int, int)} when one field changed.
 *
 * <p>The view does no bounds checks of its own: a field outside the array throws the array's
 * {@link ArrayIndexOutOfBoundsException}. Check untrusted input with {@link #isWellFormed(int)} first.
 *
 * <p>Not thread-safe; {@code wrap} re-points the view without allocating, so keep one per worker.
 */
public final class Ipv4Header {
    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SOURCE_OFFSET = 12;
    public static final int DESTINATION_OFFSET = 16;

    /** Header without options (IHL 5). */
    public static final int MIN_LENGTH = 20;
    /** Header with the most options IHL can describe (IHL 15). */
    public static final int MAX_LENGTH = 60;
    public static final int VERSION = 4;
    public static final int ADDRESS_LENGTH = 4;

    /** Reserved flag bit in the 16-bit flags/fragment-offset word; must be zero. */
    public static final int FLAG_RESERVED = 0x8000;
    /** Don't Fragment. */
    public static final int FLAG_DF = 0x4000;
    /** More Fragments. */
    public static final int FLAG_MF = 0x2000;
    /** Fragment offset in 8-byte units. */
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    private byte[] array;
    private int offset;

    /** Points the view at the header starting at {@code array[offset]}; reads nothing. */
    public Ipv4Header wrap(byte[] array, int offset) {
        this.array = array;
        this.offset = offset;
        return this;
    }

    public byte[] array() { return array; }

    /** Offset of the first header byte in {@link #array()}. */
    public int offset() { return offset; }

    /**
     * Whether a header that fits before {@code packetEnd} starts here: version 4, IHL at least 5,
     * and total length covering the header without running past {@code packetEnd}. Never throws for
     * in-range {@code offset}/{@code packetEnd}.
     *
     * @param packetEnd offset one past the last byte of the packet in {@link #array()}
     */
    public boolean isWellFormed(int packetEnd) {
        final byte[] a = array;
        final int off = offset;
        if (off < 0 || packetEnd > a.length || packetEnd - off < MIN_LENGTH) {
            return false;
        }
        final int versionIhl = u8(a, off + VERSION_IHL_OFFSET);
        final int headerLength = (versionIhl & 0x0F) << 2;
        final int totalLength = u16(a, off + TOTAL_LENGTH_OFFSET);
        return versionIhl >>> 4 == VERSION
                && headerLength >= MIN_LENGTH
                && totalLength >= headerLength
                && totalLength <= packetEnd - off;
    }

    // ------------------------------------------------------------------ version, IHL, TOS

    public int version() { return u8(array, offset + VERSION_IHL_OFFSET) >>> 4; }

    public Ipv4Header version(int version) {
        final int index = offset + VERSION_IHL_OFFSET;
        put8(array, index, (version << 4) | (u8(array, index) & 0x0F));
        return this;
    }

    /** Internet Header Length in 4-byte words (5..15). */
    public int ihl() { return u8(array, offset + VERSION_IHL_OFFSET) & 0x0F; }

    public Ipv4Header ihl(int ihl) {
        final int index = offset + VERSION_IHL_OFFSET;
        put8(array, index, (u8(array, index) & 0xF0) | (ihl & 0x0F));
        return this;
    }

    /** Header length in bytes, options included: {@code ihl() * 4}. */
    public int headerLength() { return (u8(array, offset + VERSION_IHL_OFFSET) & 0x0F) << 2; }

    /** Sets IHL from a byte count, which must be a multiple of 4 in 20..60. */
    public Ipv4Header headerLength(int bytes) {
        if (bytes < MIN_LENGTH || bytes > MAX_LENGTH || (bytes & 3) != 0) {
            throw new IllegalArgumentException("headerLength: " + bytes + " (expected: multiple of 4 in 20..60)");
        }
        return ihl(bytes >>> 2);
    }

    /** The whole second byte, DSCP and ECN together (the old Type of Service). */
    public int tos() { return u8(array, offset + TOS_OFFSET); }

    public Ipv4Header tos(int tos) {
        put8(array, offset + TOS_OFFSET, tos);
        return this;
    }

    public int dscp() { return u8(array, offset + TOS_OFFSET) >>> 2; }

    public Ipv4Header dscp(int dscp) {
        final int index = offset + TOS_OFFSET;
        put8(array, index, (dscp << 2) | (u8(array, index) & 0x03));
        return this;
    }

    public int ecn() { return u8(array, offset + TOS_OFFSET) & 0x03; }

    public Ipv4Header ecn(int ecn) {
        final int index = offset + TOS_OFFSET;
        put8(array, index, (u8(array, index) & 0xFC) | (ecn & 0x03));
        return this;
    }

    // ------------------------------------------------------------------ lengths, fragmentation

    /** Header plus payload in bytes. */
    public int totalLength() { return u16(array, offset + TOTAL_LENGTH_OFFSET); }

    public Ipv4Header totalLength(int totalLength) {
        put16(array, offset + TOTAL_LENGTH_OFFSET, totalLength);
        return this;
    }

    /** {@code totalLength() - headerLength()}; negative only for a header that is not well formed. */
    public int payloadLength() { return totalLength() - headerLength(); }

    /** Offset in {@link #array()} of the first byte after the options. */
    public int payloadOffset() { return offset + headerLength(); }

    public int identification() { return u16(array, offset + IDENTIFICATION_OFFSET); }

    public Ipv4Header identification(int identification) {
        put16(array, offset + IDENTIFICATION_OFFSET, identification);
        return this;
    }

    /** The raw 16-bit word holding the three flag bits and the fragment offset. */
    public int flagsAndFragmentOffset() { return u16(array, offset + FLAGS_FRAGMENT_OFFSET); }

    public Ipv4Header flagsAndFragmentOffset(int word) {
        put16(array, offset + FLAGS_FRAGMENT_OFFSET, word);
        return this;
    }

    /** The three flag bits (reserved, DF, MF) as the top bits of a 3-bit value: DF = 2, MF = 1. */
    public int flags() { return flagsAndFragmentOffset() >>> 13; }

    public boolean dontFragment() { return (flagsAndFragmentOffset() & FLAG_DF) != 0; }

    public Ipv4Header dontFragment(boolean df) { return setFlag(FLAG_DF, df); }

    public boolean moreFragments() { return (flagsAndFragmentOffset() & FLAG_MF) != 0; }

    public Ipv4Header moreFragments(boolean mf) { return setFlag(FLAG_MF, mf); }

    private Ipv4Header setFlag(int flag, boolean on) {
        final int word = flagsAndFragmentOffset();
        return flagsAndFragmentOffset(on ? word | flag : word & ~flag);
    }

    /** Fragment offset in 8-byte units, as on the wire. */
    public int fragmentOffset() { return flagsAndFragmentOffset() & FRAGMENT_OFFSET_MASK; }

    public Ipv4Header fragmentOffset(int units) {
        return flagsAndFragmentOffset((flagsAndFragmentOffset() & ~FRAGMENT_OFFSET_MASK) | (units & FRAGMENT_OFFSET_MASK));
    }

    /** True for any piece of a fragmented datagram: MF set or a non-zero offset. Such a piece has no whole transport segment. */
    public boolean isFragment() { return (flagsAndFragmentOffset() & (FLAG_MF | FRAGMENT_OFFSET_MASK)) != 0; }

    public boolean hasOptions() { return ihl() > 5; }

    // ------------------------------------------------------------------ TTL, protocol, checksum

    public int ttl() { return u8(array, offset + TTL_OFFSET); }

    public Ipv4Header ttl(int ttl) {
        put8(array, offset + TTL_OFFSET, ttl);
        return this;
    }

    /** Protocol of the payload, see {@link IpProtocols}. */
    public int protocol() { return u8(array, offset + PROTOCOL_OFFSET); }

    public Ipv4Header protocol(int protocol) {
        put8(array, offset + PROTOCOL_OFFSET, protocol);
        return this;
    }

    public int checksum() { return u16(array, offset + CHECKSUM_OFFSET); }

    public Ipv4Header checksum(int checksum) {
        put16(array, offset + CHECKSUM_OFFSET, checksum);
        return this;
    }

    /** The checksum this header should carry, computed over {@link #headerLength()} bytes as if the checksum field were zero. */
    public int computeChecksum() {
        final byte[] a = array;
        final int off = offset;
        final int length = headerLength();
        // The checksum field sits at an even offset, so the two ranges around it keep 16-bit alignment.
        final int before = InternetChecksum.sum(a, off, CHECKSUM_OFFSET);
        final int after = InternetChecksum.sum(a, off + CHECKSUM_OFFSET + 2, length - CHECKSUM_OFFSET - 2);
        return ~InternetChecksum.add(before, after) & 0xFFFF;
    }

    /** Stores {@link #computeChecksum()}; call after the last field change. */
    public Ipv4Header updateChecksum() {
        // With the field zeroed the header is one range: one bulk sum instead of two around the field.
        checksum(0);
        return checksum(~headerSum() & 0xFFFF);
    }

    /** Receiver's check (RFC 1071): the sum over the header, checksum included, is all ones. */
    public boolean isChecksumValid() {
        return headerSum() == 0xFFFF;
    }

    private int headerSum() {
        final int length = headerLength();
        return length == MIN_LENGTH ? InternetChecksum.sumOfIpv4Header(array, offset) : InternetChecksum.sum(array, offset, length);
    }

    // ------------------------------------------------------------------ addresses

    public int source() { return i32(array, offset + SOURCE_OFFSET); }

    public Ipv4Header source(int address) {
        put32(array, offset + SOURCE_OFFSET, address);
        return this;
    }

    /** Sets the source from 4 bytes at {@code src[srcOffset]}. */
    public Ipv4Header source(byte[] src, int srcOffset) {
        System.arraycopy(src, srcOffset, array, offset + SOURCE_OFFSET, ADDRESS_LENGTH);
        return this;
    }

    /** Copies the 4 source address bytes to {@code dst[dstOffset]}. */
    public void copySource(byte[] dst, int dstOffset) {
        System.arraycopy(array, offset + SOURCE_OFFSET, dst, dstOffset, ADDRESS_LENGTH);
    }

    /** Offset of the source address in {@link #array()}. */
    public int sourceOffset() { return offset + SOURCE_OFFSET; }

    public int destination() { return i32(array, offset + DESTINATION_OFFSET); }

    public Ipv4Header destination(int address) {
        put32(array, offset + DESTINATION_OFFSET, address);
        return this;
    }

    /** Sets the destination from 4 bytes at {@code src[srcOffset]}. */
    public Ipv4Header destination(byte[] src, int srcOffset) {
        System.arraycopy(src, srcOffset, array, offset + DESTINATION_OFFSET, ADDRESS_LENGTH);
        return this;
    }

    /** Copies the 4 destination address bytes to {@code dst[dstOffset]}. */
    public void copyDestination(byte[] dst, int dstOffset) {
        System.arraycopy(array, offset + DESTINATION_OFFSET, dst, dstOffset, ADDRESS_LENGTH);
    }

    /** Offset of the destination address in {@link #array()}. */
    public int destinationOffset() { return offset + DESTINATION_OFFSET; }

    @Override
    public String toString() {
        if (array == null) {
            return "Ipv4Header{unwrapped}";
        }
        if (offset < 0 || array.length - offset < MIN_LENGTH) {
            return "Ipv4Header{offset=" + offset + ", truncated: " + (array.length - offset) + " bytes}";
        }
        return "Ipv4Header{offset=" + offset
                + ", version=" + version()
                + ", ihl=" + ihl()
                + ", dscp=" + dscp()
                + ", ecn=" + ecn()
                + ", totalLength=" + totalLength()
                + ", id=" + identification()
                + ", df=" + dontFragment()
                + ", mf=" + moreFragments()
                + ", fragmentOffset=" + fragmentOffset()
                + ", ttl=" + ttl()
                + ", protocol=" + IpProtocols.name(protocol())
                + ", checksum=0x" + Integer.toHexString(checksum())
                + ", source=" + NetworkBytes.ipv4ToString(source())
                + ", destination=" + NetworkBytes.ipv4ToString(destination())
                + '}';
    }
}
