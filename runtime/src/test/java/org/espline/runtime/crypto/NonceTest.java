package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.espline.runtime.crypto.EspTestSupport.Suite;
import org.espline.runtime.sa.SaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** IVs (and so AEAD nonces) never repeat across sequence numbers; a repeated seal is refused. */
class NonceTest {
    static List<Suite> suites() {
        return EspTestSupport.allSuites().stream().filter(s -> s.enc() != EncryptionAlgorithm.NULL).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void ivsDifferForEverySequenceNumber(Suite suite) {
        Random rnd = new Random(7);
        SaConfig sa = suite.config(rnd, true, 0x1234);
        EspTransform t = EspTransforms.create(sa);
        byte[] payload = EspTestSupport.espPayload(new byte[10], suite.align(), 4);
        Set<String> ivs = new HashSet<>();
        long[] starts = {1, (1L << 32) - 1000};
        for (long start : starts) {
            for (long seq = start; seq < start + 2000; seq++) {
                byte[] p = EspTestSupport.linearPacket(0, 0x1234, seq, t.ivLength(), payload, t.icvLength(), 0);
                t.seal(p, 0, payload.length, seq);
                assertTrue(ivs.add(hex(p, 8, t.ivLength())), suite + ": IV repeated at seq " + seq);
            }
        }
        assertEquals(4000, ivs.size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void identicalPacketsWithDifferentSequenceNumbersDiffer(Suite suite) {
        SaConfig sa = suite.config(new Random(3), false, 0x4321);
        EspTransform t = EspTransforms.create(sa);
        byte[] payload = EspTestSupport.espPayload(new byte[32], suite.align(), 4);
        byte[] a = EspTestSupport.linearPacket(0, 0x4321, 0, t.ivLength(), payload, t.icvLength(), 0);
        byte[] b = a.clone();
        t.seal(a, 0, payload.length, 100);
        t.seal(b, 0, payload.length, 101);
        assertNotEquals(hex(a, 8, t.ivLength()), hex(b, 8, t.ivLength()));
        if (suite.enc() != EncryptionAlgorithm.AES_GMAC) {
            int body = 8 + t.ivLength();
            assertNotEquals(hex(a, body, payload.length), hex(b, body, payload.length), "same plaintext, same ciphertext");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void aeadRefusesToSealOneSequenceNumberTwice(Suite suite) {
        if (suite.enc() == EncryptionAlgorithm.AES_CBC) {
            return; // CBC IVs are not nonces; a repeat weakens nothing beyond revealing equal packets.
        }
        EspTransform t = EspTransforms.create(suite.config(new Random(5), false, 0x4321));
        byte[] payload = EspTestSupport.espPayload(new byte[8], suite.align(), 4);
        byte[] p = EspTestSupport.linearPacket(0, 0x4321, 9, t.ivLength(), payload, t.icvLength(), 0);
        t.seal(p, 0, payload.length, 9);
        byte[] again = EspTestSupport.linearPacket(0, 0x4321, 9, t.ivLength(), payload, t.icvLength(), 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.seal(again, 0, payload.length, 9));
        assertTrue(e.getMessage().contains("sealed twice"), e.getMessage());
    }

    /**
     * One instance may open a packet and then seal with the same sequence number (a loopback SA used
     * both ways, or a shared key); SunJCE's ChaCha20 and BC's GCM refuse such back-to-back inits unless
     * the transform steps around them.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void sealAfterOpeningTheSameNonceWorks(Suite suite) {
        SaConfig sa = suite.config(new Random(11), false, 0x4321);
        EspTransform peer = EspTransforms.create(sa);
        EspTransform t = EspTransforms.create(sa);
        byte[] payload = EspTestSupport.espPayload(new byte[20], suite.align(), 4);
        byte[] incoming = EspTestSupport.linearPacket(0, 0x4321, 0, t.ivLength(), payload, t.icvLength(), 0);
        peer.seal(incoming, 0, payload.length, 0);
        byte[] reference = incoming.clone();
        assertTrue(t.open(incoming, 0, payload.length, 0));
        byte[] outgoing = EspTestSupport.linearPacket(0, 0x4321, 0, t.ivLength(), payload, t.icvLength(), 0);
        t.seal(outgoing, 0, payload.length, 0);
        assertArrayEquals(reference, outgoing);
    }

    @Test
    void cbcIvsDependOnTheSpi() {
        byte[] key = new byte[16];
        byte[] hmacKey = new byte[32];
        SaConfig a = EspTestSupport.sa(EncryptionAlgorithm.AES_CBC, key, IntegrityAlgorithm.HMAC_SHA256_128, hmacKey, -1, false, 0x1000);
        SaConfig b = EspTestSupport.sa(EncryptionAlgorithm.AES_CBC, key, IntegrityAlgorithm.HMAC_SHA256_128, hmacKey, -1, false, 0x1001);
        byte[] payload = new byte[16];
        byte[] pa = EspTestSupport.linearPacket(0, 0x1000, 1, 16, payload, 16, 0);
        byte[] pb = EspTestSupport.linearPacket(0, 0x1001, 1, 16, payload, 16, 0);
        EspTransforms.create(a).seal(pa, 0, 16, 1);
        EspTransforms.create(b).seal(pb, 0, 16, 1);
        assertNotEquals(hex(pa, 8, 16), hex(pb, 8, 16));
    }
}
