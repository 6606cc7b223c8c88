package org.espline.runtime.sa;

/** ESP mode (RFC 4303 §3.1). */
public enum SaMode {
    /** The whole inner IP packet is protected; new outer IP header between the endpoints. */
    TUNNEL,
    /** Only the upper-layer payload is protected; the original IP header is kept. */
    TRANSPORT
}
