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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** The SAD: SPI + destination lookups, replacement, removal, lock-free readers. */
class SaDatabaseTest {
    private static final InetAddress V4_A = ip("198.51.100.7");
    private static final InetAddress V4_B = ip("198.51.100.8");
    private static final InetAddress V6_A = ip("2001:db8::1");
    private static final InetAddress V6_B = ip("2001:db8::2");

    private static SecurityAssociation sa(int spi, InetAddress dst) {
        InetAddress src = dst.getAddress().length == 4 ? ip("192.0.2.1") : ip("2001:db8::99");
        return new SecurityAssociation(gcm().spi(spi).source(src).destination(dst).build());
    }

    /** The destination at an offset inside a packet-like array, as the input path passes it. */
    private static byte[] at(InetAddress a, int off) {
        byte[] b = new byte[off + a.getAddress().length + 3];
        System.arraycopy(a.getAddress(), 0, b, off, a.getAddress().length);
        return b;
    }

    @Test
    void emptyDatabaseFindsNothing() {
        SaDatabase db = new SaDatabase();
        assertNull(db.lookup(0x1000, at(V4_A, 0), 0, false));
        assertNull(db.lookupBySpi(0x1000));
        assertEquals(0, db.size());
        assertTrue(db.all().isEmpty());
    }

    @Test
    void lookupBySpiAndDestinationV4AndV6() {
        SaDatabase db = new SaDatabase();
        SecurityAssociation v4 = sa(0x1000, V4_A);
        SecurityAssociation v6 = sa(0x2000, V6_A);
        db.put(v4);
        db.put(v6);
        assertSame(v4, db.lookup(0x1000, at(V4_A, 16), 16, false));
        assertSame(v6, db.lookup(0x2000, at(V6_A, 24), 24, true));
        assertNull(db.lookup(0x1000, at(V4_B, 16), 16, false), "right SPI, wrong destination");
        assertNull(db.lookup(0x1001, at(V4_A, 16), 16, false), "wrong SPI");
        assertNull(db.lookup(0x2000, at(V6_B, 24), 24, true));
        assertNull(db.lookup(0x1000, at(V4_A, 16), 16, true), "family must match too");
        assertSame(v4, db.lookupBySpi(0x1000));
        assertSame(v6, db.lookupBySpi(0x2000));
        assertEquals(2, db.size());
    }

    @Test
    void v6LookupComparesAllSixteenBytes() {
        SaDatabase db = new SaDatabase();
        SecurityAssociation v6 = sa(0x3000, V6_A);
        db.put(v6);
        byte[] pkt = at(V6_A, 8);
        pkt[8 + 15] ^= 1; // last byte differs
        assertNull(db.lookup(0x3000, pkt, 8, true));
        pkt[8 + 15] ^= 1;
        pkt[8] ^= (byte) 0x80; // first bit differs
        assertNull(db.lookup(0x3000, pkt, 8, true));
    }

    @Test
    void sameSpiDifferentDestinationsCoexist() {
        SaDatabase db = new SaDatabase();
        SecurityAssociation a = sa(0x1000, V4_A);
        SecurityAssociation b = sa(0x1000, V4_B);
        SecurityAssociation c = sa(0x1000, V6_A);
        db.put(a);
        db.put(b);
        db.put(c);
        assertEquals(3, db.size());
        assertSame(a, db.lookup(0x1000, at(V4_A, 0), 0, false));
        assertSame(b, db.lookup(0x1000, at(V4_B, 0), 0, false));
        assertSame(c, db.lookup(0x1000, at(V6_A, 0), 0, true));
        assertSame(a, db.lookupBySpi(0x1000), "first added wins");
    }

    @Test
    void putReplacesSameSpiAndDestination() {
        SaDatabase db = new SaDatabase();
        SecurityAssociation old = sa(0x1000, V4_A);
        SecurityAssociation other = sa(0x1000, V4_B);
        db.put(old);
        db.put(other);
        SecurityAssociation fresh = sa(0x1000, V4_A);
        db.put(fresh);
        assertEquals(2, db.size());
        assertSame(fresh, db.lookup(0x1000, at(V4_A, 0), 0, false));
        assertSame(other, db.lookup(0x1000, at(V4_B, 0), 0, false));
        assertFalse(db.all().contains(old));
    }

    @Test
    void removeExpiresAndReturns() {
        SaDatabase db = new SaDatabase();
        SecurityAssociation a = sa(0x1000, V4_A);
        SecurityAssociation b = sa(0x1000, V4_B);
        db.put(a);
        db.put(b);
        assertNull(db.remove(0x1000, V6_A.getAddress()));
        assertNull(db.remove(0x1001, V4_A.getAddress()));
        assertEquals(2, db.size());
        assertSame(a, db.remove(0x1000, V4_A.getAddress()));
        assertTrue(a.isExpired());
        assertFalse(b.isExpired());
        assertNull(db.lookup(0x1000, at(V4_A, 0), 0, false));
        assertSame(b, db.lookup(0x1000, at(V4_B, 0), 0, false));
        assertEquals(1, db.size());
        assertNull(db.remove(0x1000, V4_A.getAddress()), "second remove finds nothing");
    }

    @Test
    void allIsInsertionOrderAndReadOnly() {
        SaDatabase db = new SaDatabase();
        SecurityAssociation a = sa(0x3000, V4_A);
        SecurityAssociation b = sa(0x1000, V4_A);
        db.put(a);
        db.put(b);
        List<SecurityAssociation> all = db.all();
        assertEquals(List.of(a, b), all);
        assertThrows(UnsupportedOperationException.class, () -> all.add(a));
        db.put(sa(0x2000, V4_A));
        assertEquals(2, all.size(), "an earlier snapshot does not change");
    }

    @Test
    void manySpisWithCollidingProbesAllFound() {
        SaDatabase db = new SaDatabase();
        List<SecurityAssociation> sas = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            // SPIs spaced by a power of two stress the hash's low bits
            SecurityAssociation s = sa(0x100 + (i << 12), i % 2 == 0 ? V4_A : V6_A);
            sas.add(s);
            db.put(s);
        }
        assertEquals(300, db.size());
        for (int i = 0; i < 300; i++) {
            boolean v6 = i % 2 == 1;
            InetAddress d = v6 ? V6_A : V4_A;
            assertSame(sas.get(i), db.lookup(0x100 + (i << 12), at(d, 4), 4, v6), "spi index " + i);
            assertNull(db.lookup(0x100 + (i << 12), at(v6 ? V4_A : V6_A, 4), 4, !v6));
        }
        for (int i = 0; i < 300; i += 3) {
            db.remove(0x100 + (i << 12), (i % 2 == 0 ? V4_A : V6_A).getAddress());
        }
        assertEquals(200, db.size());
        for (int i = 0; i < 300; i++) {
            boolean v6 = i % 2 == 1;
            SecurityAssociation found = db.lookup(0x100 + (i << 12), at(v6 ? V6_A : V4_A, 4), 4, v6);
            if (i % 3 == 0) {
                assertNull(found, "removed " + i);
            } else {
                assertSame(sas.get(i), found, "kept " + i);
            }
        }
    }

    @Test
    void readersDuringPutsNeverSeeATornState() throws Exception {
        SaDatabase db = new SaDatabase();
        // a stable SA that must be visible in every snapshot
        SecurityAssociation anchor = sa(0x100, V4_A);
        db.put(anchor);
        int puts = 3000;
        SecurityAssociation[] added = new SecurityAssociation[puts];
        for (int i = 0; i < puts; i++) {
            added[i] = sa(0x1000 + i, i % 2 == 0 ? V4_B : V6_B);
        }
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> problem = new AtomicReference<>();
        AtomicLong reads = new AtomicLong();
        byte[] anchorDst = at(V4_A, 0);
        Thread reader = new Thread(() -> {
            int highestSeen = -1;
            while (!done.get() && problem.get() == null) {
                if (db.lookup(0x100, anchorDst, 0, false) != anchor) {
                    problem.set("anchor SA missing from a snapshot");
                }
                int size = db.size();
                // puts are in order: once SA k is visible, every SA before k must be too
                int probe = Math.min(size - 2, puts - 1);
                if (probe >= 0) {
                    boolean v6 = probe % 2 == 1;
                    SecurityAssociation s = db.lookup(0x1000 + probe, at(v6 ? V6_B : V4_B, 0), 0, v6);
                    if (s != added[probe]) {
                        problem.set("size " + size + " but SA " + probe + " not found");
                    }
                    if (probe < highestSeen) {
                        problem.set("database shrank from " + highestSeen + " to " + probe);
                    }
                    highestSeen = probe;
                }
                List<SecurityAssociation> all = db.all();
                if (!all.contains(anchor) || all.size() > puts + 1) {
                    problem.set("bad snapshot list of size " + all.size());
                }
                reads.incrementAndGet();
            }
        });
        reader.start();
        for (int i = 0; i < puts; i++) {
            db.put(added[i]);
            if (i % 500 == 0) {
                db.put(anchor); // replace with itself: anchor must never vanish in between
            }
        }
        done.set(true);
        reader.join();
        assertNull(problem.get(), problem.get());
        assertTrue(reads.get() > 0);
        assertEquals(puts + 1, db.size());
    }
}
