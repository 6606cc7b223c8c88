package org.espline.runtime.sa;

/**
 * One set of SA limits (soft or hard): bytes, packets and seconds since the SA was added.
 * {@link Long#MAX_VALUE} means no limit, as {@code ip xfrm} prints "(INF)".
 */
public record Lifetime(long bytes, long packets, long seconds) {
    public static final Lifetime UNLIMITED = new Lifetime(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);

    public Lifetime {
        if (bytes <= 0 || packets <= 0 || seconds <= 0) {
            throw new IllegalArgumentException("lifetime limits must be positive: bytes=" + bytes
                    + " packets=" + packets + " seconds=" + seconds);
        }
    }

    public boolean isUnlimited() {
        return bytes == Long.MAX_VALUE && packets == Long.MAX_VALUE && seconds == Long.MAX_VALUE;
    }

    public Lifetime withBytes(long b) { return new Lifetime(b, packets, seconds); }

    public Lifetime withPackets(long p) { return new Lifetime(bytes, p, seconds); }

    public Lifetime withSeconds(long s) { return new Lifetime(bytes, packets, s); }
}
