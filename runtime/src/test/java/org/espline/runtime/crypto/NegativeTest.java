package org.espline.runtime.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.espline.runtime.crypto.EspTestSupport.Suite;
import org.espline.runtime.sa.SaConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every authenticated field, tampered with one bit at a time, must make {@code open} return false. */
class NegativeTest {
    static List<Suite> suites() {
        return EspTestSupport.allSuites();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void anyFlippedBitIsRejected(Suite suite) {
        Random rnd = new Random(~suite.toString().hashCode());
        for (boolean esn : new boolean[] {false, true}) {
            int spi = rnd.nextInt() | 0x1000;
            SaConfig sa = suite.config(rnd, esn, spi);
            long seq = esn ? 0x0000_0007_0000_0002L : 0x8000_0002L;
            byte[] payload = EspTestSupport.espPayload(EspTestSupport.random(rnd, 61), suite.align(), 41);
            EspTransform sealer = EspTransforms.create(sa);
            byte[] sealed = EspTestSupport.linearPacket(0, spi, seq, sealer.ivLength(), payload, sealer.icvLength(), 0);
            sealer.seal(sealed, 0, payload.length, seq);
            String at = suite + (esn ? " esn" : "");

            EspTransform opener = EspTransforms.create(sa);
            for (int bitOffset : positions(sealer, payload.length)) {
                byte[] tampered = sealed.clone();
                tampered[bitOffset / 8] ^= (byte) (1 << (bitOffset % 8));
                assertFalse(opener.open(tampered, 0, payload.length, seq), at + ": bit " + bitOffset + " flipped");
            }
            if (esn) {
                assertFalse(opener.open(sealed.clone(), 0, payload.length, seq ^ (1L << 32)), at + ": wrong seq-high");
                assertFalse(opener.open(sealed.clone(), 0, payload.length, seq + (1L << 32)), at + ": seq-high + 1");
            } else {
                // Without ESN nothing but the low 32 bits is authenticated: high bits must not matter.
                assertTrue(opener.open(sealed.clone(), 0, payload.length, seq | (5L << 32)), at + ": seq-high ignored");
            }
            // A receiver that rejected forgeries still opens the genuine packet, twice (a replayed copy
            // reaches open when replay protection is off).
            for (int i = 0; i < 2; i++) {
                byte[] received = sealed.clone();
                assertTrue(opener.open(received, 0, payload.length, seq), at + ": genuine packet after forgeries");
                assertArrayEquals(payload, Arrays.copyOfRange(received, 8 + sealer.ivLength(), 8 + sealer.ivLength() + payload.length), at);
            }
        }
    }

    /** Bit offsets in SPI, seq-low, IV, first/middle/last payload byte and first/last ICV byte. */
    private static List<Integer> positions(EspTransform t, int payloadLength) {
        List<Integer> bits = new ArrayList<>();
        int iv = t.ivLength();
        int payloadOffset = 8 + iv;
        int icvOffset = payloadOffset + payloadLength;
        int[] bytes = {0, 3, 4, 7, payloadOffset, payloadOffset + payloadLength / 2, icvOffset - 2, icvOffset - 1,
                icvOffset, icvOffset + t.icvLength() - 1};
        for (int b : bytes) {
            bits.add(b * 8 + (b % 8));
        }
        if (iv > 0) {
            bits.add(8 * 8 + 7);
            bits.add((8 + iv - 1) * 8);
        }
        return bits;
    }
}
