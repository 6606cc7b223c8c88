package org.espline.runtime.offload;

import static org.espline.runtime.header.NetworkBytes.i32;
import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.crypto.EspTransform;
import org.espline.runtime.crypto.TransformSource;
import org.espline.runtime.engine.CryptoEngine;
import org.espline.runtime.esp.EspInput;
import org.espline.runtime.esp.EspOutput;
import org.espline.runtime.gso.GsoSegmenter;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.header.Ipv4Header;
import org.espline.runtime.header.Ipv6Header;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.replay.ReplayWindow;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.sa.UdpEncapsulation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * What a device does with one packet, on the thread that runs it (the pipeline's for a synchronous device, a
 * device thread otherwise): seal with the device's engines, or the software fallback; on receive, the device's
 * half of crypto offload — find the SA, infer the sequence number, verify and decrypt in place, and mark the
 * packet {@link PacketBuffer#FLAG_CRYPTO_DONE} with the verdict — leaving replay, trailer and policy to the stack
 * ({@link EspInput} honours the mark). Packets the device does not take pass unmarked and the stack decrypts them
 * in software (counted as EsplineOffloadFallback when their SA is bound to the device).
 *
 * <p>The receive parser is a NIC's: IPv4 without options, IPv6 without extension headers, ESP or ESP-in-UDP on
 * port 4500; anything else is the stack's. One instance per thread.
 */
final class DeviceWork implements CryptoEngine.SegmentingWork {
    private static final int ESP_HEADER = 8;
    private static final int UDP_HEADER = 8;

    private final OffloadDevice device;
    private final XfrmStats stats;
    private final SaDatabase sad;
    private final TransformSource transforms;
    private final EspOutput deviceOut;
    private final EspOutput softwareOut;
    /** TSO: segment buffers, and the segmenter for the last MSS seen (made again only when the MSS changes). */
    private final BufferPool segmentPool;
    private GsoSegmenter segmenter;
    /** Packet offload, inbound: the whole of ESP input on the device, with its engines for the SAs it holds. */
    private final EspInput packetIn;

    DeviceWork(OffloadDevice device, XfrmStats stats, SaDatabase sad) {
        this(device, stats, sad, null);
    }

    /** @param segmentPool TSO: where segment buffers come from (null: the device does not segment) */
    DeviceWork(OffloadDevice device, XfrmStats stats, SaDatabase sad, BufferPool segmentPool) {
        this.segmentPool = segmentPool;
        this.device = device;
        this.stats = stats;
        this.sad = sad;
        final TransformSource own = device.transforms();
        this.transforms = own != null ? own : SecurityAssociation::transform;
        this.deviceOut = new EspOutput(stats, own);
        this.softwareOut = new EspOutput(stats);
        this.packetIn = sad != null && device.kind() == OffloadKind.PACKET
                ? new EspInput(sad, stats, this::packetOffloadTransform) : null;
    }

    /** Outbound on the pipeline thread (synchronous device): the device's engines, or software. */
    XfrmCounter encryptHere(PacketBuffer p, SecurityAssociation sa) {
        if (!device.offloadOk(sa, p)) {
            OffloadDevice.countFallback(stats, sa);
            return softwareOut.encapsulate(p, sa);
        }
        final XfrmCounter r = deviceOut.encapsulate(p, sa);
        done(p, sa, r);
        return r;
    }

    /**
     * Outbound on a device thread. Crypto offload: the packet was admitted and its sequence number taken at
     * submission. Packet offload ({@code seq == 0}): the device takes the number, and seals in software what it
     * does not take, in the same order.
     */
    @Override
    public XfrmCounter encrypt(PacketBuffer p, SecurityAssociation sa, long seq) {
        final long start = System.nanoTime();
        XfrmCounter r;
        if (seq != 0) {
            r = deviceOut.encapsulate(p, sa, seq);
            done(p, sa, r);
        } else {
            r = encryptHere(p, sa);
        }
        device.serviceDelay(start);
        return r;
    }

    /**
     * TSO on a device thread: cuts the super-packet with the pipeline's own {@link GsoSegmenter} logic at its
     * {@link PacketBuffer#gsoSize()} and seals segment {@code i} with {@code firstSeq + i} (the range reserved at
     * submission; packet offload reserves it here, on its single thread), so the segments are byte for byte what the
     * software GSO and encrypt stages make for the same SA state. A segment that fails to seal is dropped (counted
     * by EspOutput) and its number stays unused, as in software; a super-packet that cannot be cut (no segment
     * buffers, or not the count announced) is dropped whole, its numbers never used.
     */
    @Override
    public XfrmCounter encryptSegments(PacketBuffer p, SecurityAssociation sa, long firstSeq, PacketBatch out) {
        final long start = System.nanoTime();
        final int expected = p.gsoSegments();
        long seq = firstSeq;
        if (seq == 0) {
            seq = deviceOut.prepareSegments(p, sa, expected);
            if (seq == 0) {
                p.release();
                return XfrmCounter.XfrmOutStateSeqError;
            }
        }
        GsoSegmenter g = segmenter;
        if (g == null || g.mss() != p.gsoSize()) {
            g = segmenter = new GsoSegmenter(p.gsoSize(), segmentPool);
        }
        final int before = out.size();
        final int n = expected > out.remaining() ? GsoSegmenter.MALFORMED : g.segment(p, out);
        if (n != expected) {
            // Never seal more segments than numbers were reserved: that would reuse a sequence number (a nonce).
            for (int i = out.size() - 1; i >= before; i--) {
                out.remove(i).release();
            }
            final XfrmCounter reason = n == GsoSegmenter.NO_BUFFERS
                    ? XfrmCounter.XfrmOutBufferError : XfrmCounter.XfrmOutBundleGenError;
            stats.increment(reason);
            if (n <= 0) {
                p.release();
            }
            device.serviceDelay(start);
            return reason;
        }
        for (int i = 0; i < n; i++) {
            final PacketBuffer s = out.get(before + i);
            final XfrmCounter r = deviceOut.encapsulate(s, sa, seq + i);
            if (r == XfrmCounter.EsplineOutDelivered) {
                done(s, sa, r);
            } else {
                out.take(before + i).release();
            }
        }
        out.compact();
        device.serviceDelay(start);
        return out.size() > before ? XfrmCounter.EsplineOutDelivered : XfrmCounter.XfrmOutError;
    }

    private void done(PacketBuffer p, SecurityAssociation sa, XfrmCounter r) {
        if (r == XfrmCounter.EsplineOutDelivered) {
            p.setFlag(PacketBuffer.FLAG_OFFLOADED);
            final DeviceState st = device.state(sa);
            if (st != null) {
                st.count(p.length());
            }
        }
    }

    /**
     * Inbound on a device thread. Crypto offload: mark (see the class comment) and hand every packet to the stack.
     * Packet offload: the whole ESP input here.
     */
    @Override
    public XfrmCounter decrypt(PacketBuffer p) {
        final long start = System.nanoTime();
        final XfrmCounter r;
        if (packetIn != null) {
            r = packetIn.decapsulate(p);
            if (r == XfrmCounter.EsplineInDelivered && p.securityAssociation() instanceof SecurityAssociation sa
                    && device.holds(sa)) {
                p.setFlag(PacketBuffer.FLAG_OFFLOADED | PacketBuffer.FLAG_CRYPTO_DONE);
                final DeviceState st = device.state(sa);
                if (st != null) {
                    st.count(p.length());
                }
            }
        } else {
            markReceived(p);
            r = XfrmCounter.EsplineInDelivered;
        }
        device.serviceDelay(start);
        return r;
    }

    /** Packet offload: the device's engine for SAs it holds, the SA's own otherwise (counted as fallback). */
    private EspTransform packetOffloadTransform(SecurityAssociation sa) {
        if (device.holds(sa)) {
            return transforms.transform(sa);
        }
        OffloadDevice.countFallback(stats, sa);
        return sa.transform();
    }

    /** Crypto offload, inbound: the device's half (see the class comment). */
    void markReceived(PacketBuffer p) {
        if (!p.isLinear()) {
            p.linearise();
        }
        byte[] a = p.array();
        final int ipOff = p.data();
        final int len = p.linearLength();
        if (len < 1) {
            return;
        }
        final int version = u8(a, ipOff) >>> 4;
        final boolean v6;
        final int proto;
        final int payloadOff;
        final int end;
        final int dstOff;
        if (version == 4 && len >= Ipv4Header.MIN_LENGTH) {
            final int ihl = (a[ipOff] & 0x0F) << 2;
            final int total = u16(a, ipOff + Ipv4Header.TOTAL_LENGTH_OFFSET);
            final int fragment = u16(a, ipOff + 6) & 0x3FFF;
            if (ihl < Ipv4Header.MIN_LENGTH || total < ihl || total > len || fragment != 0) {
                return;
            }
            v6 = false;
            proto = u8(a, ipOff + Ipv4Header.PROTOCOL_OFFSET);
            payloadOff = ipOff + ihl;
            end = ipOff + total;
            dstOff = ipOff + Ipv4Header.DESTINATION_OFFSET;
        } else if (version == 6 && len >= Ipv6Header.LENGTH) {
            end = ipOff + Ipv6Header.LENGTH + u16(a, ipOff + Ipv6Header.PAYLOAD_LENGTH_OFFSET);
            if (end > ipOff + len) {
                return;
            }
            v6 = true;
            proto = u8(a, ipOff + Ipv6Header.NEXT_HEADER_OFFSET);
            payloadOff = ipOff + Ipv6Header.LENGTH;
            dstOff = ipOff + Ipv6Header.DESTINATION_OFFSET;
        } else {
            return;
        }
        int espOff;
        if (proto == IpProtocols.ESP) {
            espOff = payloadOff;
        } else if (proto == IpProtocols.UDP && end - payloadOff >= UDP_HEADER + ESP_HEADER
                && u16(a, payloadOff + 2) == UdpEncapsulation.IKE_NAT_T_PORT
                && i32(a, payloadOff + UDP_HEADER) != 0) {
            espOff = payloadOff + UDP_HEADER;
        } else {
            return;
        }
        if (end - espOff < ESP_HEADER) {
            return;
        }
        final SecurityAssociation sa = sad.lookup(i32(a, espOff), a, dstOff, v6);
        if (sa == null) {
            return;
        }
        if (!device.offloadOk(sa, p)) {
            OffloadDevice.countFallback(stats, sa);
            return;
        }
        final DeviceState st = device.state(sa);
        if (st == null || (espOff != payloadOff) != (sa.config().encapsulation() != null)) {
            return;
        }
        final EspTransform t = transforms.transform(sa);
        final int payloadLen = end - espOff - ESP_HEADER - t.ivLength() - t.icvLength();
        if (payloadLen < 2 || payloadLen % t.blockSize() != 0) {
            return;
        }
        final int seqLow = i32(a, espOff + 4);
        final long seq = sa.config().esn()
                ? ReplayWindow.inferEsn(st.esnTop(), sa.config().replayWindow(), seqLow)
                : seqLow & 0xFFFF_FFFFL;
        p.ensureWritable();
        a = p.array();
        final int espAt = espOff + p.data() - ipOff;
        final boolean ok = t.open(a, espAt, payloadLen, seq);
        p.sequenceNumber(seq);
        p.setFlag(PacketBuffer.FLAG_CRYPTO_DONE | PacketBuffer.FLAG_OFFLOADED);
        if (ok) {
            st.count(p.length());
            st.advanceEsn(seq);
        } else {
            p.setFlag(PacketBuffer.FLAG_CRYPTO_FAILED);
            st.icvFailure();
        }
    }
}
