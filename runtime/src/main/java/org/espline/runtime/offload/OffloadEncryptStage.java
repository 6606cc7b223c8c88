package org.espline.runtime.offload;

import java.util.Objects;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.engine.CryptoEngine;
import org.espline.runtime.engine.EngineStage;
import org.espline.runtime.gso.GsoSegmenter;
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
 * <p>TSO ({@link #OffloadEncryptStage(OffloadDevice, XfrmStats, BufferPool, int)}, behind a
 * {@link org.espline.runtime.pipeline.GsoStage#handingThrough} stage): a TCP super-packet marked with its MSS and
 * segment count goes to a device with {@link OffloadCapabilities#tso()} whole when {@code offloadOk} passes for it;
 * the device reserves its segments' sequence numbers in one step at submission, then cuts and seals them on its own
 * threads, and they leave together in the SA's order. A super-packet the device does not take whole (no TSO, SA or
 * packet refused, bypassed traffic) is cut here with the same {@link GsoSegmenter}, and its segments go on one by
 * one as without TSO (device crypto, or software counted as EsplineOffloadFallback): the pipeline's own GSO and
 * encrypt path, with the same bytes.
 *
 * <p>One instance per pipeline thread.
 */
public final class OffloadEncryptStage implements Stage {
    private final OffloadDevice device;
    private final XfrmStats stats;
    private final DeviceWork work;
    private final EngineStage engine;
    /** TSO: the pipeline's own segmentation of what the device does not take whole; null without TSO wiring. */
    private final GsoSegmenter segmenter;
    /** TSO: whether the device may take super-packets whole at all. */
    private final boolean tso;
    /** TSO: the batch this stage works on after cutting refused super-packets (sized like the pipeline's batches). */
    private PacketBatch staged;
    private long superPacketsToDevice;
    private long superPacketsCutHere;

    public OffloadEncryptStage(OffloadDevice device, XfrmStats stats) {
        this(device, stats, null, 0);
    }

    /**
     * A stage behind a GSO stage that hands super-packets through.
     *
     * @param segmentPool where segments come from (the device's, and this stage's own when it cuts); null: no TSO
     * @param mss         the GSO stage's MSS (sizes the device ring's room for one super-packet's segments)
     */
    public OffloadEncryptStage(OffloadDevice device, XfrmStats stats, BufferPool segmentPool, int mss) {
        this.device = Objects.requireNonNull(device, "device");
        this.stats = Objects.requireNonNull(stats, "stats");
        this.segmenter = segmentPool == null ? null : new GsoSegmenter(mss, segmentPool);
        this.tso = segmentPool != null && device.capabilities().tso() && !device.synchronous();
        if (device.synchronous()) {
            this.work = new DeviceWork(device, stats, null);
            this.engine = null;
        } else {
            this.work = null;
            this.engine = new EngineStage(tso
                    ? device.newEngine(CryptoEngine.Direction.ENCRYPT, stats, null, false, segmentPool,
                            GsoSegmenter.maxSegments(mss))
                    : device.newEngine(CryptoEngine.Direction.ENCRYPT, stats, null, false));
        }
    }

    @Override
    public void process(PacketBatch in, PacketBatch out) {
        final PacketBatch batch = segmenter == null ? in : cutRefusedSuperPackets(in);
        if (engine != null) {
            engine.process(batch, out);
            return;
        }
        final DeviceWork w = work;
        final int n = batch.size();
        for (int i = 0; i < n; i++) {
            final PacketBuffer p = batch.get(i);
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
        batch.clear();
    }

    /**
     * Keeps the super-packets the device takes whole and cuts the others here, as the GSO stage would have (same
     * drops: XfrmOutBundleGenError for a malformed one, XfrmOutBufferError when segment buffers run out). Empties
     * {@code in}; the returned batch holds every packet in order.
     */
    private PacketBatch cutRefusedSuperPackets(PacketBatch in) {
        PacketBatch to = staged;
        if (to == null) {
            to = staged = new PacketBatch(in.capacity());
        }
        final int n = in.size();
        for (int i = 0; i < n; i++) {
            final PacketBuffer p = in.get(i);
            if (p.gsoSegments() < 2) {
                to.add(p);
                continue;
            }
            if (tso && !p.hasFlag(ClassifyStage.FLAG_BYPASS) && p.securityAssociation() instanceof SecurityAssociation sa
                    && device.offloadOk(sa, p)) {
                superPacketsToDevice++;
                to.add(p);
                continue;
            }
            p.gso(0, 0);
            final int r = segmenter.segment(p, to);
            if (r > 0) {
                superPacketsCutHere++;
            } else if (r == GsoSegmenter.PASS) {
                to.add(p);
            } else {
                stats.increment(r == GsoSegmenter.MALFORMED
                        ? XfrmCounter.XfrmOutBundleGenError : XfrmCounter.XfrmOutBufferError);
                p.release();
            }
        }
        in.clear();
        return to;
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

    /** TSO: super-packets handed to the device whole. */
    public long superPacketsToDevice() { return superPacketsToDevice; }

    /** TSO: super-packets the device did not take whole, cut on the pipeline thread. */
    public long superPacketsCutHere() { return superPacketsCutHere; }
}
