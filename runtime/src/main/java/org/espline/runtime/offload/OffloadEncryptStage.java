package org.espline.runtime.offload;

import java.util.Objects;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.engine.CryptoEngine;
import org.espline.runtime.engine.EngineStage;
import org.espline.runtime.pipeline.ClassifyStage;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.pipeline.Stage;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * Outbound ESP through an {@link OffloadDevice}, the offload counterpart of
 * {@link org.espline.runtime.pipeline.EncryptStage}: packets whose SA the device holds and whose
 * {@link OffloadDevice#offloadOk} passes are sealed by the device and marked
 * {@link PacketBuffer#FLAG_OFFLOADED}; the others by software, with the same bytes, counted EsplineOffloadFallback.
 * Bypassed packets pass; a packet without an SA is dropped as XfrmOutNoStates.
 *
 * <p>A synchronous device runs here, on the pipeline thread. An asynchronous one runs on its own threads behind a
 * ring ({@link EngineStage} semantics: packets in flight between calls, held back while the ring is BUSY, released
 * in order per SA; software fallback runs here at submission and keeps its place in order).
 *
 * <p>One instance per pipeline thread.
 */
public final class OffloadEncryptStage implements Stage {
    private final OffloadDevice device;
    private final XfrmStats stats;
    private final DeviceWork work;
    private final EngineStage engine;

    public OffloadEncryptStage(OffloadDevice device, XfrmStats stats) {
        this.device = Objects.requireNonNull(device, "device");
        this.stats = Objects.requireNonNull(stats, "stats");
        if (device.synchronous()) {
            this.work = new DeviceWork(device, stats, null);
            this.engine = null;
        } else {
            this.work = null;
            this.engine = new EngineStage(device.newEngine(CryptoEngine.Direction.ENCRYPT, stats, null, false));
        }
    }

    @Override
    public void process(PacketBatch in, PacketBatch out) {
        if (engine != null) {
            engine.process(in, out);
            return;
        }
        final DeviceWork w = work;
        final int n = in.size();
        for (int i = 0; i < n; i++) {
            final PacketBuffer p = in.get(i);
            if (p.hasFlag(ClassifyStage.FLAG_BYPASS)) {
                out.add(p);
                continue;
            }
            if (!(p.securityAssociation() instanceof SecurityAssociation sa)) {
                stats.increment(XfrmCounter.XfrmOutNoStates);
                p.release();
                continue;
            }
            if (w.encryptHere(p, sa) == XfrmCounter.EsplineOutDelivered) {
                out.add(p);
            } else {
                p.release();
            }
        }
    }

    @Override
    public int inFlight() {
        return engine == null ? 0 : engine.inFlight();
    }

    @Override
    public boolean acceptsInput() {
        return engine == null || engine.acceptsInput();
    }

    public OffloadDevice device() { return device; }
}
