package org.espline.runtime.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import org.espline.runtime.crypto.EspTestSupport.Suite;
import org.espline.runtime.sa.SaConfig;
import org.junit.jupiter.api.Test;

/**
 * The {@code bouncycastle} offload backend's transforms against the JCA ones (themselves checked against scapy and
 * the RFC vectors): for every suite Bouncy Castle supports, with and without ESN, linear and with the trailer in a
 * separate array, the sealed bytes are identical and each side opens the other's packet; a flipped ICV bit fails.
 */
class BcEspTransformsTest {
    private static final int[] SIZES = {0, 1, 15, 16, 100, 1400};

    @Test
    void bouncyCastleSealsTheJcaBytesAndOpensThem() {
        Random rnd = new Random(6);
        int checked = 0;
        for (Suite suite : EspTestSupport.allSuites()) {
            for (boolean esn : new boolean[] {false, true}) {
                SaConfig sa = suite.config(rnd, esn, rnd.nextInt() | 0x100);
                if (!BcEspTransforms.supports(sa)) {
                    assertTrue(suite.enc() == EncryptionAlgorithm.AES_GMAC || suite.enc() == EncryptionAlgorithm.NULL, suite::toString);
                    assertThrows(IllegalArgumentException.class, () -> BcEspTransforms.create(sa));
                    continue;
                }
                EspTransform jca = EspTransforms.create(sa);
                EspTransform bc = BcEspTransforms.create(sa);
                assertEquals(jca.ivLength(), bc.ivLength());
                assertEquals(jca.icvLength(), bc.icvLength());
                assertEquals(jca.blockSize(), bc.blockSize());
                long seq = esn ? 0x0000_0001_FFFF_FFFEL : 0x7FFF_FFFEL;
                for (int size : SIZES) {
                    String at = suite + (esn ? " esn" : "") + " inner=" + size;
                    byte[] payload = EspTestSupport.espPayload(EspTestSupport.random(rnd, size), suite.align(), 4);
                    byte[] a = EspTestSupport.linearPacket(0, sa.spi(), seq, jca.ivLength(), payload, jca.icvLength(), 0);
                    byte[] b = a.clone();
                    jca.seal(a, 0, payload.length, seq);
                    bc.seal(b, 0, payload.length, seq);
                    assertArrayEquals(a, b, at);

                    // Segmented: the last block of payload and the ICV in a separate array.
                    int tailLength = Math.min(payload.length, jca.blockSize());
                    byte[] head = EspTestSupport.linearPacket(0, sa.spi(), seq + 1, jca.ivLength(), payload, 0, 0);
                    byte[] tail = new byte[tailLength + jca.icvLength()];
                    System.arraycopy(head, head.length - tailLength, tail, 0, tailLength);
                    byte[] linear = EspTestSupport.linearPacket(0, sa.spi(), seq + 1, jca.ivLength(), payload, jca.icvLength(), 0);
                    jca.seal(linear, 0, payload.length, seq + 1);
                    bc.seal(head, 0, payload.length - tailLength, tail, 0, tailLength, seq + 1);
                    byte[] joined = Arrays.copyOf(head, head.length - tailLength + tail.length);
                    System.arraycopy(tail, 0, joined, head.length - tailLength, tail.length);
                    assertArrayEquals(linear, joined, at + " segmented");

                    byte[] forJca = b.clone();
                    assertTrue(jca.open(forJca, 0, payload.length, seq), at + ": JCA opens Bouncy Castle's");
                    assertTrue(bc.open(a, 0, payload.length, seq), at + ": Bouncy Castle opens the JCA's");
                    assertArrayEquals(a, forJca, at + ": same plaintext");
                    byte[] forged = b.clone();
                    forged[forged.length - 1] ^= 1;
                    assertFalse(bc.open(forged, 0, payload.length, seq), at + ": forged ICV");
                    seq += 2;
                    checked++;
                }
            }
        }
        assertTrue(checked > 200, "checked " + checked);
    }
}
