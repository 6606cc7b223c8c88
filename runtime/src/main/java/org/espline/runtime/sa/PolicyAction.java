package org.espline.runtime.sa;

/** What a policy does with a matching packet. */
public enum PolicyAction {
    /** Apply ESP with the policy's SA. */
    PROTECT,
    /** Pass in the clear. */
    BYPASS,
    /** Drop (counted as XfrmOutPolBlock / XfrmInPolBlock). */
    DISCARD
}
