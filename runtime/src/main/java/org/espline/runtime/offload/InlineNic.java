package org.espline.runtime.offload;

import org.espline.runtime.crypto.TransformSource;

/**
 * A simulated NIC with inline IPsec crypto (in the manner of ConnectX/E810 crypto offload): a table of at most
 * {@code sa-table} SAs, a list of algorithms it runs, and its own thread(s) standing for the hardware, so the
 * crypto's CPU cost is not the pipeline thread's. Transmit: with crypto offload the stack builds the headers and
 * takes the sequence number, the NIC seals on its way out; with packet offload it also takes the sequence number
 * (one thread, arrival order). Receive: the NIC decrypts and marks packets crypto-done with its verdict before the
 * stack sees them; the stack still checks replay and policy. The wire bytes are the software path's for the same SA
 * state (the NIC's engine is the JCA's).
 *
 * <p>TSO ({@link OffloadCapabilities#tso()}): a TCP super-packet marked with its MSS comes whole, its segments'
 * sequence numbers reserved at once; the NIC's thread cuts it with the pipeline's own segmentation and seals each
 * segment, so the pipeline thread pays for neither (see {@link OffloadEncryptStage}). Without TSO the pipeline's GSO
 * stage segments first.
 */
public final class InlineNic extends OffloadDevice {
    private final int threads;
    private final int ring;

    /**
     * @param threads the NIC's threads (queues), at least 1
     * @param ring    descriptors per ring, at least 1
     */
    public InlineNic(String name, OffloadKind kind, OffloadCapabilities capabilities, int threads, int ring) {
        super(name, kind, capabilities);
        if (threads < 1 || ring < 1) {
            throw new IllegalArgumentException("nic " + name + ": threads " + threads + ", ring " + ring
                    + " (expected: both >= 1)");
        }
        this.threads = threads;
        this.ring = ring;
    }

    @Override
    public boolean synchronous() { return false; }

    @Override
    protected TransformSource transforms() { return null; }

    @Override
    protected int workers() { return threads; }

    @Override
    protected int ringSize() { return ring; }
}
