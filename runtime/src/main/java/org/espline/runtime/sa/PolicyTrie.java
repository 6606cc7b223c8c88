package org.espline.runtime.sa;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * An SPD compiled for lookup: per address family, a binary trie over the prefixes of one side of the
 * selectors (the side with more distinct prefixes, usually the destination). Each node where a prefix ends
 * holds the indices, in priority order, of every rule whose prefix on that side covers the node; a lookup
 * walks the packet's address down the trie, remembers the deepest such node, and tests only its rules.
 * A gateway with a thousand site prefixes then tests a handful of rules per packet instead of a thousand.
 *
 * <p>Answers are those of {@link PolicyDatabase} for the same rules in the same order (first match wins);
 * the property test checks that on random rule sets. Immutable and lock-free to read; a changed SPD is
 * compiled anew and published by swapping the reference. The lookup walks at most 32 (IPv4) or 128 (IPv6)
 * nodes and allocates nothing; a family of at most {@value #SCAN_LIMIT} rules is scanned without a walk.
 */
public final class PolicyTrie implements PolicyLookup {
    /**
     * Up to this many rules of a family are scanned in order without a trie: walking 32 or 128 address bits costs
     * more than testing a handful of selectors, and a site-to-site gateway usually has a handful.
     */
    public static final int SCAN_LIMIT = 8;

    private final Policy[] policies;
    private final PolicyAction defaultAction;
    private final Family ipv4;
    private final Family ipv6;

    private PolicyTrie(Policy[] policies, PolicyAction defaultAction) {
        this.policies = policies;
        this.defaultAction = defaultAction;
        this.ipv4 = Family.compile(policies, false);
        this.ipv6 = Family.compile(policies, true);
    }

    /** Compiles {@code rules} (highest priority first) with {@code defaultAction} for packets none matches. */
    public static PolicyTrie compile(List<Policy> rules, PolicyAction defaultAction) {
        Objects.requireNonNull(defaultAction, "defaultAction");
        if (defaultAction == PolicyAction.PROTECT) {
            throw new IllegalArgumentException("the default action cannot be PROTECT: it names no SA");
        }
        return new PolicyTrie(rules.toArray(new Policy[0]), defaultAction);
    }

    /** The same rules and default as {@code spd}, compiled. */
    public static PolicyTrie compile(PolicyLookup spd) {
        return compile(spd.all(), spd.defaultAction());
    }

    @Override
    public Policy lookup(boolean v6, byte[] a, int srcOff, int dstOff, int proto, int sport, int dport) {
        final Family f = v6 ? ipv6 : ipv4;
        final int[] candidates = f.candidates(a, f.keyOnSource ? srcOff : dstOff);
        final Policy[] ps = policies;
        for (int i = 0; i < candidates.length; i++) {
            final Policy p = ps[candidates[i]];
            if (p.selector().matches(v6, a, srcOff, dstOff, proto, sport, dport)) {
                return p;
            }
        }
        return null;
    }

    @Override
    public PolicyAction defaultAction() { return defaultAction; }

    @Override
    public List<Policy> all() { return List.of(policies); }

    /** Which side the IPv4 ({@code false}) or IPv6 trie is keyed on: true for the source prefix. */
    public boolean keyedOnSource(boolean v6) { return (v6 ? ipv6 : ipv4).keyOnSource; }

    /** Trie nodes of one family, for tests and capacity planning. */
    public int nodeCount(boolean v6) { return (v6 ? ipv6 : ipv4).nodes; }

    /**
     * The trie of one address family, as parallel arrays: {@code child[2n]}/{@code child[2n+1]} are node n's
     * children for bit 0/1 (-1: none); {@code rules[n]} is null unless a prefix ends at n.
     */
    private static final class Family {
        private static final int[] NONE = new int[0];

        final boolean keyOnSource;
        final int bits;
        final int[] child;
        final int[][] rules;
        final int nodes;

        private Family(boolean keyOnSource, int bits, int[] child, int[][] rules, int nodes) {
            this.keyOnSource = keyOnSource;
            this.bits = bits;
            this.child = child;
            this.rules = rules;
            this.nodes = nodes;
        }

        int[] candidates(byte[] a, int off) {
            final int[] ch = child;
            final int[][] rs = rules;
            int[] best = rs[0];
            int node = 0;
            for (int d = 0; d < bits; d++) {
                final int bit = (a[off + (d >>> 3)] >>> (7 - (d & 7))) & 1;
                node = ch[(node << 1) + bit];
                if (node < 0) {
                    break;
                }
                if (rs[node] != null) {
                    best = rs[node];
                }
            }
            return best;
        }

        static Family compile(Policy[] all, boolean v6) {
            List<Integer> mine = new ArrayList<>();
            for (int i = 0; i < all.length; i++) {
                if (all[i].selector().isIpv6() == v6) {
                    mine.add(i);
                }
            }
            final boolean onSource = distinctPrefixes(all, mine, true) > distinctPrefixes(all, mine, false);
            if (mine.size() <= SCAN_LIMIT) {
                // A trie of depth 0: the root holds every rule, so a lookup is the linear scan.
                return new Family(onSource, 0, new int[] {-1, -1}, new int[][] {mine.stream().mapToInt(Integer::intValue).toArray()}, 1);
            }
            final int bits = v6 ? 128 : 32;
            Builder b = new Builder();
            for (int i : mine) {
                Selector s = all[i].selector();
                b.insert(s.prefixBytes(onSource), s.prefixLength(onSource), i);
            }
            return b.build(onSource, bits);
        }

        private static int distinctPrefixes(Policy[] all, List<Integer> mine, boolean sourceSide) {
            Set<String> seen = new HashSet<>();
            for (int i : mine) {
                Selector s = all[i].selector();
                seen.add(Arrays.toString(s.prefixBytes(sourceSide)) + "/" + s.prefixLength(sourceSide));
            }
            return seen.size();
        }
    }

    /** Grows the trie while compiling; nothing of it is used on the lookup path. */
    private static final class Builder {
        private int[] child = new int[64];
        private final List<List<Integer>> own = new ArrayList<>();
        private int nodes;

        Builder() {
            newNode();
        }

        private int newNode() {
            if (2 * nodes + 2 > child.length) {
                child = Arrays.copyOf(child, child.length * 2);
            }
            child[2 * nodes] = -1;
            child[2 * nodes + 1] = -1;
            own.add(null);
            return nodes++;
        }

        void insert(byte[] prefix, int length, int rule) {
            int node = 0;
            for (int d = 0; d < length; d++) {
                int bit = (prefix[d >>> 3] >>> (7 - (d & 7))) & 1;
                int next = child[2 * node + bit];
                if (next < 0) {
                    next = newNode();
                    child[2 * node + bit] = next;
                }
                node = next;
            }
            if (own.get(node) == null) {
                own.set(node, new ArrayList<>());
            }
            own.get(node).add(rule);
        }

        /** Gives every prefix end the rules of its covering prefixes too, merged in priority order. */
        Family build(boolean onSource, int bits) {
            int[][] rules = new int[nodes][];
            rules[0] = own.get(0) == null ? Family.NONE : toArray(own.get(0));
            spread(0, rules[0], rules);
            return new Family(onSource, bits, Arrays.copyOf(child, 2 * nodes), rules, nodes);
        }

        private void spread(int root, int[] inherited, int[][] rules) {
            // Iterative depth-first walk: IPv6 tries are up to 128 deep, and rule sets may be large.
            int[] stack = new int[256];
            int[][] from = new int[256][];
            int top = 0;
            for (int bit = 1; bit >= 0; bit--) {
                if (child[2 * root + bit] >= 0) {
                    stack[top] = child[2 * root + bit];
                    from[top++] = inherited;
                }
            }
            while (top > 0) {
                int node = stack[--top];
                int[] covering = from[top];
                if (own.get(node) != null) {
                    covering = merge(covering, toArray(own.get(node)));
                    rules[node] = covering;
                }
                for (int bit = 1; bit >= 0; bit--) {
                    int c = child[2 * node + bit];
                    if (c >= 0) {
                        if (top == stack.length) {
                            stack = Arrays.copyOf(stack, top * 2);
                            from = Arrays.copyOf(from, top * 2);
                        }
                        stack[top] = c;
                        from[top++] = covering;
                    }
                }
            }
        }

        private static int[] toArray(List<Integer> l) {
            return l.stream().mapToInt(Integer::intValue).toArray();
        }

        private static int[] merge(int[] x, int[] y) {
            int[] r = new int[x.length + y.length];
            int i = 0;
            int j = 0;
            int k = 0;
            while (i < x.length && j < y.length) {
                r[k++] = x[i] < y[j] ? x[i++] : y[j++];
            }
            while (i < x.length) {
                r[k++] = x[i++];
            }
            while (j < y.length) {
                r[k++] = y[j++];
            }
            return r;
        }
    }
}
