package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspTestSupport.CANARY;
import static org.espline.runtime.crypto.EspTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.espline.runtime.crypto.EspTestSupport.Suite;
import org.espline.runtime.sa.SaConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The segmented seal (payload split between packet and a trailer fragment) must produce the very bytes
 * of the linear seal, for every algorithm and split points on and around every block boundary.
 */
class SegmentedSealTest {
    static List<Suite> suites() {
        return EspTestSupport.allSuites();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void segmentedEqualsLinear(Suite suite) {
        Random rnd = new Random(31L * suite.toString().hashCode());
        for (boolean esn : new boolean[] {false, true}) {
            int spi = rnd.nextInt() | 0x1000;
            SaConfig sa = suite.config(rnd, esn, spi);
            EspTransform linear = EspTransforms.create(sa);
            EspTransform segmented = EspTransforms.create(sa);
            long seq = esn ? (1L << 32) - 3 : 1;
            for (int inner : new int[] {0, 1, 2, 13, 14, 30, 31, 45, 62, 100, 257, 1400}) {
                byte[] payload = EspTestSupport.espPayload(EspTestSupport.random(rnd, inner), suite.align(), 17);
                for (int split = 0; split <= payload.length; split++) {
                    if (payload.length > 300 && split % 16 > 2 && split % 16 < 14 && split % 7 != 0 && payload.length - split > 40) {
                        continue;
                    }
                    check(sa, spi, seq++, payload, split, linear, segmented, rnd,
                            suite + (esn ? " esn" : "") + " payload=" + payload.length + " split=" + split);
                }
            }
        }
    }

    private static void check(SaConfig sa, int spi, long seq, byte[] payload, int split, EspTransform linear,
                              EspTransform segmented, Random rnd, String at) {
        int iv = linear.ivLength();
        int icv = linear.icvLength();
        int lead = rnd.nextInt(5);
        byte[] whole = EspTestSupport.linearPacket(lead, spi, seq, iv, payload, icv, 3);
        linear.seal(whole, lead, payload.length, seq);

        byte[] head = EspTestSupport.linearPacket(lead, spi, seq, iv, Arrays.copyOf(payload, split), 0, 3);
        int tailOffset = rnd.nextInt(5);
        int tailLength = payload.length - split;
        byte[] tail = new byte[tailOffset + tailLength + icv + 3];
        Arrays.fill(tail, CANARY);
        System.arraycopy(payload, split, tail, tailOffset, tailLength);
        segmented.seal(head, lead, split, tail, tailOffset, tailLength, seq);

        int headLength = 8 + iv + split;
        assertEquals(hex(whole, lead, headLength), hex(head, lead, headLength), at + ": head");
        assertEquals(hex(whole, lead + headLength, tailLength + icv), hex(tail, tailOffset, tailLength + icv), at + ": tail and ICV");
        CrossCheckTest.assertCanaries(head, lead, headLength, at + " head");
        CrossCheckTest.assertCanaries(tail, tailOffset, tailLength + icv, at + " tail");
        assertTrue(EspTransforms.create(sa).open(whole, lead, payload.length, seq), at + ": open");
    }
}
