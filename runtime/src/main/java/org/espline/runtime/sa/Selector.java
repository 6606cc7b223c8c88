package org.espline.runtime.sa;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Traffic selector of a policy: source and destination prefixes, IP protocol (0 = any) and port ranges
 * (only for TCP/UDP/SCTP; ICMP type/code are not matched yet). Immutable; matching reads the packet
 * bytes in place.
 */
public final class Selector {
    private final boolean ipv6;
    private final byte[] source;
    private final int sourcePrefix;
    private final byte[] destination;
    private final int destinationPrefix;
    private final int protocol;
    private final int sourcePortLow;
    private final int sourcePortHigh;
    private final int destinationPortLow;
    private final int destinationPortHigh;
    /** IPv4: the prefixes and their masks as ints, so a match is one load, one AND and one compare per address. */
    private final int source4;
    private final int sourceMask4;
    private final int destination4;
    private final int destinationMask4;

    public Selector(InetAddress source, int sourcePrefix, InetAddress destination, int destinationPrefix,
                    int protocol, int sourcePortLow, int sourcePortHigh, int destinationPortLow, int destinationPortHigh) {
        if ((source instanceof Inet4Address) != (destination instanceof Inet4Address)) {
            throw new IllegalArgumentException("selector mixes address families: " + source + " / " + destination);
        }
        this.ipv6 = !(source instanceof Inet4Address);
        int bits = ipv6 ? 128 : 32;
        if (sourcePrefix < 0 || sourcePrefix > bits || destinationPrefix < 0 || destinationPrefix > bits) {
            throw new IllegalArgumentException("prefix length out of range 0.." + bits);
        }
        if (protocol < 0 || protocol > 255) {
            throw new IllegalArgumentException("protocol " + protocol + " out of range 0..255");
        }
        if (sourcePortLow < 0 || sourcePortHigh > 0xFFFF || sourcePortLow > sourcePortHigh
                || destinationPortLow < 0 || destinationPortHigh > 0xFFFF || destinationPortLow > destinationPortHigh) {
            throw new IllegalArgumentException("port range invalid: " + sourcePortLow + "-" + sourcePortHigh
                    + " / " + destinationPortLow + "-" + destinationPortHigh);
        }
        this.source = source.getAddress();
        this.sourcePrefix = sourcePrefix;
        this.destination = destination.getAddress();
        this.destinationPrefix = destinationPrefix;
        this.protocol = protocol;
        this.sourcePortLow = sourcePortLow;
        this.sourcePortHigh = sourcePortHigh;
        this.destinationPortLow = destinationPortLow;
        this.destinationPortHigh = destinationPortHigh;
        this.sourceMask4 = mask4(ipv6 ? 0 : sourcePrefix);
        this.source4 = ipv6 ? 0 : int32(this.source, 0) & sourceMask4;
        this.destinationMask4 = mask4(ipv6 ? 0 : destinationPrefix);
        this.destination4 = ipv6 ? 0 : int32(this.destination, 0) & destinationMask4;
    }

    /** Any packet of one family between two prefixes, any protocol and port. */
    public static Selector between(InetAddress source, int sourcePrefix, InetAddress destination, int destinationPrefix) {
        return new Selector(source, sourcePrefix, destination, destinationPrefix, 0, 0, 0xFFFF, 0, 0xFFFF);
    }

    public boolean isIpv6() { return ipv6; }

    public InetAddress sourceAddress() { return address(source); }

    public int sourcePrefix() { return sourcePrefix; }

    public InetAddress destinationAddress() { return address(destination); }

    public int destinationPrefix() { return destinationPrefix; }

    /** IP protocol, 0 for any. */
    public int protocol() { return protocol; }

    public int sourcePortLow() { return sourcePortLow; }

    public int sourcePortHigh() { return sourcePortHigh; }

    public int destinationPortLow() { return destinationPortLow; }

    public int destinationPortHigh() { return destinationPortHigh; }

    /** Prefix length of the source ({@code true}) or destination side, for {@link PolicyTrie}. */
    int prefixLength(boolean sourceSide) { return sourceSide ? sourcePrefix : destinationPrefix; }

    /** The address bytes of that side; not a copy, so only for reading inside the package. */
    byte[] prefixBytes(boolean sourceSide) { return sourceSide ? source : destination; }

    /**
     * Whether the packet matches. Addresses are read from the IP header at {@code srcOff}/{@code dstOff};
     * {@code sport}/{@code dport} are -1 when the packet has no ports (or they are not visible).
     */
    public boolean matches(boolean packetIpv6, byte[] a, int srcOff, int dstOff, int proto, int sport, int dport) {
        if (packetIpv6 != ipv6) {
            return false;
        }
        if (protocol != 0 && protocol != proto) {
            return false;
        }
        if (ipv6) {
            if (!prefixMatches(source, sourcePrefix, a, srcOff) || !prefixMatches(destination, destinationPrefix, a, dstOff)) {
                return false;
            }
        } else if ((int32(a, srcOff) & sourceMask4) != source4 || (int32(a, dstOff) & destinationMask4) != destination4) {
            return false;
        }
        if (sourcePortLow != 0 || sourcePortHigh != 0xFFFF) {
            if (sport < sourcePortLow || sport > sourcePortHigh) {
                return false;
            }
        }
        if (destinationPortLow != 0 || destinationPortHigh != 0xFFFF) {
            return dport >= destinationPortLow && dport <= destinationPortHigh;
        }
        return true;
    }

    private static int mask4(int bits) {
        return bits == 0 ? 0 : -1 << (32 - bits);
    }

    private static int int32(byte[] a, int off) {
        return (a[off] & 0xFF) << 24 | (a[off + 1] & 0xFF) << 16 | (a[off + 2] & 0xFF) << 8 | (a[off + 3] & 0xFF);
    }

    private static boolean prefixMatches(byte[] prefix, int bits, byte[] a, int off) {
        int full = bits >>> 3;
        for (int i = 0; i < full; i++) {
            if (a[off + i] != prefix[i]) {
                return false;
            }
        }
        int rest = bits & 7;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF << (8 - rest)) & 0xFF;
        return ((a[off + full] ^ prefix[full]) & mask) == 0;
    }

    @Override
    public String toString() {
        return "Selector[" + format(source) + "/" + sourcePrefix + " -> " + format(destination) + "/" + destinationPrefix
                + " proto=" + (protocol == 0 ? "any" : protocol)
                + " sport=" + sourcePortLow + "-" + sourcePortHigh + " dport=" + destinationPortLow + "-" + destinationPortHigh + "]";
    }

    private static String format(byte[] addr) {
        return address(addr).getHostAddress();
    }

    private static InetAddress address(byte[] addr) {
        try {
            return InetAddress.getByAddress(addr);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
