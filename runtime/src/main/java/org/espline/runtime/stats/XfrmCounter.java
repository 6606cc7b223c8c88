package org.espline.runtime.stats;

/**
 * Drop reasons and events, named as in Linux {@code /proc/net/xfrm_stat}, plus Espline's own
 * delivery and skip counters. Every packet handed to the runtime ends delivered or under exactly one
 * drop reason ({@link #isDrop()}).
 */
public enum XfrmCounter {
    // --- inbound drops (Linux names) ---
    /** Any inbound error not matched by a more specific counter (e.g. out of buffers). */
    XfrmInError(true),
    /** Header error: truncated packet, bad outer header. */
    XfrmInHdrError(true),
    /** No state found for SPI + destination. */
    XfrmInNoStates(true),
    /** Transform error: ICV failure, bad padding, bad next header, wrong length. */
    XfrmInStateProtoError(true),
    /** Transformation mode specific error (e.g. inner packet of the wrong family in tunnel mode). */
    XfrmInStateModeError(true),
    /** Sequence error: replayed or left of the window. */
    XfrmInStateSeqError(true),
    /** State has expired (hard lifetime). */
    XfrmInStateExpired(true),
    /** State is invalid (being deleted). */
    XfrmInStateInvalid(true),
    /** State does not match the packet (ESP-in-UDP for a plain-ESP state or the reverse). */
    XfrmInStateMismatch(true),
    /** No matching template for the policy. */
    XfrmInTmplMismatch(true),
    /** No policy found for the inbound packet. */
    XfrmInNoPols(true),
    /** Policy discards the inbound packet. */
    XfrmInPolBlock(true),
    /** Buffer too small / could not be made writable. */
    XfrmInBufferError(true),

    // --- outbound drops (Linux names) ---
    XfrmOutError(true),
    /** Packet could not be parsed or buffer is malformed for output. */
    XfrmOutBundleGenError(true),
    /** No state for the SA the policy names. */
    XfrmOutNoStates(true),
    /** Transform error on output. */
    XfrmOutStateProtoError(true),
    /** Mode specific output error (e.g. packet too big for the outer header). */
    XfrmOutStateModeError(true),
    /** Sequence number would wrap (RFC 4303 §3.3.3: a new SA is needed). */
    XfrmOutStateSeqError(true),
    /** State has expired (hard lifetime). */
    XfrmOutStateExpired(true),
    /** Policy discards the outbound packet. */
    XfrmOutPolBlock(true),
    /** No policy matched and the default is discard. */
    XfrmOutNoPols(true),
    /** Buffer could not be made writable / grown. */
    XfrmOutBufferError(true),

    // --- not drops ---
    /** Packets delivered inbound (decrypted) / outbound (encrypted). */
    EsplineInDelivered(false),
    EsplineOutDelivered(false),
    /** Packets passed in the clear by a bypass policy. */
    EsplineBypass(false),
    /** Input that was not ESP at all (other traffic): skipped, not an error. */
    EsplineSkippedNotEsp(false),
    /** IKE packets (UDP 500, or behind the non-ESP marker on 4500): handed to the IKE handler. */
    EsplineIkeHandedOff(false),
    /** RFC 3948 NAT-keepalive (single 0xFF byte): ignored. */
    EsplineNatKeepalive(false),
    /** TFC dummy packet (next header 59, RFC 4303 §2.6): discarded by design, counted as a drop. */
    EsplineInTfcDummy(true),
    /** Soft lifetime reached (an event; the packet is still processed). */
    EsplineSoftExpire(false),
    /**
     * An asynchronous crypto engine's submission ring was full: an {@code offer} took fewer packets than it was
     * given, and the caller keeps the rest (back-pressure, an event, never a drop). Counted in the engine's own
     * {@code events()}, not in the pipeline's counters.
     */
    EsplineEngineQueueFull(false),
    /**
     * An asynchronous crypto engine held back a completed packet because one submitted before it (same SA, or
     * any with global order) was still being processed: the reorder point made it wait (an event, once per packet;
     * in the engine's {@code events()}).
     */
    EsplineEngineReorderWait(false),
    /**
     * A packet for an SA bound to an offload device went through software crypto instead (the device refused the
     * SA, or {@code offloadOk} rejected the packet): same wire bytes, counted so a silent fallback shows.
     */
    EsplineOffloadFallback(false),
    /** An offload device refused to add an SA (unsupported algorithm, table full, ESN): its packets fall back. */
    EsplineOffloadStateRefused(false),
    /** An offload device's {@code offloadOk} rejected a packet (IP options, extension headers, oversize). */
    EsplineOffloadPacketRejected(false),
    /**
     * An offload device's submission ring was full (BUSY): the pipeline held the packets and retried (an event,
     * never a drop; in the device's own events).
     */
    EsplineOffloadBusy(false);

    private final boolean drop;

    XfrmCounter(boolean drop) {
        this.drop = drop;
    }

    public boolean isDrop() { return drop; }
}
