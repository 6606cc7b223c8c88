package org.espline.examples.gateway;

import static org.espline.examples.gateway.Packets.TCP;
import static org.espline.examples.gateway.Packets.UDP;
import static org.espline.examples.gateway.Packets.get16;
import static org.espline.examples.gateway.Packets.ipv4;
import static org.espline.examples.gateway.Packets.lookup;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.esp.EspInput;
import org.espline.runtime.esp.EspOutput;
import org.espline.runtime.sa.Policy;
import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.sa.PolicyLookup;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;

import site_to_site.gw_a.GwAPolicies;
import site_to_site.gw_a.GwASecurityAssociations;
import site_to_site.gw_b.GwBPolicies;
import site_to_site.gw_b.GwBSecurityAssociations;

/**
 * A packet from one site is classified by its gateway's generated SPD, encrypted with the SA the policy names
 * (runtime {@link EspOutput}), and decrypted by the other gateway with the generated SAs in its SAD ({@link EspInput}):
 * the inner packet comes back byte for byte, in both directions (AES-GCM one way, AES-CBC + HMAC-SHA-256 the other).
 */
class GatewayTunnelTest {
    // The model's 'buffers wan': headroom 128, MTU 1500, tailroom 64 (the trailer fits in the tailroom here).
    private final BufferPool pool = new BufferPool(4, 128, 1500, 64, 1);

    /** Encrypts on the sending gateway, checks the wire packet, decrypts on the receiver; returns the wire packet. */
    private byte[] tunnel(PolicyLookup senderSpd, SaConfig receiverSa, byte[] inner, int maxOverhead, String outerSrc, String outerDst) {
        Policy policy = lookup(senderSpd, inner);
        assertEquals(PolicyAction.PROTECT, policy.action());

        PacketBuffer tx = pool.acquire();
        System.arraycopy(inner, 0, tx.array(), tx.put(inner.length), inner.length);
        assertEquals(XfrmCounter.EsplineOutDelivered, new EspOutput(new XfrmStats()).encapsulate(tx, policy.sa()));
        byte[] wire = tx.toByteArray();
        tx.release();

        // Tunnel mode in UDP 4500 (NAT-T): outer IPv4 between the gateways, then the SPI of the policy's SA.
        assertEquals(outerSrc, address(wire, 12));
        assertEquals(outerDst, address(wire, 16));
        assertEquals(UDP, wire[9]);
        assertEquals(4500, get16(wire, 22));
        assertEquals(policy.sa().spi(), (get16(wire, 28) << 16) | get16(wire, 30));
        assertTrue(wire.length > inner.length && wire.length <= inner.length + maxOverhead, wire.length + " bytes on the wire");

        SaDatabase sad = new SaDatabase();
        sad.put(new SecurityAssociation(receiverSa));
        EspInput input = new EspInput(sad, new XfrmStats());
        PacketBuffer rx = pool.acquire();
        System.arraycopy(wire, 0, rx.array(), rx.put(wire.length), wire.length);
        assertEquals(XfrmCounter.EsplineInDelivered, input.decapsulate(rx));
        assertArrayEquals(inner, rx.toByteArray());
        rx.release();

        // The same packet again is a replay.
        PacketBuffer again = pool.acquire();
        System.arraycopy(wire, 0, again.array(), again.put(wire.length), wire.length);
        assertEquals(XfrmCounter.XfrmInStateSeqError, input.decapsulate(again));
        again.release();
        assertEquals(0, pool.outstanding());
        return wire;
    }

    @Test
    void siteAToSiteBThroughAToB() {
        int overhead = GwASecurityAssociations.A_TO_B_OUTER_HEADER + GwASecurityAssociations.A_TO_B_ESP_HEADER
                + GwASecurityAssociations.A_TO_B_MAX_TRAILER + GwASecurityAssociations.A_TO_B_ICV;
        for (int size : new int[] {0, 1, 100, 1360}) {
            tunnel(GwAPolicies.SPD, GwBSecurityAssociations.A_TO_B, ipv4("10.1.0.5", "10.2.3.4", TCP, 40000, 443, size), overhead,
                    "192.0.2.1", "198.51.100.1");
        }
    }

    @Test
    void siteBToSiteAThroughBToA() {
        int overhead = GwBSecurityAssociations.B_TO_A_OUTER_HEADER + GwBSecurityAssociations.B_TO_A_ESP_HEADER
                + GwBSecurityAssociations.B_TO_A_MAX_TRAILER + GwBSecurityAssociations.B_TO_A_ICV;
        for (int size : new int[] {0, 15, 16, 17, 1360}) {
            tunnel(GwBPolicies.SPD, GwASecurityAssociations.B_TO_A, ipv4("10.2.3.4", "10.1.0.5", UDP, 5353, 53, size), overhead,
                    "198.51.100.1", "192.0.2.1");
        }
    }

    private static String address(byte[] p, int off) {
        return (p[off] & 0xff) + "." + (p[off + 1] & 0xff) + "." + (p[off + 2] & 0xff) + "." + (p[off + 3] & 0xff);
    }
}
