package org.espline.runtime.sa;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The SAD: SAs found by SPI and destination address on input, and by SPI for output.
 *
 * <p>Readers take no lock: they read one volatile reference to an immutable snapshot (an open-addressing
 * table keyed by SPI). Writers build a new snapshot and publish it atomically — the RCU idea the talk
 * asks for instead of rwlocks. A reader in the middle of a lookup keeps using the snapshot it started
 * with. Writers are serialised among themselves.
 */
public final class SaDatabase {
    private volatile Snapshot snapshot = Snapshot.EMPTY;

    /** Finds the SA for an inbound packet: SPI plus the destination address at {@code dst[dstOff..]}. */
    public SecurityAssociation lookup(int spi, byte[] dst, int dstOff, boolean ipv6) {
        return snapshot.lookup(spi, dst, dstOff, ipv6);
    }

    /** Finds an SA by SPI alone (outbound use, tools); the first added wins when several share it. */
    public SecurityAssociation lookupBySpi(int spi) {
        return snapshot.lookupBySpi(spi);
    }

    /** Adds an SA, or replaces the one with the same SPI and destination. */
    public synchronized void put(SecurityAssociation sa) {
        List<SecurityAssociation> all = new ArrayList<>(snapshot.all);
        all.removeIf(o -> o.spi() == sa.spi() && java.util.Arrays.equals(o.destinationBytes(), sa.destinationBytes()));
        all.add(sa);
        snapshot = new Snapshot(all);
    }

    /** Removes and expires the SA with this SPI and destination; returns it, or null. */
    public synchronized SecurityAssociation remove(int spi, byte[] destination) {
        List<SecurityAssociation> all = new ArrayList<>(snapshot.all);
        SecurityAssociation removed = null;
        for (int i = 0; i < all.size(); i++) {
            SecurityAssociation o = all.get(i);
            if (o.spi() == spi && java.util.Arrays.equals(o.destinationBytes(), destination)) {
                removed = all.remove(i);
                break;
            }
        }
        if (removed != null) {
            removed.expire();
            snapshot = new Snapshot(all);
        }
        return removed;
    }

    /** All SAs in insertion order. */
    public List<SecurityAssociation> all() {
        return snapshot.all;
    }

    public int size() {
        return snapshot.all.size();
    }

    private static final class Snapshot {
        static final Snapshot EMPTY = new Snapshot(List.of());

        final List<SecurityAssociation> all;
        final int[] spis;
        final SecurityAssociation[] slots;
        final int mask;

        Snapshot(List<SecurityAssociation> sas) {
            this.all = Collections.unmodifiableList(new ArrayList<>(sas));
            // Load factor <= 0.5 keeps probe sequences short.
            int cap = Integer.highestOneBit(Math.max(4, sas.size() * 2 - 1)) << 1;
            this.spis = new int[cap];
            this.slots = new SecurityAssociation[cap];
            this.mask = cap - 1;
            for (SecurityAssociation sa : sas) {
                int i = hash(sa.spi()) & mask;
                while (slots[i] != null) {
                    i = (i + 1) & mask;
                }
                spis[i] = sa.spi();
                slots[i] = sa;
            }
        }

        SecurityAssociation lookup(int spi, byte[] dst, int dstOff, boolean ipv6) {
            final int[] s = spis;
            final SecurityAssociation[] sl = slots;
            int i = hash(spi) & mask;
            SecurityAssociation sa;
            while ((sa = sl[i]) != null) {
                if (s[i] == spi && sa.isIpv6() == ipv6 && sa.destinationEquals(dst, dstOff)) {
                    return sa;
                }
                i = (i + 1) & mask;
            }
            return null;
        }

        SecurityAssociation lookupBySpi(int spi) {
            for (SecurityAssociation sa : all) {
                if (sa.spi() == spi) {
                    return sa;
                }
            }
            return null;
        }

        private static int hash(int spi) {
            int h = spi * 0x9E3779B9;
            return h ^ (h >>> 16);
        }
    }
}
