package org.espline.runtime.port;

import org.espline.runtime.pipeline.PacketBatch;

/**
 * Where packets leave a pipeline. {@link #send} takes ownership of a prefix of the batch, removes it and says how many
 * packets that was; the rest stay with the caller, in order. A full port answers with fewer (possibly 0) instead of
 * dropping or throwing, so the caller can hold the rest and stop pulling input: back-pressure, not loss. Not
 * thread-safe unless the class says otherwise.
 */
public interface SinkPort {
    /** Takes ownership of the first k packets of {@code from} (removing them) and returns k. */
    int send(PacketBatch from);

    /** Called once by the pipeline after its last {@link #send}: end of output (flush, tell readers). */
    default void finish() {
    }
}
