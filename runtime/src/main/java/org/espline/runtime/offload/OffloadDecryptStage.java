package org.espline.runtime.offload;

import java.util.Objects;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.engine.CryptoEngine;
import org.espline.runtime.engine.EngineStage;
import org.espline.runtime.pipeline.DecryptStage;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.pipeline.Stage;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmStats;

/**
 * Inbound ESP through an {@link OffloadDevice}, the offload counterpart of {@link DecryptStage}. With crypto
 * offload the device first verifies and decrypts the packets it takes and marks them crypto-done (on the pipeline
 * thread for a synchronous device, on its own threads otherwise); then the ordinary ESP input runs here, skipping
 * the crypto of marked packets but checking replay, trailer and mode for all, and decrypting in software what the
 * device did not take (counted EsplineOffloadFallback). With packet offload the device does the whole of ESP input
 * and the packets arrive decapsulated.
 *
 * <p>One instance per pipeline thread.
 */
public final class OffloadDecryptStage implements Stage {
    private final OffloadDevice device;
    private final DeviceWork work;
    private final EngineStage engine;
    /** Null with packet offload (the device did it all). */
    private final DecryptStage stack;
    private PacketBatch marked;

    public OffloadDecryptStage(OffloadDevice device, SaDatabase sad, XfrmStats stats, boolean passClear) {
        this.device = Objects.requireNonNull(device, "device");
        Objects.requireNonNull(sad, "sad");
        Objects.requireNonNull(stats, "stats");
        if (device.synchronous()) {
            this.work = new DeviceWork(device, stats, sad);
            this.engine = null;
            this.stack = new DecryptStage(sad, stats, passClear);
        } else {
            this.work = null;
            final boolean packetOffload = device.kind() == OffloadKind.PACKET;
            this.engine = new EngineStage(device.newEngine(CryptoEngine.Direction.DECRYPT, stats, sad, packetOffload && passClear));
            this.stack = packetOffload ? null : new DecryptStage(sad, stats, passClear);
        }
    }

    @Override
    public void process(PacketBatch in, PacketBatch out) {
        if (engine == null) {
            final DeviceWork w = work;
            final int n = in.size();
            for (int i = 0; i < n; i++) {
                w.markReceived(in.get(i));
            }
            final int from = out.size();
            stack.process(in, out);
            reportEsn(out, from);
            return;
        }
        if (stack == null) {
            engine.process(in, out);
            return;
        }
        PacketBatch m = marked;
        if (m == null) {
            m = marked = new PacketBatch(out.capacity());
        }
        m.limit(out.remaining());
        engine.process(in, m);
        final int from = out.size();
        stack.process(m, out);
        m.clear();
        reportEsn(out, from);
    }

    /**
     * The stack's replay window advanced past these packets: tell the device ({@code xdo_dev_state_advance_esn}), so
     * its inference of the high half follows the stack's even across packets it did not see (software fallback).
     */
    private void reportEsn(PacketBatch out, int from) {
        final OffloadDevice d = device;
        final int n = out.size();
        for (int i = from; i < n; i++) {
            final PacketBuffer p = out.get(i);
            if (p.securityAssociation() instanceof SecurityAssociation sa && sa.config().esn()) {
                d.advanceEsn(sa, p.sequenceNumber());
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

    /** Packets that ended under a non-drop counter other than delivery (IKE, keepalive, clear traffic not passed). */
    public long consumed() {
        return (stack == null ? 0 : stack.consumed()) + (engine == null ? 0 : engine.consumed());
    }

    public OffloadDevice device() { return device; }
}
