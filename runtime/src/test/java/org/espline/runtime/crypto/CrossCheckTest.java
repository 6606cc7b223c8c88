package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspTestSupport.CANARY;
import static org.espline.runtime.crypto.EspTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.espline.runtime.crypto.EspTestSupport.Suite;
import org.espline.runtime.sa.SaConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every algorithm, key size and ICV length against {@link ReferenceEsp} (a second implementation of each
 * primitive, driven straight from the RFC layout), for random keys and SPIs, every inner payload size
 * 0..1500, ESN off and on, and with ESN a run of sequence numbers crossing 2^32.
 */
class CrossCheckTest {
    static final int MAX_INNER = 1500;

    static List<Suite> suites() {
        return EspTestSupport.allSuites();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void sealMatchesReferenceAndOpensReference(Suite suite) {
        Random rnd = new Random(suite.toString().hashCode());
        for (boolean esn : new boolean[] {false, true}) {
            int spi = rnd.nextInt() | 0x1000;
            SaConfig sa = suite.config(rnd, esn, spi);
            EspTransform sealer = EspTransforms.create(sa);
            EspTransform opener = EspTransforms.create(sa);
            // Without ESN the counter ends at 2^32 - 1; with ESN it runs through 2^32.
            long seq = esn ? (1L << 32) - MAX_INNER / 2 : (1L << 32) - MAX_INNER - 1;
            for (int size = 0; size <= MAX_INNER; size++, seq++) {
                String at = suite + (esn ? " esn" : "") + " inner=" + size + " seq=0x" + Long.toHexString(seq);
                byte[] payload = EspTestSupport.espPayload(EspTestSupport.random(rnd, size), suite.align(), 4);
                int lead = rnd.nextInt(9);
                int trailing = rnd.nextInt(9);
                int iv = sealer.ivLength();
                int icv = sealer.icvLength();
                int espLength = 8 + iv + payload.length + icv;

                byte[] packet = EspTestSupport.linearPacket(lead, spi, seq, iv, payload, icv, trailing);
                sealer.seal(packet, lead, payload.length, seq);
                byte[] sentIv = Arrays.copyOfRange(packet, lead + 8, lead + 8 + iv);
                assertEquals(hex(ReferenceEsp.expectedIv(sa, seq)), hex(sentIv), at + ": IV");
                byte[] expected = ReferenceEsp.seal(sa, spi, seq, sentIv, payload);
                assertEquals(espLength, expected.length, at);
                if (!Arrays.equals(expected, 0, espLength, packet, lead, lead + espLength)) {
                    assertEquals(hex(expected), hex(packet, lead, espLength), at);
                }
                assertCanaries(packet, lead, espLength, at);

                byte[] received = new byte[lead + espLength + trailing];
                Arrays.fill(received, CANARY);
                System.arraycopy(expected, 0, received, lead, espLength);
                assertTrue(opener.open(received, lead, payload.length, seq), at + ": open of the reference packet");
                if (!Arrays.equals(payload, 0, payload.length, received, lead + 8 + iv, lead + 8 + iv + payload.length)) {
                    fail(at + ": opened payload differs");
                }
                assertCanaries(received, lead, espLength, at);
            }
        }
    }

    static void assertCanaries(byte[] b, int from, int length, String at) {
        for (int i = 0; i < b.length; i++) {
            if ((i < from || i >= from + length) && b[i] != CANARY) {
                fail(at + ": byte " + i + " outside the packet [" + from + ", " + (from + length) + ") was written");
            }
        }
    }
}
