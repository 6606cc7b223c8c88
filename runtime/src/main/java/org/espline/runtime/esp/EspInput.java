package org.espline.runtime.esp;

import static org.espline.runtime.header.NetworkBytes.i32;
import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.crypto.EspTransform;
import org.espline.runtime.crypto.TransformSource;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.header.Ipv4Header;
import org.espline.runtime.header.Ipv6ExtensionWalker;
import org.espline.runtime.header.Ipv6Header;
import org.espline.runtime.replay.ReplayWindow;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.sa.UdpEncapsulation;
import org.espline.runtime.stats.DeliveredTally;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * ESP input (RFC 4303 §3.4, RFC 3948 for ESP-in-UDP), in place: demultiplex, SA lookup, replay
 * pre-check, ICV check and decryption, replay update, trailer removal and decapsulation.
 *
 * <p>Malformed packets are data, not exceptions: each ends under exactly one counter named as in
 * Linux's /proc/net/xfrm_stat (xfrm_input and esp_input assign the same reasons). The replay window is
 * checked before the ICV and advanced only after it verified, so forged packets cannot move it.
 *
 * <p>One instance per thread (header views). Allocates nothing per packet, except what the JCA
 * allocates inside {@link EspTransform#open}.
 */
public final class EspInput {
    private static final int ESP_HEADER = 8;
    private static final int UDP_HEADER = 8;
    /** RFC 3948 §2.2: a 4-byte zero "non-ESP marker" in front of IKE messages on port 4500. */
    private static final int NON_ESP_MARKER = 4;

    /** Receives IKE messages (UDP 500, or port 4500 behind the non-ESP marker) instead of the ESP path. */
    @FunctionalInterface
    public interface IkeHandler {
        /** The buffer holds the whole IP packet; the handler owns it from now on. */
        void onIke(PacketBuffer packet, int ikeOffset, int ikeLength);
    }

    private final SaDatabase sad;
    private final XfrmStats stats;
    private final Ipv4Header ip4 = new Ipv4Header();
    private final Ipv6Header ip6 = new Ipv6Header();
    private final Ipv6ExtensionWalker walker = new Ipv6ExtensionWalker();
    private IkeHandler ikeHandler;
    private int ikeOffset;
    private int ikeLength;

    private final SaTransforms transforms;
    /** Delivered packets of {@link #decapsulateInBatch}, counted once per run of one SA. */
    private final DeliveredTally delivered;

    public EspInput(SaDatabase sad, XfrmStats stats) {
        this(sad, stats, null);
    }

    /**
     * @param transforms where to take each SA's transform (an offload backend's engines), or null for the SA's own
     */
    public EspInput(SaDatabase sad, XfrmStats stats, TransformSource transforms) {
        this.sad = sad;
        this.stats = stats;
        this.transforms = new SaTransforms(transforms);
        this.delivered = new DeliveredTally(stats, XfrmCounter.EsplineInDelivered);
    }

    /** Where IKE packets go; without a handler they are counted (EsplineIkeHandedOff) and left to the caller. */
    public void ikeHandler(IkeHandler handler) {
        this.ikeHandler = handler;
    }

    /**
     * Processes one received IP packet.
     *
     * @return {@link XfrmCounter#EsplineInDelivered} with the inner (tunnel) or restored (transport) IP
     *         packet in {@code buf}; or a non-ESP outcome ({@code EsplineSkippedNotEsp},
     *         {@code EsplineIkeHandedOff}, {@code EsplineNatKeepalive}); or a drop reason. The outcome is
     *         already counted. Except when an IKE handler took the packet, the caller still owns
     *         {@code buf} and releases it unless delivered.
     */
    public XfrmCounter decapsulate(PacketBuffer buf) {
        return decapsulate(buf, true);
    }

    /**
     * {@link #decapsulate(PacketBuffer)} that leaves the count of a delivered packet (EsplineInDelivered, in this
     * instance's stats and in those of the SA the packet carries) to the caller; everything else is counted here. For
     * a crypto engine, whose workers would otherwise add to the same two counters for every packet, moving their
     * cache lines between cores; the engine counts deliveries in runs on its polling thread instead.
     */
    public XfrmCounter decapsulateCountingDrops(PacketBuffer buf) {
        return decapsulate(buf, false);
    }

    private XfrmCounter decapsulate(PacketBuffer buf, boolean countDelivered) {
        SecurityAssociation[] saOut = saHolder;
        saOut[0] = null;
        XfrmCounter result = decapsulate0(buf, saOut);
        if (countDelivered || result != XfrmCounter.EsplineInDelivered) {
            stats.increment(result);
            SecurityAssociation sa = saOut[0];
            if (sa != null) {
                sa.stats().increment(result);
            }
        }
        if (result == XfrmCounter.EsplineIkeHandedOff && ikeHandler != null) {
            ikeHandler.onIke(buf, ikeOffset, ikeLength);
        }
        return result;
    }

    /**
     * {@link #decapsulate} for a stage working through a batch: every outcome but delivery is counted at once,
     * deliveries once per run of one SA and at the latest by {@link #endBatch()}, which the caller must call
     * before the batch leaves it.
     */
    public XfrmCounter decapsulateInBatch(PacketBuffer buf) {
        SecurityAssociation[] saOut = saHolder;
        saOut[0] = null;
        XfrmCounter result = decapsulate0(buf, saOut);
        SecurityAssociation sa = saOut[0];
        if (result == XfrmCounter.EsplineInDelivered && sa != null) {
            delivered.add(sa);
            return result;
        }
        stats.increment(result);
        if (sa != null) {
            sa.stats().increment(result);
        }
        if (result == XfrmCounter.EsplineIkeHandedOff && ikeHandler != null) {
            ikeHandler.onIke(buf, ikeOffset, ikeLength);
        }
        return result;
    }

    /** Counts the deliveries {@link #decapsulateInBatch} has not counted yet. */
    public void endBatch() {
        delivered.flush();
    }

    private final SecurityAssociation[] saHolder = new SecurityAssociation[1];

    private XfrmCounter decapsulate0(PacketBuffer buf, SecurityAssociation[] saOut) {
        if (!buf.isLinear()) {
            // Left as the counted last rung: ports deliver received packets linear (pcap, link, socket), so
            // the normal case decrypts in place with no copy; GRO builds its fragments after decryption.
            // A fragmented ESP packet (from a producer that chains buffers) is made contiguous here, which
            // BufferStats counts, rather than decrypted out of place.
            buf.linearise();
        }
        byte[] a = buf.array();
        final int ipOff = buf.data();
        int len = buf.linearLength();
        if (len < 1) {
            return XfrmCounter.XfrmInHdrError;
        }
        final int version = u8(a, ipOff) >>> 4;
        final boolean v6;
        int proto;
        int payloadOff;
        int end;
        int dstOff;
        int nextHeaderField;
        if (version == 4) {
            if (len < Ipv4Header.MIN_LENGTH) {
                return XfrmCounter.XfrmInHdrError;
            }
            ip4.wrap(a, ipOff);
            int ihl = ip4.headerLength();
            int total = ip4.totalLength();
            if (ihl < Ipv4Header.MIN_LENGTH || total < ihl || total > len) {
                return XfrmCounter.XfrmInHdrError;
            }
            if (ip4.isFragment()) {
                // Fragments must be reassembled before ESP input (RFC 4303 §3.4.1); we do not reassemble.
                return XfrmCounter.XfrmInHdrError;
            }
            v6 = false;
            proto = ip4.protocol();
            payloadOff = ipOff + ihl;
            end = ipOff + total;
            dstOff = ipOff + Ipv4Header.DESTINATION_OFFSET;
            nextHeaderField = ipOff + Ipv4Header.PROTOCOL_OFFSET;
        } else if (version == 6) {
            if (len < Ipv6Header.LENGTH) {
                return XfrmCounter.XfrmInHdrError;
            }
            ip6.wrap(a, ipOff);
            end = ipOff + Ipv6Header.LENGTH + ip6.payloadLength();
            if (end > ipOff + len) {
                return XfrmCounter.XfrmInHdrError;
            }
            if (!walker.walk(a, ipOff, end)) {
                return XfrmCounter.XfrmInHdrError;
            }
            if (walker.sawFragmentHeader()) {
                return XfrmCounter.XfrmInHdrError;
            }
            v6 = true;
            proto = walker.protocol();
            payloadOff = walker.protocolOffset();
            dstOff = ipOff + Ipv6Header.DESTINATION_OFFSET;
            nextHeaderField = walker.nextHeaderFieldOffset();
        } else {
            return XfrmCounter.XfrmInHdrError;
        }

        // --- demultiplex: ESP, ESP-in-UDP, IKE, keepalive, or not ours ---
        boolean udpEncap = false;
        int espOff;
        if (proto == IpProtocols.ESP) {
            espOff = payloadOff;
        } else if (proto == IpProtocols.UDP) {
            if (end - payloadOff < UDP_HEADER) {
                return XfrmCounter.EsplineSkippedNotEsp;
            }
            int dport = u16(a, payloadOff + 2);
            int sport = u16(a, payloadOff);
            int udpPayload = payloadOff + UDP_HEADER;
            int udpLen = end - udpPayload;
            if (dport == 500 || sport == 500) {
                ikeOffset = udpPayload;
                ikeLength = udpLen;
                return XfrmCounter.EsplineIkeHandedOff;
            }
            if (dport != UdpEncapsulation.IKE_NAT_T_PORT && sport != UdpEncapsulation.IKE_NAT_T_PORT) {
                return XfrmCounter.EsplineSkippedNotEsp;
            }
            if (udpLen == 1 && a[udpPayload] == (byte) 0xFF) {
                return XfrmCounter.EsplineNatKeepalive;
            }
            if (udpLen >= NON_ESP_MARKER && i32(a, udpPayload) == 0) {
                ikeOffset = udpPayload + NON_ESP_MARKER;
                ikeLength = udpLen - NON_ESP_MARKER;
                return XfrmCounter.EsplineIkeHandedOff;
            }
            udpEncap = true;
            espOff = udpPayload;
        } else {
            return XfrmCounter.EsplineSkippedNotEsp;
        }

        if (end - espOff < ESP_HEADER) {
            return XfrmCounter.XfrmInHdrError;
        }
        final int spi = i32(a, espOff);
        final SecurityAssociation sa = sad.lookup(spi, a, dstOff, v6);
        if (sa == null) {
            return XfrmCounter.XfrmInNoStates;
        }
        saOut[0] = sa;
        if (sa.isExpired()) {
            return XfrmCounter.XfrmInStateExpired;
        }
        if (udpEncap != (sa.config().encapsulation() != null)) {
            return XfrmCounter.XfrmInStateMismatch;
        }

        final EspTransform t = transforms.of(sa);
        final int ivLen = t.ivLength();
        final int icvLen = t.icvLength();
        final int payloadLen = end - espOff - ESP_HEADER - ivLen - icvLen;
        if (payloadLen < 2 || payloadLen % t.blockSize() != 0) {
            return XfrmCounter.XfrmInStateProtoError;
        }

        // --- replay: pre-check before paying for the ICV ---
        final ReplayWindow rw = sa.replayWindow();
        final int seqLow = i32(a, espOff + 4);
        final long seq = sa.config().esn() ? rw.inferEsn(seqLow) : seqLow & 0xFFFF_FFFFL;
        if (!rw.check(seq)) {
            return XfrmCounter.XfrmInStateSeqError;
        }

        buf.ensureWritable();
        a = buf.array();
        final int shift = buf.data() - ipOff;
        final int espAt = espOff + shift;
        if (buf.hasFlag(PacketBuffer.FLAG_CRYPTO_DONE)) {
            // An offload device already verified the ICV and decrypted in place (its verdict in the flags); the
            // replay window, trailer and policy are still ours. A verdict for another sequence number than the
            // one inferred here was not a verdict on this packet.
            if (buf.hasFlag(PacketBuffer.FLAG_CRYPTO_FAILED) || buf.sequenceNumber() != seq) {
                return XfrmCounter.XfrmInStateProtoError;
            }
        } else if (!t.open(a, espAt, payloadLen, seq)) {
            return XfrmCounter.XfrmInStateProtoError;
        }
        if (!rw.advance(seq)) {
            return XfrmCounter.XfrmInStateSeqError;
        }
        if (!sa.account(payloadLen)) {
            return XfrmCounter.XfrmInStateExpired;
        }

        // --- trailer (esp_remove_trailer) ---
        final int plainOff = espAt + ESP_HEADER + ivLen;
        final int padLen = u8(a, plainOff + payloadLen - 2);
        final int nextHeader = u8(a, plainOff + payloadLen - 1);
        if (padLen + 2 > payloadLen) {
            return XfrmCounter.XfrmInStateProtoError;
        }
        final int padOff = plainOff + payloadLen - 2 - padLen;
        for (int i = 0; i < padLen; i++) {
            // RFC 4303 §2.4: the default padding is 1, 2, 3, ...; anything else means a broken sender.
            if (a[padOff + i] != (byte) (i + 1)) {
                return XfrmCounter.XfrmInStateProtoError;
            }
        }
        if (nextHeader == IpProtocols.NONE) {
            return XfrmCounter.EsplineInTfcDummy;
        }
        final int innerLen = payloadLen - 2 - padLen;
        buf.sequenceNumber(seq);
        buf.securityAssociation(sa);
        if (sa.config().mode() == SaMode.TUNNEL) {
            return decapsulateTunnel(buf, a, plainOff, innerLen, nextHeader);
        }
        return restoreTransport(buf, a, ipOff + shift, espAt - (udpEncap ? UDP_HEADER : 0), plainOff, innerLen,
                nextHeader, nextHeaderField + shift, v6);
    }

    /** Tunnel mode: the inner packet becomes the packet; TFC padding is cut by the inner length. */
    private XfrmCounter decapsulateTunnel(PacketBuffer buf, byte[] a, int innerOff, int innerLen, int nextHeader) {
        int innerTotal;
        if (nextHeader == IpProtocols.IPV4) {
            if (innerLen < Ipv4Header.MIN_LENGTH || (u8(a, innerOff) >>> 4) != 4) {
                return XfrmCounter.XfrmInStateModeError;
            }
            innerTotal = u16(a, innerOff + Ipv4Header.TOTAL_LENGTH_OFFSET);
            if (innerTotal < ((a[innerOff] & 0x0F) << 2) || innerTotal > innerLen) {
                return XfrmCounter.XfrmInStateModeError;
            }
        } else if (nextHeader == IpProtocols.IPV6) {
            if (innerLen < Ipv6Header.LENGTH || (u8(a, innerOff) >>> 4) != 6) {
                return XfrmCounter.XfrmInStateModeError;
            }
            innerTotal = Ipv6Header.LENGTH + u16(a, innerOff + Ipv6Header.PAYLOAD_LENGTH_OFFSET);
            if (innerTotal > innerLen) {
                return XfrmCounter.XfrmInStateModeError;
            }
        } else {
            return XfrmCounter.XfrmInStateModeError;
        }
        buf.pull(innerOff - buf.data());
        buf.trim(innerTotal);
        return XfrmCounter.EsplineInDelivered;
    }

    /**
     * Transport mode: slide the IP header (and any extension headers in front of ESP) forward over the
     * ESP (+UDP) header and IV, then fix the protocol/next-header byte and the lengths.
     */
    private XfrmCounter restoreTransport(PacketBuffer buf, byte[] a, int ipOff, int encapOff, int plainOff,
                                         int innerLen, int nextHeader, int nextHeaderField, boolean v6) {
        int keptLen = encapOff - ipOff;
        int removed = plainOff - encapOff;
        System.arraycopy(a, ipOff, a, ipOff + removed, keptLen);
        buf.pull(removed);
        buf.trim(keptLen + innerLen);
        int newIp = ipOff + removed;
        a[nextHeaderField + removed] = (byte) nextHeader;
        if (v6) {
            ip6.wrap(a, newIp).payloadLength(keptLen + innerLen - Ipv6Header.LENGTH);
        } else {
            ip4.wrap(a, newIp).totalLength(keptLen + innerLen).updateChecksum();
        }
        return XfrmCounter.EsplineInDelivered;
    }
}
