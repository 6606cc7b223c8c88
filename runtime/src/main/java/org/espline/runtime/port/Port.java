package org.espline.runtime.port;

/**
 * Both ends in one: a port one pipeline sends into and another receives from, such as {@link MemoryLink}. One-way
 * ports implement only {@link SourcePort} or {@link SinkPort}, so a source can never be handed to a pipeline as its
 * sink.
 */
public interface Port extends SourcePort, SinkPort {
}
