package org.espline.runtime.pipeline;

import java.io.IOException;

import org.espline.runtime.buffer.PacketBuffer;

/**
 * Where a {@link TapStage} records packets. It reads the packet's bytes (linear part then fragments)
 * during the call and must neither modify nor keep the packet. Called only from the tap's thread, so
 * implementations need no synchronisation of their own.
 */
public interface PacketSink {
    void write(PacketBuffer packet) throws IOException;
}
