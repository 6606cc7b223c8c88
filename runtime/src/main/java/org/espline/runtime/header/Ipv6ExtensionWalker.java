package org.espline.runtime.header;

/**
 * Reusable, named result of {@link Ipv6Header#skipExtensionHeaders(byte[], int, int)}: allocate one per worker
 * and call {@link #walk(byte[], int, int)} per packet.
 *
 * <pre>
 *   fixed header        extension headers               upper layer
 *   +----------------+---------+----------+----------+----------------
 *   | ... NH=0 ...   | NH=43 . | NH=44 .. | NH=50 .. | ESP ...
 *   +----------------+---------+----------+----------+----------------
 *                                           ^          ^
 *                     nextHeaderFieldOffset()          protocolOffset(), protocol() = 50
 * </pre>
 *
 * <p>After a failed walk the position fields are -1 and {@link #status()} holds the {@code Ipv6Header.WALK_*} code.
 * Not thread-safe.
 */
public final class Ipv6ExtensionWalker {
    /** Status before the first walk; not one of the {@code WALK_*} codes. */
    private static final long NOT_WALKED = Long.MIN_VALUE;

    private long status = NOT_WALKED;
    private int protocol = -1;
    private int protocolOffset = -1;
    private int nextHeaderFieldOffset = -1;
    private int headerCount;
    private boolean sawFragment;

    /**
     * Walks the chain of the IPv6 packet whose fixed header starts at {@code array[offset]} and ends before
     * {@code packetEnd}.
     *
     * @return true if an upper-layer header was found; false for a malformed chain (see {@link #status()})
     */
    public boolean walk(byte[] array, int offset, int packetEnd) {
        return load(Ipv6Header.skipExtensionHeaders(array, offset, packetEnd));
    }

    /** Unpacks a result from {@link Ipv6Header#skipExtensionHeaders}; returns true unless it is a failure code. */
    public boolean load(long walk) {
        status = Ipv6Header.walkFailed(walk) ? walk : 0;
        if (status != 0) {
            protocol = -1;
            protocolOffset = -1;
            nextHeaderFieldOffset = -1;
            headerCount = 0;
            sawFragment = false;
            return false;
        }
        protocol = Ipv6Header.walkProtocol(walk);
        protocolOffset = Ipv6Header.walkOffset(walk);
        nextHeaderFieldOffset = Ipv6Header.walkNextHeaderFieldOffset(walk);
        headerCount = Ipv6Header.walkHeaderCount(walk);
        sawFragment = Ipv6Header.walkSawFragment(walk);
        return true;
    }

    /** 0 after a successful walk, else {@link Ipv6Header#WALK_TRUNCATED}, {@code WALK_TOO_MANY_HEADERS} or {@code WALK_MISPLACED_HOP_BY_HOP}. */
    public long status() { return status; }

    public boolean isOk() { return status == 0; }

    /** Upper-layer protocol (see {@link IpProtocols}); {@link IpProtocols#FRAGMENT} for a non-first fragment. */
    public int protocol() { return protocol; }

    /** Offset in the array of the upper-layer header. */
    public int protocolOffset() { return protocolOffset; }

    /** Offset in the array of the Next Header byte that names {@link #protocol()}. */
    public int nextHeaderFieldOffset() { return nextHeaderFieldOffset; }

    /** Extension headers skipped. */
    public int extensionHeaderCount() { return headerCount; }

    public boolean sawFragmentHeader() { return sawFragment; }

    @Override
    public String toString() {
        if (status == NOT_WALKED) {
            return "Ipv6ExtensionWalker{not walked}";
        }
        if (status != 0) {
            return "Ipv6ExtensionWalker{failed: " + Ipv6Header.walkFailureName(status) + '}';
        }
        return "Ipv6ExtensionWalker{protocol=" + IpProtocols.name(protocol)
                + ", protocolOffset=" + protocolOffset
                + ", nextHeaderFieldOffset=" + nextHeaderFieldOffset
                + ", extensionHeaders=" + headerCount
                + ", fragment=" + sawFragment
                + '}';
    }
}
