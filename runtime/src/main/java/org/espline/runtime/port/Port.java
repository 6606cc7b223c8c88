package org.espline.runtime.port;

import org.espline.runtime.pipeline.PacketBatch;

/**
 * Where packets enter and leave a pipeline.
 *
 * <p>{@link #receive} appends up to {@code into.remaining()} packets, which the caller then owns.
 * {@link #send} takes ownership of a prefix of the batch, removes it and says how many packets that
 * was; the rest stay with the caller, in order. A full port answers with fewer (possibly 0) instead of
 * dropping or throwing, so the caller can hold the rest and stop pulling input: back-pressure, not
 * loss. Ports are not thread-safe unless their class says otherwise.
 */
public interface Port {
    /** Appends received packets to {@code into}; returns how many (0 when none are ready now), or -1 at end of input. */
    int receive(PacketBatch into);

    /** Takes ownership of the first k packets of {@code from} (removing them) and returns k. */
    int send(PacketBatch from);

    /** Called once by the pipeline after its last {@link #send}: end of output (flush, tell readers). */
    default void finish() {
    }
}
