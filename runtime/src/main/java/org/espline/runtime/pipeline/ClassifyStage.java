package org.espline.runtime.pipeline;

import static org.espline.runtime.header.NetworkBytes.u16;
import static org.espline.runtime.header.NetworkBytes.u8;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.header.Ipv4Header;
import org.espline.runtime.header.Ipv6ExtensionWalker;
import org.espline.runtime.header.Ipv6Header;
import org.espline.runtime.sa.Policy;
import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.sa.PolicyLookup;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * Outbound classification: reads the IP selector fields (family, addresses, protocol, TCP/UDP ports)
 * and applies the first matching SPD policy, or the SPD's default.
 *
 * <ul>
 * <li>PROTECT: the policy's SA becomes the packet's SA metadata; the packet passes.</li>
 * <li>BYPASS: the packet passes unchanged, marked {@link #FLAG_BYPASS} and counted EsplineBypass.</li>
 * <li>DISCARD: dropped as XfrmOutPolBlock; no match with a discarding default: XfrmOutNoPols.</li>
 * <li>Not a parsable IP packet: dropped as XfrmOutBundleGenError.</li>
 * </ul>
 *
 * <p>Headers are read from the linear part only, which every port and GSO producer keeps at least as
 * long as the headers. One instance per thread (holds a header walker).
 */
public final class ClassifyStage implements Stage {
    /**
     * Packet flag: pass in the clear. Above the buffer's own flags so the two sets never collide; a
     * cleared buffer forgets it with the rest of its metadata.
     */
    public static final int FLAG_BYPASS = 1 << 16;

    private final PolicyLookup spd;
    private final XfrmStats stats;
    private final Ipv6ExtensionWalker walker = new Ipv6ExtensionWalker();

    public ClassifyStage(PolicyLookup spd, XfrmStats stats) {
        this.spd = spd;
        this.stats = stats;
    }

    @Override
    public void process(PacketBatch in, PacketBatch out) {
        final int n = in.size();
        for (int i = 0; i < n; i++) {
            final PacketBuffer p = in.get(i);
            final XfrmCounter drop = classify(p);
            if (drop == null) {
                out.add(p);
            } else {
                Drops.drop(p, stats, drop);
            }
        }
    }

    /** Applies the policy to {@code p}; returns null when the packet passes, else its drop reason. */
    private XfrmCounter classify(PacketBuffer p) {
        final byte[] a = p.array();
        final int off = p.data();
        final int len = p.linearLength();
        if (len < 1) {
            return XfrmCounter.XfrmOutBundleGenError;
        }
        final int version = u8(a, off) >>> 4;
        final boolean v6;
        final int proto;
        int transport;
        final int end;
        final int srcOff;
        final int dstOff;
        if (version == 4) {
            if (len < Ipv4Header.MIN_LENGTH) {
                return XfrmCounter.XfrmOutBundleGenError;
            }
            final int ihl = (u8(a, off) & 0x0F) << 2;
            final int total = u16(a, off + Ipv4Header.TOTAL_LENGTH_OFFSET);
            if (ihl < Ipv4Header.MIN_LENGTH || total < ihl || ihl > len) {
                return XfrmCounter.XfrmOutBundleGenError;
            }
            v6 = false;
            proto = u8(a, off + Ipv4Header.PROTOCOL_OFFSET);
            // Only the first fragment carries the ports.
            final boolean laterFragment =
                    (u16(a, off + Ipv4Header.FLAGS_FRAGMENT_OFFSET) & Ipv4Header.FRAGMENT_OFFSET_MASK) != 0;
            transport = laterFragment ? -1 : off + ihl;
            end = off + Math.min(total, len);
            srcOff = off + Ipv4Header.SOURCE_OFFSET;
            dstOff = off + Ipv4Header.DESTINATION_OFFSET;
        } else if (version == 6) {
            if (len < Ipv6Header.LENGTH) {
                return XfrmCounter.XfrmOutBundleGenError;
            }
            end = off + len;
            if (!walker.walk(a, off, end)) {
                return XfrmCounter.XfrmOutBundleGenError;
            }
            v6 = true;
            proto = walker.protocol();
            transport = walker.sawFragmentHeader() ? -1 : walker.protocolOffset();
            srcOff = off + Ipv6Header.SOURCE_OFFSET;
            dstOff = off + Ipv6Header.DESTINATION_OFFSET;
        } else {
            return XfrmCounter.XfrmOutBundleGenError;
        }
        int sport = -1;
        int dport = -1;
        if (transport >= 0 && (proto == IpProtocols.TCP || proto == IpProtocols.UDP) && transport + 4 <= end) {
            sport = u16(a, transport);
            dport = u16(a, transport + 2);
        }
        final Policy policy = spd.lookup(v6, a, srcOff, dstOff, proto, sport, dport);
        final PolicyAction action = policy != null ? policy.action() : spd.defaultAction();
        switch (action) {
            case PROTECT:
                p.securityAssociation(policy.sa());
                p.clearFlag(FLAG_BYPASS);
                return null;
            case BYPASS:
                p.securityAssociation(null);
                p.setFlag(FLAG_BYPASS);
                stats.increment(XfrmCounter.EsplineBypass);
                return null;
            default:
                return policy != null ? XfrmCounter.XfrmOutPolBlock : XfrmCounter.XfrmOutNoPols;
        }
    }
}
