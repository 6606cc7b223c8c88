package org.espline.runtime.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.pipeline.AbstractPipeline;
import org.espline.runtime.pipeline.Pipeline;
import org.espline.runtime.pipeline.Stage;
import org.espline.runtime.port.CollectingPort;
import org.espline.runtime.port.MemoryLink;
import org.espline.runtime.port.MemorySourcePort;
import org.espline.runtime.port.SinkPort;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;

/**
 * What generated mains call: every pipeline on a thread of its own until it ends, counters printed, and a pipeline
 * that fails still ends its sink, so the pipeline reading that link finishes instead of waiting for ever.
 */
class PipelineThreadsTest {
    private final BufferPool pool = new BufferPool(64, 16, 200, 0, 2);

    private static List<byte[]> packets(int n) {
        List<byte[]> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(new byte[] {0x45, 0, 0, 20, (byte) i});
        }
        return l;
    }

    private int run(Stage first, CollectingPort end, ByteArrayOutputStream out, ByteArrayOutputStream err) throws Exception {
        MemoryLink link = new MemoryLink(64);
        AbstractPipeline a = new Pipeline(new MemorySourcePort(pool, packets(10)), new Stage[] {first}, link, 4);
        AbstractPipeline b = new Pipeline(link, new Stage[0], end, 4);
        return PipelineThreads.runToEnd(List.of(a, b), List.<SinkPort>of(link, end), List.of(new XfrmStats(), new XfrmStats()),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void everyPipelineRunsToTheEndAndItsCountersArePrinted() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CollectingPort end = new CollectingPort();
        assertEquals(0, run((in, o) -> o.moveFrom(in), end, out, err));
        assertEquals(10, end.packets().size());
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(2, text.lines().filter(l -> l.startsWith("Pipeline: received 10, delivered 10, XfrmStats[")).count(), text);
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aFailingPipelineEndsItsSinkSoTheNextOneFinishesAndTheStatusSaysSo() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CollectingPort end = new CollectingPort();
        Stage broken = (in, o) -> {
            throw new IllegalStateException("stage broke");
        };
        assertEquals(1, run(broken, end, out, err));
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("Pipeline: stage broke"), e);
        assertTrue(e.contains("Pipeline stopped before the end of its input"), e);
        assertEquals(2, out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("Pipeline: received")).count());
    }
}
