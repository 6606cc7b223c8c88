package org.espline.examples.gateway;

import static org.espline.examples.gateway.Packets.TCP;
import static org.espline.examples.gateway.Packets.UDP;
import static org.espline.examples.gateway.Packets.classify;
import static org.espline.examples.gateway.Packets.ipv4;
import static org.espline.examples.gateway.Packets.lookup;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.sa.SaConfig;
import org.junit.jupiter.api.Test;

import site_to_site.gw_a.GwAPolicies;
import site_to_site.gw_a.GwASecurityAssociations;
import site_to_site.gw_b.GwBPolicies;
import site_to_site.gw_b.GwBSecurityAssociations;

/** The generated SA constants and outbound SPDs say what site-to-site-gw-a.espl and -gw-b.espl say. */
class GatewayPoliciesTest {

    @Test
    void gwAProtectsTrafficToSiteBWithAToB() {
        byte[] p = ipv4("10.1.0.5", "10.2.3.4", TCP, 40000, 443, 100);
        assertEquals(PolicyAction.PROTECT, classify(GwAPolicies.SPD, p));
        assertSame(GwAPolicies.A_TO_B, lookup(GwAPolicies.SPD, p).sa());
        assertEquals(0x1001, GwAPolicies.A_TO_B.spi());
    }

    @Test
    void gwBProtectsTrafficToSiteAWithBToA() {
        byte[] p = ipv4("10.2.3.4", "10.1.0.5", UDP, 5353, 53, 40);
        assertEquals(PolicyAction.PROTECT, classify(GwBPolicies.SPD, p));
        assertSame(GwBPolicies.B_TO_A, lookup(GwBPolicies.SPD, p).sa());
        assertEquals(0x2001, GwBPolicies.B_TO_A.spi());
    }

    @Test
    void ikeBypassesOnBothGateways() {
        assertEquals(PolicyAction.BYPASS, classify(GwAPolicies.SPD, ipv4("192.0.2.1", "198.51.100.1", UDP, 500, 500, 300)));
        assertEquals(PolicyAction.BYPASS, classify(GwBPolicies.SPD, ipv4("198.51.100.1", "192.0.2.1", UDP, 500, 500, 300)));
        // IKE wins over the site policies: it comes first in the model.
        assertEquals(PolicyAction.BYPASS, classify(GwAPolicies.SPD, ipv4("10.1.0.5", "10.2.0.1", UDP, 4000, 500, 10)));
    }

    @Test
    void everythingElseFromTheSiteIsDiscarded() {
        assertEquals(PolicyAction.DISCARD, classify(GwAPolicies.SPD, ipv4("10.1.0.5", "203.0.113.9", TCP, 40000, 80, 0)));
        assertEquals(PolicyAction.DISCARD, classify(GwBPolicies.SPD, ipv4("10.2.0.5", "203.0.113.9", UDP, 40000, 123, 48)));
        // Traffic that no policy names: the generated SPD's default is discard, never the clear.
        byte[] stray = ipv4("172.16.0.1", "10.2.0.1", TCP, 1, 2, 0);
        assertNull(lookup(GwAPolicies.SPD, stray));
        assertEquals(PolicyAction.DISCARD, classify(GwAPolicies.SPD, stray));
    }

    @Test
    void theGatewaysShareTheSasOfSiteToSiteEspl() {
        SaConfig aToB = GwASecurityAssociations.A_TO_B;
        assertEquals(aToB.spi(), GwBSecurityAssociations.A_TO_B.spi());
        assertEquals(aToB.encryption(), GwBSecurityAssociations.A_TO_B.encryption());
        assertEquals(GwASecurityAssociations.B_TO_A.spi(), GwBSecurityAssociations.B_TO_A.spi());
        assertEquals("192.0.2.1", aToB.source().getHostAddress());
        assertEquals("198.51.100.1", aToB.destination().getHostAddress());
        assertTrue(aToB.esn());
        assertEquals(4500, aToB.encapsulation().destinationPort());
    }

    @Test
    void theGsoSegmentFitsTheMtuAfterEspAsTheModelsSay() {
        // 1360-byte segments plus 40 bytes of inner IPv4 and TCP headers, after the worst-case ESP overhead.
        int aToB = GwASecurityAssociations.A_TO_B_OUTER_HEADER + GwASecurityAssociations.A_TO_B_ESP_HEADER
                + GwASecurityAssociations.A_TO_B_MAX_TRAILER + GwASecurityAssociations.A_TO_B_ICV;
        int bToA = GwBSecurityAssociations.B_TO_A_OUTER_HEADER + GwBSecurityAssociations.B_TO_A_ESP_HEADER
                + GwBSecurityAssociations.B_TO_A_MAX_TRAILER + GwBSecurityAssociations.B_TO_A_ICV;
        assertEquals(65, aToB);
        assertEquals(85, bToA);
        assertTrue(1360 + 40 + aToB <= 1500);
        assertTrue(1360 + 40 + bToA <= 1500);
    }
}
