package org.espline.runtime.sa;

/** Limits shared by configuration parsers and the replay window. */
public final class ReplayLimits {
    /**
     * Largest anti-replay window in packets. Linux stops at 4096 (bitmap of 128 words); parallel crypto
     * and QoS reorder further, so Espline allows 2^20.
     */
    public static final int MAX_WINDOW = 1 << 20;

    private ReplayLimits() {
    }
}
