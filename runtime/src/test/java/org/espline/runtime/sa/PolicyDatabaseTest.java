package org.espline.runtime.sa;

import static org.espline.runtime.sa.SaConfigTest.gcm;
import static org.espline.runtime.sa.SaConfigTest.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Selector prefix/protocol/port matching and the SPD's first-match-wins with a default action. */
class PolicyDatabaseTest {
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMP = 1;

    /** An IPv4 header's address fields: source at 12, destination at 16. */
    private static final class V4 {
        static final int SRC = 12;
        static final int DST = 16;

        static byte[] packet(String src, String dst) {
            byte[] p = new byte[20];
            System.arraycopy(ip(src).getAddress(), 0, p, SRC, 4);
            System.arraycopy(ip(dst).getAddress(), 0, p, DST, 4);
            return p;
        }
    }

    /** An IPv6 header's address fields: source at 8, destination at 24. */
    private static final class V6 {
        static final int SRC = 8;
        static final int DST = 24;

        static byte[] packet(String src, String dst) {
            byte[] p = new byte[40];
            System.arraycopy(ip(src).getAddress(), 0, p, SRC, 16);
            System.arraycopy(ip(dst).getAddress(), 0, p, DST, 16);
            return p;
        }
    }

    private static boolean v4Matches(Selector s, String src, String dst) {
        return s.matches(false, V4.packet(src, dst), V4.SRC, V4.DST, UDP, 1000, 2000);
    }

    private static boolean v6Matches(Selector s, String src, String dst) {
        return s.matches(true, V6.packet(src, dst), V6.SRC, V6.DST, UDP, 1000, 2000);
    }

    // ------------------------------------------------------------------ prefixes

    @ParameterizedTest(name = "{0}/{1} vs {2}: {3}")
    @CsvSource({
            "0.0.0.0, 0, 203.0.113.9, true",
            "0.0.0.0, 0, 255.255.255.255, true",
            "10.0.0.0, 8, 10.255.1.2, true",
            "10.0.0.0, 8, 10.0.0.0, true",
            "10.0.0.0, 8, 11.0.0.0, false",
            "10.0.0.0, 8, 9.255.255.255, false",
            "172.16.0.0, 13, 172.16.0.0, true",
            "172.16.0.0, 13, 172.23.255.255, true",
            "172.16.0.0, 13, 172.24.0.0, false",
            "172.16.0.0, 13, 172.15.255.255, false",
            "172.20.9.9, 13, 172.17.0.1, true",    // host bits in the selector are ignored
            "192.0.2.1, 32, 192.0.2.1, true",
            "192.0.2.1, 32, 192.0.2.0, false",
            "192.0.2.1, 32, 193.0.2.1, false",
            "192.0.2.1, 31, 192.0.2.0, true",
            "192.0.2.1, 31, 192.0.2.2, false",
    })
    void ipv4DestinationPrefix(String prefix, int bits, String address, boolean match) {
        Selector s = Selector.between(ip("0.0.0.0"), 0, ip(prefix), bits);
        assertEquals(match, v4Matches(s, "198.51.100.1", address));
        Selector src = Selector.between(ip(prefix), bits, ip("0.0.0.0"), 0);
        assertEquals(match, v4Matches(src, address, "198.51.100.1"), "same rule on the source side");
    }

    @ParameterizedTest(name = "{0}/{1} vs {2}: {3}")
    @CsvSource({
            "::, 0, 2001:db8::1, true",
            "::, 0, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, true",
            "2001:db8:1:2::, 64, 2001:db8:1:2:ffff:ffff:ffff:ffff, true",
            "2001:db8:1:2::, 64, 2001:db8:1:2::, true",
            "2001:db8:1:2::, 64, 2001:db8:1:3::, false",
            "2001:db8:1:2::, 64, 2001:db8:1:1:ffff:ffff:ffff:ffff, false",
            "2001:db8:1:2:8000::, 65, 2001:db8:1:2:ffff::, true",
            "2001:db8:1:2:8000::, 65, 2001:db8:1:2:7fff::, false",
            "2001:db8::1, 128, 2001:db8::1, true",
            "2001:db8::1, 128, 2001:db8::0, false",
            "2001:db8::1, 128, 2001:db8::3, false",
            "2001:db8::1, 128, 3001:db8::1, false",
            "2001:db8::1, 127, 2001:db8::0, true",
            "2001:db8::, 32, 2001:db8:ffff::, true",
            "2001:db8::, 32, 2001:db9::, false",
    })
    void ipv6DestinationPrefix(String prefix, int bits, String address, boolean match) {
        Selector s = Selector.between(ip("::"), 0, ip(prefix), bits);
        assertEquals(match, v6Matches(s, "2001:db8:ffff::1", address));
        Selector src = Selector.between(ip(prefix), bits, ip("::"), 0);
        assertEquals(match, v6Matches(src, address, "2001:db8:ffff::1"));
    }

    @Test
    void familiesNeverCrossMatch() {
        Selector any4 = Selector.between(ip("0.0.0.0"), 0, ip("0.0.0.0"), 0);
        Selector any6 = Selector.between(ip("::"), 0, ip("::"), 0);
        byte[] v6 = V6.packet("2001:db8::1", "2001:db8::2");
        byte[] v4 = V4.packet("192.0.2.1", "192.0.2.2");
        assertFalse(any4.matches(true, v6, V6.SRC, V6.DST, UDP, 1, 1));
        assertFalse(any6.matches(false, v4, V4.SRC, V4.DST, UDP, 1, 1));
        assertTrue(any4.matches(false, v4, V4.SRC, V4.DST, UDP, 1, 1));
        assertTrue(any6.matches(true, v6, V6.SRC, V6.DST, UDP, 1, 1));
        assertFalse(any4.isIpv6());
        assertTrue(any6.isIpv6());
    }

    @Test
    void sourceAndDestinationBothChecked() {
        Selector s = Selector.between(ip("10.1.0.0"), 16, ip("10.2.0.0"), 16);
        assertTrue(v4Matches(s, "10.1.3.4", "10.2.5.6"));
        assertFalse(v4Matches(s, "10.2.3.4", "10.2.5.6"));
        assertFalse(v4Matches(s, "10.1.3.4", "10.1.5.6"));
        assertFalse(v4Matches(s, "10.2.5.6", "10.1.3.4"), "direction matters");
    }

    // ------------------------------------------------------------------ protocol and ports

    @Test
    void protocolZeroIsAnyOtherwiseExact() {
        byte[] p = V4.packet("192.0.2.1", "192.0.2.2");
        Selector any = new Selector(ip("0.0.0.0"), 0, ip("0.0.0.0"), 0, 0, 0, 0xFFFF, 0, 0xFFFF);
        Selector tcp = new Selector(ip("0.0.0.0"), 0, ip("0.0.0.0"), 0, TCP, 0, 0xFFFF, 0, 0xFFFF);
        for (int proto : new int[] {TCP, UDP, ICMP, 50, 255}) {
            assertTrue(any.matches(false, p, V4.SRC, V4.DST, proto, -1, -1), "proto " + proto);
            assertEquals(proto == TCP, tcp.matches(false, p, V4.SRC, V4.DST, proto, 80, 80), "proto " + proto);
        }
    }

    @Test
    void portRangesAreInclusive() {
        byte[] p = V4.packet("192.0.2.1", "192.0.2.2");
        Selector s = new Selector(ip("0.0.0.0"), 0, ip("0.0.0.0"), 0, TCP, 1024, 65535, 443, 443);
        assertTrue(s.matches(false, p, V4.SRC, V4.DST, TCP, 1024, 443));
        assertTrue(s.matches(false, p, V4.SRC, V4.DST, TCP, 65535, 443));
        assertFalse(s.matches(false, p, V4.SRC, V4.DST, TCP, 1023, 443));
        assertFalse(s.matches(false, p, V4.SRC, V4.DST, TCP, 5000, 442));
        assertFalse(s.matches(false, p, V4.SRC, V4.DST, TCP, 5000, 444));
        assertFalse(s.matches(false, p, V4.SRC, V4.DST, TCP, -1, 443), "no visible ports: a port rule cannot match");
        assertFalse(s.matches(false, p, V4.SRC, V4.DST, TCP, 5000, -1));
        Selector d = new Selector(ip("0.0.0.0"), 0, ip("0.0.0.0"), 0, UDP, 0, 0xFFFF, 500, 4500);
        assertTrue(d.matches(false, p, V4.SRC, V4.DST, UDP, -1, 500), "full source range ignores the source port");
        assertTrue(d.matches(false, p, V4.SRC, V4.DST, UDP, 0, 4500));
        assertFalse(d.matches(false, p, V4.SRC, V4.DST, UDP, 0, 4501));
        assertFalse(d.matches(false, p, V4.SRC, V4.DST, UDP, 0, 499));
    }

    @Test
    void portZeroRangeMatchesOnlyPortZero() {
        byte[] p = V4.packet("192.0.2.1", "192.0.2.2");
        Selector s = new Selector(ip("0.0.0.0"), 0, ip("0.0.0.0"), 0, UDP, 0, 0, 0, 0xFFFF);
        assertTrue(s.matches(false, p, V4.SRC, V4.DST, UDP, 0, 1));
        assertFalse(s.matches(false, p, V4.SRC, V4.DST, UDP, 1, 1));
        assertFalse(s.matches(false, p, V4.SRC, V4.DST, UDP, -1, 1));
    }

    @Test
    void constructorValidation() {
        InetAddress a4 = ip("192.0.2.0");
        InetAddress a6 = ip("2001:db8::");
        assertEquals("prefix length out of range 0..32",
                assertThrows(IllegalArgumentException.class, () -> Selector.between(a4, 33, a4, 0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Selector.between(a4, 0, a4, -1));
        assertEquals("prefix length out of range 0..128",
                assertThrows(IllegalArgumentException.class, () -> Selector.between(a6, 0, a6, 129)).getMessage());
        assertEquals(true, Selector.between(a6, 128, a6, 128).isIpv6());
        assertThrows(IllegalArgumentException.class, () -> Selector.between(a4, 0, a6, 0));
        assertEquals("protocol 256 out of range 0..255", assertThrows(IllegalArgumentException.class,
                () -> new Selector(a4, 0, a4, 0, 256, 0, 0xFFFF, 0, 0xFFFF)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Selector(a4, 0, a4, 0, -1, 0, 0xFFFF, 0, 0xFFFF));
        assertEquals("port range invalid: 10-9 / 0-65535", assertThrows(IllegalArgumentException.class,
                () -> new Selector(a4, 0, a4, 0, TCP, 10, 9, 0, 0xFFFF)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Selector(a4, 0, a4, 0, TCP, 0, 0x10000, 0, 0xFFFF));
        assertThrows(IllegalArgumentException.class, () -> new Selector(a4, 0, a4, 0, TCP, 0, 0xFFFF, -1, 0xFFFF));
    }

    @Test
    void selectorToString() {
        Selector s = new Selector(ip("10.0.0.0"), 8, ip("192.0.2.1"), 32, TCP, 0, 0xFFFF, 443, 443);
        assertEquals("Selector[10.0.0.0/8 -> 192.0.2.1/32 proto=6 sport=0-65535 dport=443-443]", s.toString());
        assertEquals("Selector[0.0.0.0/0 -> 0.0.0.0/0 proto=any sport=0-65535 dport=0-65535]",
                Selector.between(ip("0.0.0.0"), 0, ip("0.0.0.0"), 0).toString());
    }

    // ------------------------------------------------------------------ policies and the SPD

    @Test
    void protectRequiresAnSaAndOthersRefuseOne() {
        Selector s = Selector.between(ip("0.0.0.0"), 0, ip("0.0.0.0"), 0);
        SecurityAssociation sa = new SecurityAssociation(gcm().build());
        assertThrows(IllegalArgumentException.class, () -> new Policy(s, PolicyAction.PROTECT, null));
        assertThrows(IllegalArgumentException.class, () -> new Policy(s, PolicyAction.BYPASS, sa));
        assertThrows(IllegalArgumentException.class, () -> new Policy(s, PolicyAction.DISCARD, sa));
        assertThrows(NullPointerException.class, () -> new Policy(null, PolicyAction.BYPASS, null));
        assertThrows(NullPointerException.class, () -> new Policy(s, null, null));
        assertSame(sa, new Policy(s, PolicyAction.PROTECT, sa).sa());
        assertNull(new Policy(s, PolicyAction.BYPASS, null).sa());
    }

    @Test
    void defaultActionCannotBeProtect() {
        assertThrows(IllegalArgumentException.class, () -> new PolicyDatabase(PolicyAction.PROTECT));
        assertEquals(PolicyAction.DISCARD, new PolicyDatabase(PolicyAction.DISCARD).defaultAction());
        assertEquals(PolicyAction.BYPASS, new PolicyDatabase(PolicyAction.BYPASS).defaultAction());
    }

    @Test
    void firstMatchWinsAndUnmatchedFallsToDefault() {
        SecurityAssociation sa = new SecurityAssociation(gcm().build());
        Policy ike = new Policy(new Selector(ip("0.0.0.0"), 0, ip("0.0.0.0"), 0, UDP, 0, 0xFFFF, 500, 500),
                PolicyAction.BYPASS, null);
        Policy subnet = new Policy(Selector.between(ip("10.1.0.0"), 16, ip("10.2.0.0"), 16), PolicyAction.PROTECT, sa);
        Policy block = new Policy(Selector.between(ip("10.0.0.0"), 8, ip("10.0.0.0"), 8), PolicyAction.DISCARD, null);
        PolicyDatabase spd = new PolicyDatabase(PolicyAction.DISCARD);
        assertNull(spd.lookup(false, V4.packet("10.1.1.1", "10.2.2.2"), V4.SRC, V4.DST, TCP, 1, 2), "empty SPD");
        spd.add(ike);
        spd.add(subnet);
        spd.add(block);
        assertEquals(List.of(ike, subnet, block), spd.all());

        byte[] p = V4.packet("10.1.1.1", "10.2.2.2");
        assertSame(ike, spd.lookup(false, p, V4.SRC, V4.DST, UDP, 500, 500), "IKE bypass before the subnet rule");
        assertSame(subnet, spd.lookup(false, p, V4.SRC, V4.DST, UDP, 4000, 4000));
        assertSame(subnet, spd.lookup(false, p, V4.SRC, V4.DST, TCP, 500, 500), "IKE rule is UDP only");
        assertSame(block, spd.lookup(false, V4.packet("10.3.1.1", "10.2.2.2"), V4.SRC, V4.DST, TCP, 1, 2));
        assertNull(spd.lookup(false, V4.packet("192.0.2.1", "10.2.2.2"), V4.SRC, V4.DST, TCP, 1, 2));
        assertNull(spd.lookup(true, V6.packet("2001:db8::1", "2001:db8::2"), V6.SRC, V6.DST, UDP, 500, 500),
                "v4 policies never match v6 packets");
        assertEquals(PolicyAction.DISCARD, spd.defaultAction());
    }

    @Test
    void laterBroaderRuleDoesNotOverrideEarlierNarrowOne() {
        PolicyDatabase spd = new PolicyDatabase(PolicyAction.BYPASS);
        Policy narrow = new Policy(Selector.between(ip("2001:db8::"), 64, ip("2001:db8:1::"), 64), PolicyAction.DISCARD, null);
        Policy broad = new Policy(Selector.between(ip("::"), 0, ip("::"), 0), PolicyAction.BYPASS, null);
        spd.add(narrow);
        spd.add(broad);
        byte[] inNarrow = V6.packet("2001:db8::5", "2001:db8:1::5");
        byte[] outside = V6.packet("2001:db8:2::5", "2001:db8:1::5");
        assertSame(narrow, spd.lookup(true, inNarrow, V6.SRC, V6.DST, TCP, 1, 1));
        assertSame(broad, spd.lookup(true, outside, V6.SRC, V6.DST, TCP, 1, 1));
        assertThrows(UnsupportedOperationException.class, () -> spd.all().add(broad));
    }
}
