package org.espline.runtime.header;

import static org.espline.runtime.header.NetworkBytes.i32;
import static org.espline.runtime.header.NetworkBytes.put16;
import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The Internet checksum (RFC 1071): the ones'-complement of the ones'-complement sum of 16-bit big-endian words.
 *
 * <h2>Sums and checksums</h2>
 * A <em>sum</em> here is a folded ones'-complement sum in 0..0xFFFF, not yet complemented; sums of separate
 * ranges combine with {@link #add(int, int)} as long as every range but the last has even length (an odd
 * range is padded with one zero byte on the right, which would shift the bytes after it). The <em>checksum</em>
 * stored in a header is {@code ~sum & 0xFFFF}; a receiver accepts data whose sum, checksum included, is 0xFFFF.
 *
 * <h2>Incremental update</h2>
 * {@link #adjust16} and {@link #adjust32} patch a checksum after one field changed, per RFC 1624 eqn. 3,
 * {@code HC' = ~(~HC + ~m + m')}. That form (unlike RFC 1141's) gives the same value a full recomputation
 * gives, for any data that is not all zeros.
 *
 * <h2>Transport checksums of a whole packet</h2>
 * {@link #computeTransportChecksum}, {@link #updateTransportChecksum} and {@link #verifyTransportChecksum}
 * take an IPv4 or IPv6 packet, find the TCP, UDP, ICMP (IPv4) or ICMPv6 header behind it (skipping IPv6
 * extension headers), and include the pseudo-header. For IPv6 the pseudo-header uses the destination field of
 * the fixed header, which is the final destination once any Routing header has been processed (segments
 * left 0), i.e. on input at the endpoint; a sender using a Routing header must patch the checksum itself.
 *
 * <p>Stateless; all methods are thread-safe and allocate nothing.
 */
public final class InternetChecksum {
    /** {@link #computeTransportChecksum} result: not TCP/UDP/ICMP/ICMPv6, or a fragment (its checksum covers the reassembled datagram). */
    public static final int NOT_APPLICABLE = -1;
    /** {@link #computeTransportChecksum} result: the IP or transport lengths are inconsistent or run past the packet. */
    public static final int MALFORMED = -2;

    /** Outcome of {@link #verifyTransportChecksum} and {@link #updateTransportChecksum}. */
    public enum Status {
        /** The checksum is correct (after an update: it was written). */
        VALID,
        /** The checksum is wrong, or is 0 on UDP over IPv6 where it is mandatory. */
        INVALID,
        /** UDP over IPv4 with checksum 0: the sender did not compute one (RFC 768). */
        ABSENT,
        /** Not TCP/UDP/ICMP/ICMPv6, or a fragment. */
        NOT_APPLICABLE,
        /** IP or transport lengths inconsistent, or running past the packet. */
        MALFORMED
    }

    private static final int TCP_CHECKSUM_OFFSET = 16;
    private static final int TCP_MIN_LENGTH = 20;
    private static final int UDP_CHECKSUM_OFFSET = 6;
    private static final int UDP_LENGTH_OFFSET = 4;
    private static final int UDP_LENGTH = 8;
    private static final int ICMP_CHECKSUM_OFFSET = 2;
    /** Type, code and checksum: all an ICMP or ICMPv6 message must hold for its checksum to exist. */
    private static final int ICMP_MIN_LENGTH = 4;

    // prepare() result: bits 0..15 the sum with the checksum field left out, bits 16..46 the field's offset.
    private static final int FIELD_SHIFT = 16;
    private static final long UDP_FLAG = 1L << 48;
    private static final long IPV6_FLAG = 1L << 49;

    /**
     * Little-endian (the machine's order on x86 and ARM servers): no byte swap per load. The ones'-complement sum of
     * byte-swapped words is the byte-swapped sum (RFC 1071 §2(B)), so the bulk is summed swapped and turned once.
     */
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private InternetChecksum() {
    }

    // ------------------------------------------------------------------ sums

    /**
     * Folded ones'-complement sum of {@code length} bytes from {@code array[offset]}; an odd last byte counts
     * as the high byte of a word whose low byte is zero.
     *
     * @return 0..0xFFFF; 0 only if every byte is zero
     */
    public static int sum(byte[] array, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, array.length);
        // 32-bit words into a long: 2^32 is 1 modulo 0xFFFF, so a word's two halves need no splitting, and the
        // long cannot overflow for any array (2^28 iterations adding under 2^33 each). Eight bytes per load
        // (two words) halve the loads of the GSO path, which sums every segment's payload.
        // Four independent sums over 32-byte strides: one running sum made every add wait for the previous one,
        // about two cycles per 8 bytes; four let the CPU add in parallel (each stays below 2^63 for any array).
        long s0 = 0;
        long s1 = 0;
        long s2 = 0;
        long s3 = 0;
        int i = offset;
        final int stridesEnd = offset + (length & ~31);
        for (; i < stridesEnd; i += 32) {
            final long w0 = (long) LONG_LE.get(array, i);
            final long w1 = (long) LONG_LE.get(array, i + 8);
            final long w2 = (long) LONG_LE.get(array, i + 16);
            final long w3 = (long) LONG_LE.get(array, i + 24);
            s0 += (w0 >>> 32) + (w0 & 0xFFFF_FFFFL);
            s1 += (w1 >>> 32) + (w1 & 0xFFFF_FFFFL);
            s2 += (w2 >>> 32) + (w2 & 0xFFFF_FFFFL);
            s3 += (w3 >>> 32) + (w3 & 0xFFFF_FFFFL);
        }
        long swapped = (s0 + s1) + (s2 + s3);
        final int longsEnd = offset + (length & ~7);
        for (; i < longsEnd; i += 8) {
            final long w = (long) LONG_LE.get(array, i);
            swapped += (w >>> 32) + (w & 0xFFFF_FFFFL);
        }
        final int bulk = fold(swapped);
        long acc = ((bulk & 0xFF) << 8) | (bulk >>> 8);
        if ((length & 4) != 0) {
            acc += i32(array, i) & 0xFFFF_FFFFL;
            i += 4;
        }
        if ((length & 2) != 0) {
            acc += u16(array, i);
            i += 2;
        }
        if ((length & 1) != 0) {
            acc += u8(array, i) << 8;
        }
        return fold(acc);
    }

    /**
     * {@link #sum} of the 20 bytes of an IPv4 header without options: five 32-bit loads and one fold instead of the
     * bulk loop's set-up, which cost more than the header itself (ESP output sums two such headers per packet).
     */
    public static int sumOfIpv4Header(byte[] array, int offset) {
        Objects.checkFromIndexSize(offset, 20, array.length);
        final long acc = (i32(array, offset) & 0xFFFF_FFFFL) + (i32(array, offset + 4) & 0xFFFF_FFFFL)
                + (i32(array, offset + 8) & 0xFFFF_FFFFL) + (i32(array, offset + 12) & 0xFFFF_FFFFL)
                + (i32(array, offset + 16) & 0xFFFF_FFFFL);
        return fold(acc);
    }

    /** Folds a non-negative running sum to 16 bits with end-around carry; non-zero stays non-zero. */
    public static int fold(long sum) {
        long s = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
        s = (s & 0xFFFF) + (s >>> 16);
        s = (s & 0xFFFF) + (s >>> 16);
        s = (s & 0xFFFF) + (s >>> 16);
        return (int) s;
    }

    /** Ones'-complement addition of two folded sums. */
    public static int add(int sumA, int sumB) {
        final int s = (sumA & 0xFFFF) + (sumB & 0xFFFF);
        return (s & 0xFFFF) + (s >>> 16);
    }

    /** The checksum to store for a range: {@code ~sum(...)}, 16 bits. */
    public static int checksum(byte[] array, int offset, int length) {
        return ~sum(array, offset, length) & 0xFFFF;
    }

    /** The checksum of a range whose covered data starts with {@code initialSum}, e.g. a pseudo-header sum. */
    public static int checksum(int initialSum, byte[] array, int offset, int length) {
        return ~add(initialSum, sum(array, offset, length)) & 0xFFFF;
    }

    /** True if {@code length} bytes, checksum field included, sum to 0xFFFF (RFC 1071 receiver check). */
    public static boolean isValid(byte[] array, int offset, int length) {
        return sum(array, offset, length) == 0xFFFF;
    }

    /** UDP sends a computed checksum of 0 as 0xFFFF, because 0 on the wire means "none" (RFC 768). */
    public static int udpOnWire(int checksum) {
        return checksum == 0 ? 0xFFFF : checksum;
    }

    // ------------------------------------------------------------------ pseudo-headers

    /**
     * Sum of the IPv4 pseudo-header (RFC 9293 §3.1, RFC 768): source, destination, zero, protocol, and the
     * upper-layer length (transport header plus data).
     */
    public static int ipv4PseudoHeaderSum(int source, int destination, int protocol, int upperLayerLength) {
        final long acc = (source >>> 16) + (source & 0xFFFF)
                + (destination >>> 16) + (destination & 0xFFFF)
                + (protocol & 0xFF) + (upperLayerLength & 0xFFFF);
        return fold(acc);
    }

    /** {@link #ipv4PseudoHeaderSum(int, int, int, int)} with the addresses read from the IPv4 header at {@code ipv4Offset}. */
    public static int ipv4PseudoHeaderSum(byte[] array, int ipv4Offset, int protocol, int upperLayerLength) {
        return ipv4PseudoHeaderSum(i32(array, ipv4Offset + Ipv4Header.SOURCE_OFFSET),
                i32(array, ipv4Offset + Ipv4Header.DESTINATION_OFFSET), protocol, upperLayerLength);
    }

    /**
     * Sum of the IPv6 pseudo-header (RFC 8200 §8.1): 16-byte source and destination, the 32-bit upper-layer
     * length, three zero bytes and the next header value of the upper layer (not of an extension header).
     */
    public static int ipv6PseudoHeaderSum(byte[] array, int sourceOffset, int destinationOffset, int protocol,
                                          int upperLayerLength) {
        final long acc = (long) sum(array, sourceOffset, Ipv6Header.ADDRESS_LENGTH)
                + sum(array, destinationOffset, Ipv6Header.ADDRESS_LENGTH)
                + (upperLayerLength >>> 16) + (upperLayerLength & 0xFFFF)
                + (protocol & 0xFF);
        return fold(acc);
    }

    /** {@link #ipv6PseudoHeaderSum(byte[], int, int, int, int)} with the addresses of the IPv6 header at {@code ipv6Offset}. */
    public static int ipv6PseudoHeaderSum(byte[] array, int ipv6Offset, int protocol, int upperLayerLength) {
        return ipv6PseudoHeaderSum(array, ipv6Offset + Ipv6Header.SOURCE_OFFSET,
                ipv6Offset + Ipv6Header.DESTINATION_OFFSET, protocol, upperLayerLength);
    }

    // ------------------------------------------------------------------ incremental update (RFC 1624)

    /**
     * The checksum after one 16-bit word covered by it changed from {@code oldValue} to {@code newValue}.
     * The word must sit at an even offset from the start of the covered data. For UDP pass the result through
     * {@link #udpOnWire(int)}, and leave an IPv4 UDP checksum of 0 ("none") alone.
     */
    public static int adjust16(int checksum, int oldValue, int newValue) {
        int s = (~checksum & 0xFFFF) + (~oldValue & 0xFFFF) + (newValue & 0xFFFF);
        s = (s & 0xFFFF) + (s >>> 16);
        s = (s & 0xFFFF) + (s >>> 16);
        return ~s & 0xFFFF;
    }

    /** As {@link #adjust16} for a 32-bit field (an IPv4 address, a TCP sequence number) at an even offset. */
    public static int adjust32(int checksum, int oldValue, int newValue) {
        int s = (~checksum & 0xFFFF)
                + (~oldValue >>> 16 & 0xFFFF) + (~oldValue & 0xFFFF)
                + (newValue >>> 16) + (newValue & 0xFFFF);
        s = (s & 0xFFFF) + (s >>> 16);
        s = (s & 0xFFFF) + (s >>> 16);
        return ~s & 0xFFFF;
    }

    // ------------------------------------------------------------------ whole packets

    /**
     * The TCP, UDP, ICMP or ICMPv6 checksum the packet at {@code array[ipOffset]} should carry, as it would
     * go on the wire (a UDP 0 becomes 0xFFFF). Reads only; the current checksum field is ignored.
     *
     * @param packetEnd offset one past the last byte available; the IP length fields decide the extent
     * @return 0..0xFFFF, or {@link #NOT_APPLICABLE} or {@link #MALFORMED}; never throws for in-range offsets
     */
    public static int computeTransportChecksum(byte[] array, int ipOffset, int packetEnd) {
        final long prepared = prepare(array, ipOffset, packetEnd);
        if (prepared < 0) {
            return (int) prepared;
        }
        return checksumOf(prepared);
    }

    /** Computes the transport checksum (see {@link #computeTransportChecksum}) and stores it in the packet. */
    public static Status updateTransportChecksum(byte[] array, int ipOffset, int packetEnd) {
        final long prepared = prepare(array, ipOffset, packetEnd);
        if (prepared < 0) {
            return failure(prepared);
        }
        put16(array, fieldOffset(prepared), checksumOf(prepared));
        return Status.VALID;
    }

    /** Checks the TCP, UDP, ICMP or ICMPv6 checksum of the packet at {@code array[ipOffset]}. */
    public static Status verifyTransportChecksum(byte[] array, int ipOffset, int packetEnd) {
        final long prepared = prepare(array, ipOffset, packetEnd);
        if (prepared < 0) {
            return failure(prepared);
        }
        final int stored = u16(array, fieldOffset(prepared));
        if (stored == 0 && (prepared & UDP_FLAG) != 0) {
            // RFC 8200 §8.1: IPv6 receivers discard UDP with a zero checksum; IPv4 just skips the check.
            return (prepared & IPV6_FLAG) != 0 ? Status.INVALID : Status.ABSENT;
        }
        return add((int) prepared & 0xFFFF, stored) == 0xFFFF ? Status.VALID : Status.INVALID;
    }

    private static int checksumOf(long prepared) {
        final int checksum = ~(int) prepared & 0xFFFF;
        return (prepared & UDP_FLAG) != 0 ? udpOnWire(checksum) : checksum;
    }

    private static int fieldOffset(long prepared) {
        return (int) (prepared >>> FIELD_SHIFT) & 0x7FFF_FFFF;
    }

    private static Status failure(long prepared) {
        return prepared == NOT_APPLICABLE ? Status.NOT_APPLICABLE : Status.MALFORMED;
    }

    /** Finds the transport header of an IPv4 or IPv6 packet and sums everything its checksum covers but the field. */
    private static long prepare(byte[] array, int ipOffset, int packetEnd) {
        if (ipOffset < 0 || packetEnd > array.length || packetEnd - ipOffset < 1) {
            return MALFORMED;
        }
        final int version = u8(array, ipOffset) >>> 4;
        if (version == Ipv4Header.VERSION) {
            return prepareIpv4(array, ipOffset, packetEnd);
        }
        if (version == Ipv6Header.VERSION) {
            return prepareIpv6(array, ipOffset, packetEnd);
        }
        return MALFORMED;
    }

    private static long prepareIpv4(byte[] array, int ip, int packetEnd) {
        if (packetEnd - ip < Ipv4Header.MIN_LENGTH) {
            return MALFORMED;
        }
        final int headerLength = (u8(array, ip) & 0x0F) << 2;
        final int totalLength = u16(array, ip + Ipv4Header.TOTAL_LENGTH_OFFSET);
        if (headerLength < Ipv4Header.MIN_LENGTH || totalLength < headerLength || totalLength > packetEnd - ip) {
            return MALFORMED;
        }
        final int fragmentBits = Ipv4Header.FLAG_MF | Ipv4Header.FRAGMENT_OFFSET_MASK;
        if ((u16(array, ip + Ipv4Header.FLAGS_FRAGMENT_OFFSET) & fragmentBits) != 0) {
            return NOT_APPLICABLE;
        }
        final int protocol = u8(array, ip + Ipv4Header.PROTOCOL_OFFSET);
        if (protocol == IpProtocols.ICMPV6) {
            return NOT_APPLICABLE;
        }
        return prepareSegment(array, ip, false, protocol, ip + headerLength, totalLength - headerLength);
    }

    private static long prepareIpv6(byte[] array, int ip, int packetEnd) {
        if (packetEnd - ip < Ipv6Header.LENGTH) {
            return MALFORMED;
        }
        final int payloadLength = u16(array, ip + Ipv6Header.PAYLOAD_LENGTH_OFFSET);
        if (payloadLength > packetEnd - ip - Ipv6Header.LENGTH) {
            return MALFORMED;
        }
        final int end = ip + Ipv6Header.LENGTH + payloadLength;
        final long walk = Ipv6Header.skipExtensionHeaders(array, ip, end);
        if (Ipv6Header.walkFailed(walk)) {
            return MALFORMED;
        }
        if (Ipv6Header.walkSawFragment(walk)) {
            return NOT_APPLICABLE;
        }
        final int protocol = Ipv6Header.walkProtocol(walk);
        if (protocol == IpProtocols.ICMP) {
            return NOT_APPLICABLE;
        }
        final int transport = Ipv6Header.walkOffset(walk);
        return prepareSegment(array, ip, true, protocol, transport, end - transport);
    }

    private static long prepareSegment(byte[] array, int ip, boolean ipv6, int protocol, int transport, int length) {
        final int field;
        int covered = length;
        long flags = ipv6 ? IPV6_FLAG : 0L;
        switch (protocol) {
            case IpProtocols.TCP:
                if (length < TCP_MIN_LENGTH) {
                    return MALFORMED;
                }
                field = TCP_CHECKSUM_OFFSET;
                break;
            case IpProtocols.UDP:
                if (length < UDP_LENGTH) {
                    return MALFORMED;
                }
                covered = u16(array, transport + UDP_LENGTH_OFFSET);
                // Bytes past the UDP length are IP-level padding (Linux trims them too); a UDP length past
                // the IP payload cannot be checked.
                if (covered < UDP_LENGTH || covered > length) {
                    return MALFORMED;
                }
                field = UDP_CHECKSUM_OFFSET;
                flags |= UDP_FLAG;
                break;
            case IpProtocols.ICMP:
            case IpProtocols.ICMPV6:
                if (length < ICMP_MIN_LENGTH) {
                    return MALFORMED;
                }
                field = ICMP_CHECKSUM_OFFSET;
                break;
            default:
                return NOT_APPLICABLE;
        }
        final int pseudo;
        if (protocol == IpProtocols.ICMP) {
            pseudo = 0;
        } else if (ipv6) {
            pseudo = ipv6PseudoHeaderSum(array, ip, protocol, covered);
        } else {
            pseudo = ipv4PseudoHeaderSum(array, ip, protocol, covered);
        }
        // The field sits at an even offset, so the ranges on either side keep their 16-bit alignment.
        final int before = sum(array, transport, field);
        final int after = sum(array, transport + field + 2, covered - field - 2);
        final int withoutField = add(add(pseudo, before), after);
        return withoutField | ((long) (transport + field) << FIELD_SHIFT) | flags;
    }
}
