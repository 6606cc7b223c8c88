package org.espline.runtime.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Selector matching against a bit-by-bit reference: prefixes of every length, both families, addresses near the edges. */
class SelectorTest {
    private final Random random = new Random(4301);

    @Test
    void prefixMatchingAgreesWithABitByBitReference() throws UnknownHostException {
        for (int round = 0; round < 20_000; round++) {
            boolean v6 = round % 4 == 3;
            int bytes = v6 ? 16 : 4;
            byte[] src = randomAddress(bytes);
            byte[] dst = randomAddress(bytes);
            int srcBits = random.nextInt(bytes * 8 + 1);
            int dstBits = random.nextInt(bytes * 8 + 1);
            Selector s = new Selector(InetAddress.getByAddress(src), srcBits, InetAddress.getByAddress(dst), dstBits, 0, 0, 0xFFFF, 0, 0xFFFF);
            // Packets: often inside the prefix (a copy with some low bits flipped), sometimes anywhere.
            byte[] packet = new byte[2 + 2 * bytes];
            System.arraycopy(near(src, srcBits), 0, packet, 2, bytes);
            System.arraycopy(near(dst, dstBits), 0, packet, 2 + bytes, bytes);
            boolean expected = samePrefix(src, packet, 2, srcBits) && samePrefix(dst, packet, 2 + bytes, dstBits);
            assertEquals(expected, s.matches(v6, packet, 2, 2 + bytes, 6, 1, 2), s + " on round " + round);
            assertEquals(false, s.matches(!v6, packet, 2, 2 + bytes, 6, 1, 2), "the other family never matches");
        }
    }

    private byte[] randomAddress(int bytes) {
        byte[] a = new byte[bytes];
        random.nextBytes(a);
        return a;
    }

    /** {@code a} with one random bit flipped: inside the prefix when the bit lies behind it. */
    private byte[] near(byte[] a, int bits) {
        byte[] b = a.clone();
        if (random.nextInt(8) == 0) {
            random.nextBytes(b);
            return b;
        }
        int bit = random.nextInt(a.length * 8);
        b[bit >>> 3] ^= (byte) (0x80 >>> (bit & 7));
        return b;
    }

    private static boolean samePrefix(byte[] prefix, byte[] a, int off, int bits) {
        for (int i = 0; i < bits; i++) {
            int p = prefix[i >>> 3] >>> (7 - (i & 7)) & 1;
            int q = a[off + (i >>> 3)] >>> (7 - (i & 7)) & 1;
            if (p != q) {
                return false;
            }
        }
        return true;
    }
}
