package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.espline.runtime.crypto.EspTestSupport.Suite;
import org.espline.runtime.sa.SaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class EspTransformsTest {
    static List<Suite> suites() {
        return EspTestSupport.allSuites();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void geometryFollowsTheAlgorithm(Suite suite) {
        SaConfig sa = suite.config(new Random(1), false, 0x1000);
        EspTransform t = EspTransforms.create(sa);
        assertEquals(sa.encryption().ivLength(), t.ivLength());
        assertEquals(sa.icvLength(), t.icvLength());
        assertEquals(sa.encryption().blockSize(), t.blockSize());
        assertNotSame(t, EspTransforms.create(sa), "a new instance per call");
        Class<?> expected;
        switch (sa.encryption()) {
            case AES_GCM: expected = sa.icvLength() == 8 ? BcAeadTransform.class : AesGcmTransform.class; break;
            case AES_CCM: expected = BcAeadTransform.class; break;
            case CHACHA20_POLY1305: expected = ChaCha20Poly1305Transform.class; break;
            case AES_GMAC: expected = AesGmacTransform.class; break;
            case AES_CBC: expected = AesCbcHmacTransform.class; break;
            default: expected = NullHmacTransform.class; break;
        }
        assertInstanceOf(expected, t);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void keysNeverAppearInToStringOrMisuseMessages(Suite suite) {
        SaConfig sa = suite.config(new Random(2), true, 0x1000);
        EspTransform t = EspTransforms.create(sa);
        byte[] packet = new byte[64];
        IllegalArgumentException misuse = assertThrows(IllegalArgumentException.class, () -> t.seal(packet, 0, 3, 1));
        for (String text : new String[] {t.toString(), misuse.getMessage()}) {
            for (byte[] key : new byte[][] {sa.encryptionKey().copy(), sa.integrityKey().copy()}) {
                if (key.length >= 8) {
                    String k = hex(key, 0, 8);
                    assertFalse(text.toLowerCase(Locale.ROOT).contains(k), text + " shows key bytes");
                }
            }
        }
    }

    @Test
    void benchmarkOnlyNullNeedsTheFlagAndProtectsNothing() {
        assertThrows(IllegalArgumentException.class, () -> EspTestSupport.sa(EncryptionAlgorithm.NULL, new byte[0],
                IntegrityAlgorithm.NONE, null, -1, false, 0x1000));
        SaConfig sa = SaConfig.builder().source(EspTestSupport.address(1)).destination(EspTestSupport.address(2))
                .spi(0x1000).encryption(EncryptionAlgorithm.NULL, KeyMaterial.EMPTY)
                .benchmarkOnlyNullWithoutIntegrity(true).build();
        EspTransform t = EspTransforms.create(sa);
        assertInstanceOf(BenchmarkOnlyNullTransform.class, t);
        assertEquals(0, t.ivLength());
        assertEquals(0, t.icvLength());
        byte[] payload = EspTestSupport.espPayload(new byte[7], 4, 4);
        byte[] packet = EspTestSupport.linearPacket(0, 0x1000, 1, 0, payload, 0, 0);
        byte[] before = packet.clone();
        t.seal(packet, 0, payload.length, 1);
        assertTrue(Arrays.equals(before, packet), "NULL seals nothing");
        packet[9] ^= 1;
        assertTrue(t.open(packet, 0, payload.length, 1), "and detects nothing");
    }

    @Test
    void misalignedOrInconsistentSealsAreProgrammingErrors() {
        SaConfig cbc = new Suite(EncryptionAlgorithm.AES_CBC, 16, IntegrityAlgorithm.HMAC_SHA256_128, 16).config(new Random(4), false, 0x1000);
        EspTransform t = EspTransforms.create(cbc);
        byte[] p = new byte[128];
        assertThrows(IllegalArgumentException.class, () -> t.seal(p, 0, 20, 1), "CBC needs whole blocks");
        assertThrows(IllegalArgumentException.class, () -> t.seal(p, 0, 16, null, 0, 16, 1), "tail length without tail");
        assertThrows(IllegalArgumentException.class, () -> t.seal(p, 0, -16, 1));
        assertFalse(t.open(p, 0, 20, 1), "a received CBC payload that is not whole blocks is dropped, not thrown");
    }
}
