package org.espline.runtime.sa;

import java.util.List;

/**
 * What a classifier asks of an SPD: the first policy (in priority order) whose selector matches a packet,
 * read in place from its bytes. {@link PolicyDatabase} scans; {@link PolicyTrie} is compiled for many rules.
 * Both must give the same answer for the same rules.
 */
public interface PolicyLookup {
    /**
     * The first matching policy, or null (then {@link #defaultAction()} applies). Addresses are read at
     * {@code srcOff}/{@code dstOff} of {@code a}; {@code sport}/{@code dport} are -1 when the packet shows no ports.
     */
    Policy lookup(boolean ipv6, byte[] a, int srcOff, int dstOff, int proto, int sport, int dport);

    /** What happens to packets no policy matches. */
    PolicyAction defaultAction();

    /** The rules in priority order. */
    List<Policy> all();
}
