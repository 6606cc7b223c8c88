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
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The compiled SPD gives the linear SPD's first-match answers, and looks at few rules to do it. */
class PolicyTrieTest {
    private static final int TCP = 6;
    private static final int UDP = 17;

    private static final SecurityAssociation SA = new SecurityAssociation(gcm().build());

    private static byte[] v4(String src, String dst) {
        byte[] p = new byte[20];
        System.arraycopy(ip(src).getAddress(), 0, p, 12, 4);
        System.arraycopy(ip(dst).getAddress(), 0, p, 16, 4);
        return p;
    }

    private static Policy lookupV4(PolicyLookup spd, String src, String dst, int proto, int sport, int dport) {
        return spd.lookup(false, v4(src, dst), 12, 16, proto, sport, dport);
    }

    @Test
    void firstMatchWinsAcrossPrefixLengths() {
        // A narrow rule after a wide one never wins: priority, not prefix length, decides.
        Policy wide = new Policy(Selector.between(ip("10.1.0.0"), 16, ip("10.2.0.0"), 16), PolicyAction.PROTECT, SA);
        Policy narrow = new Policy(Selector.between(ip("10.1.0.0"), 16, ip("10.2.3.0"), 24), PolicyAction.DISCARD, null);
        Policy rest = new Policy(Selector.between(ip("0.0.0.0"), 0, ip("0.0.0.0"), 0), PolicyAction.BYPASS, null);
        PolicyTrie t = PolicyTrie.compile(List.of(wide, narrow, rest), PolicyAction.DISCARD);
        assertSame(wide, lookupV4(t, "10.1.1.1", "10.2.3.4", TCP, 1, 2));
        assertSame(rest, lookupV4(t, "10.9.1.1", "10.2.3.4", TCP, 1, 2));

        PolicyTrie reversed = PolicyTrie.compile(List.of(narrow, wide, rest), PolicyAction.DISCARD);
        assertSame(narrow, lookupV4(reversed, "10.1.1.1", "10.2.3.4", TCP, 1, 2));
        assertSame(wide, lookupV4(reversed, "10.1.1.1", "10.2.4.4", TCP, 1, 2));
    }

    @Test
    void noMatchLeavesTheDefault() {
        Policy p = new Policy(Selector.between(ip("10.1.0.0"), 16, ip("10.2.0.0"), 16), PolicyAction.PROTECT, SA);
        PolicyTrie t = PolicyTrie.compile(List.of(p), PolicyAction.DISCARD);
        assertNull(lookupV4(t, "10.1.0.1", "10.3.0.1", UDP, 1, 2));
        assertEquals(PolicyAction.DISCARD, t.defaultAction());
        assertThrows(IllegalArgumentException.class, () -> PolicyTrie.compile(List.of(), PolicyAction.PROTECT));
    }

    @Test
    void familiesAreSeparate() {
        Policy v4any = new Policy(Selector.between(ip("0.0.0.0"), 0, ip("0.0.0.0"), 0), PolicyAction.BYPASS, null);
        Policy v6net = new Policy(Selector.between(ip("2001:db8::"), 32, ip("2001:db8:1::"), 48), PolicyAction.PROTECT, SA);
        PolicyTrie t = PolicyTrie.compile(List.of(v4any, v6net), PolicyAction.DISCARD);
        byte[] p = new byte[40];
        System.arraycopy(ip("2001:db8::1").getAddress(), 0, p, 8, 16);
        System.arraycopy(ip("2001:db8:1::9").getAddress(), 0, p, 24, 16);
        assertSame(v6net, t.lookup(true, p, 8, 24, UDP, 1, 2));
        System.arraycopy(ip("2001:db8:2::9").getAddress(), 0, p, 24, 16);
        assertNull(t.lookup(true, p, 8, 24, UDP, 1, 2));
        assertSame(v4any, lookupV4(t, "1.2.3.4", "5.6.7.8", UDP, 1, 2));
    }

    @Test
    void aFewRulesAreScannedWithoutATrie() {
        List<Policy> rules = new ArrayList<>();
        for (int i = 0; i < PolicyTrie.SCAN_LIMIT; i++) {
            rules.add(new Policy(Selector.between(ip("10.0.0.0"), 8, ip("172.16." + i + ".0"), 24), PolicyAction.PROTECT, SA));
        }
        PolicyTrie small = PolicyTrie.compile(rules, PolicyAction.DISCARD);
        assertEquals(1, small.nodeCount(false));
        assertSame(rules.get(5), lookupV4(small, "10.0.0.1", "172.16.5.9", TCP, 1, 2));
        rules.add(new Policy(Selector.between(ip("10.0.0.0"), 8, ip("172.16.99.0"), 24), PolicyAction.PROTECT, SA));
        PolicyTrie large = PolicyTrie.compile(rules, PolicyAction.DISCARD);
        assertTrue(large.nodeCount(false) > 24, "a trie once past the scan limit: " + large.nodeCount(false));
        assertSame(rules.get(8), lookupV4(large, "10.0.0.1", "172.16.99.9", TCP, 1, 2));
    }

    @Test
    void keysOnTheSideWithMorePrefixes() {
        List<Policy> bySource = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            bySource.add(new Policy(Selector.between(ip("10." + i + ".0.0"), 16, ip("0.0.0.0"), 0), PolicyAction.BYPASS, null));
        }
        assertTrue(PolicyTrie.compile(bySource, PolicyAction.DISCARD).keyedOnSource(false));
        List<Policy> byDestination = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            byDestination.add(new Policy(Selector.between(ip("0.0.0.0"), 0, ip("10." + i + ".0.0"), 16), PolicyAction.BYPASS, null));
        }
        assertFalse(PolicyTrie.compile(byDestination, PolicyAction.DISCARD).keyedOnSource(false));
    }

    @Test
    void aThousandSitesCostOneRuleEach() {
        List<Policy> rules = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            rules.add(new Policy(Selector.between(ip("10.0.0.0"), 8, ip("172." + (16 + i / 256) + "." + (i % 256) + ".0"), 24),
                    PolicyAction.PROTECT, SA));
        }
        rules.add(new Policy(Selector.between(ip("10.0.0.0"), 8, ip("0.0.0.0"), 0), PolicyAction.DISCARD, null));
        PolicyTrie t = PolicyTrie.compile(rules, PolicyAction.DISCARD);
        assertSame(rules.get(777), lookupV4(t, "10.0.0.1", "172.19.9.200", TCP, 1, 2));
        assertSame(rules.get(1000), lookupV4(t, "10.0.0.1", "192.168.0.1", TCP, 1, 2));
        // 1000 /24 prefixes share their first 13 bits; the trie stays far below 1000 × 24 nodes.
        assertTrue(t.nodeCount(false) < 12_000, "nodes: " + t.nodeCount(false));
    }

    /** Random rule sets with nested prefixes, protocols and port ranges: the trie and the scan agree everywhere. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void agreesWithTheLinearDatabase(boolean v6) throws UnknownHostException {
        Random r = new Random(v6 ? 6 : 4);
        int bytes = v6 ? 16 : 4;
        int bits = bytes * 8;
        for (int round = 0; round < 40; round++) {
            PolicyDatabase linear = new PolicyDatabase(PolicyAction.DISCARD);
            // A few base addresses, so random prefixes nest and overlap instead of missing each other.
            byte[][] bases = new byte[3][bytes];
            for (byte[] b : bases) {
                r.nextBytes(b);
            }
            int n = 1 + r.nextInt(40);
            for (int i = 0; i < n; i++) {
                InetAddress src = InetAddress.getByAddress(mutate(bases[r.nextInt(3)], r, bits));
                InetAddress dst = InetAddress.getByAddress(mutate(bases[r.nextInt(3)], r, bits));
                int proto = r.nextInt(3) == 0 ? 0 : (r.nextBoolean() ? TCP : UDP);
                int lo = r.nextInt(4) == 0 ? 0 : r.nextInt(2000);
                int hi = lo == 0 ? 0xFFFF : lo + r.nextInt(2000);
                Selector s = new Selector(src, r.nextInt(bits + 1), dst, r.nextInt(bits + 1), proto, 0, 0xFFFF, lo, hi);
                PolicyAction a = PolicyAction.values()[r.nextInt(PolicyAction.values().length)];
                linear.add(new Policy(s, a, a == PolicyAction.PROTECT ? SA : null));
            }
            PolicyTrie trie = PolicyTrie.compile(linear);
            for (int k = 0; k < 400; k++) {
                byte[] packet = new byte[2 * bytes];
                System.arraycopy(mutate(bases[r.nextInt(3)], r, bits), 0, packet, 0, bytes);
                System.arraycopy(mutate(bases[r.nextInt(3)], r, bits), 0, packet, bytes, bytes);
                int proto = r.nextBoolean() ? TCP : UDP;
                int dport = r.nextInt(5000);
                assertSame(linear.lookup(v6, packet, 0, bytes, proto, 1234, dport),
                        trie.lookup(v6, packet, 0, bytes, proto, 1234, dport), "round " + round + " packet " + k);
            }
        }
    }

    /** The base address with its bits after a random position randomised. */
    private static byte[] mutate(byte[] base, Random r, int bits) {
        byte[] a = base.clone();
        for (int d = r.nextInt(bits + 1); d < bits; d++) {
            if (r.nextBoolean()) {
                a[d >>> 3] ^= (byte) (0x80 >>> (d & 7));
            }
        }
        return a;
    }
}
