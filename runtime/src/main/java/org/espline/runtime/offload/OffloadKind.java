package org.espline.runtime.offload;

/** The two offload kinds of Linux's xfrm device API ({@code ip xfrm state ... offload crypto|packet}). */
public enum OffloadKind {
    /**
     * The device encrypts and decrypts; the stack builds the ESP headers, takes the sequence number and checks
     * replay (Linux's XFRM_DEV_OFFLOAD_CRYPTO).
     */
    CRYPTO,
    /**
     * The device also adds and removes the ESP headers and owns the outbound sequence counter; the stack hands it
     * plain packets and gets plain packets back (XFRM_DEV_OFFLOAD_PACKET).
     */
    PACKET
}
