package org.espline.runtime.port;

import org.espline.runtime.pipeline.PacketBatch;

/**
 * Where packets enter a pipeline: a capture file, a memory source, the receiving end of a link, later a TUN device or
 * a UDP socket. {@link #receive} appends up to {@code into.remaining()} packets, which the caller then owns. Not
 * thread-safe unless the class says otherwise.
 */
public interface SourcePort {
    /** Appends received packets to {@code into}; returns how many (0 when none are ready now), or -1 at end of input. */
    int receive(PacketBatch into);
}
