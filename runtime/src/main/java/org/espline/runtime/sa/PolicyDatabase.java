package org.espline.runtime.sa;

import java.util.ArrayList;
import java.util.List;

/**
 * The SPD: ordered policies, first match wins, and a default action for packets no policy matches.
 * Lock-free reads of an immutable array behind a volatile reference; writers publish a new array.
 * Lookup is a linear scan, fine for a handful of rules; generated data planes use {@link PolicyTrie}, which
 * compiles the same rules into a prefix trie with the same first-match answers.
 */
public final class PolicyDatabase implements PolicyLookup {
    private volatile Policy[] policies = new Policy[0];
    private final PolicyAction defaultAction;

    /** @param defaultAction what happens to packets that match no policy (DISCARD unless told otherwise) */
    public PolicyDatabase(PolicyAction defaultAction) {
        if (defaultAction == PolicyAction.PROTECT) {
            throw new IllegalArgumentException("the default action cannot be PROTECT: it names no SA");
        }
        this.defaultAction = defaultAction;
    }

    public synchronized void add(Policy p) {
        List<Policy> l = new ArrayList<>(List.of(policies));
        l.add(p);
        policies = l.toArray(new Policy[0]);
    }

    @Override
    public PolicyAction defaultAction() { return defaultAction; }

    @Override
    public Policy lookup(boolean ipv6, byte[] a, int srcOff, int dstOff, int proto, int sport, int dport) {
        final Policy[] ps = policies;
        for (int i = 0; i < ps.length; i++) {
            if (ps[i].selector().matches(ipv6, a, srcOff, dstOff, proto, sport, dport)) {
                return ps[i];
            }
        }
        return null;
    }

    @Override
    public List<Policy> all() {
        return List.of(policies);
    }
}
