package org.espline.generator;

import java.lang.reflect.Constructor;
import java.util.function.IntFunction;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.pipeline.AbstractPipeline;
import org.espline.runtime.pipeline.PacketSink;
import org.espline.runtime.port.SinkPort;
import org.espline.runtime.port.SourcePort;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.stats.XfrmStats;

/**
 * Constructs a generated pipeline class loaded at run time (the demo, {@code espline bench}). The generator gives each
 * pipeline one public constructor whose parameters are, by type and in this order: the {@link SourcePort}, the
 * {@link XfrmStats}, the {@link SaDatabase} (with decrypt), the {@link BufferPool} (with gso), one {@link PacketSink}
 * per tap stage, the {@link SinkPort}. Reflection is used once, here; the packet path is the generated code's own.
 */
public final class GeneratedPipelines {
    private GeneratedPipelines() {
    }

    /**
     * @param taps the sink for tap stage {@code i} (0-based, model order)
     * @throws IllegalArgumentException when the constructor wants a type this method does not know (a newer generator)
     */
    public static AbstractPipeline construct(Class<?> type, SourcePort source, SinkPort sink, XfrmStats stats, SaDatabase sad,
                                             BufferPool pool, IntFunction<PacketSink> taps) throws ReflectiveOperationException {
        Constructor<?>[] constructors = type.getConstructors();
        if (constructors.length != 1 || !AbstractPipeline.class.isAssignableFrom(type)) {
            throw new IllegalArgumentException(type.getName() + " is not a generated pipeline (one public constructor)");
        }
        Constructor<?> c = constructors[0];
        Class<?>[] params = c.getParameterTypes();
        Object[] args = new Object[params.length];
        int tap = 0;
        for (int i = 0; i < params.length; i++) {
            Class<?> p = params[i];
            if (p == SourcePort.class) {
                args[i] = source;
            } else if (p == SinkPort.class) {
                args[i] = sink;
            } else if (p == XfrmStats.class) {
                args[i] = stats;
            } else if (p == SaDatabase.class) {
                args[i] = sad;
            } else if (p == BufferPool.class) {
                args[i] = pool;
            } else if (p == PacketSink.class) {
                args[i] = taps.apply(tap++);
            } else {
                throw new IllegalArgumentException(type.getName() + " wants a " + p.getName() + ", which this release cannot give");
            }
        }
        return (AbstractPipeline) c.newInstance(args);
    }
}
