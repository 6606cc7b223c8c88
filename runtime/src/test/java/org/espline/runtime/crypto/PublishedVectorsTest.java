package org.espline.runtime.crypto;

import static org.espline.runtime.crypto.EspTestSupport.concat;
import static org.espline.runtime.crypto.EspTestSupport.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.CCMBlockCipher;
import org.bouncycastle.crypto.modes.CCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.espline.runtime.sa.SaConfig;
import org.junit.jupiter.api.Test;

/**
 * Published test vectors, checked byte for byte through the production transforms. Where a vector
 * brings its own IV (ours is derived from the sequence number) the transform's {@code sealKeepingIv}
 * seam seals with the IV already in the packet; {@code open} always takes the IV from the packet.
 */
class PublishedVectorsTest {

    /** draft-mcgrew-gcm-test-01 §4: 14 AES-GCM ESP packets, 128/192/256-bit keys, 32-bit and 64-bit (ESN) sequence numbers. */
    @Test
    void aesGcmMcGrewDraftPackets() throws IOException {
        List<String[]> cases = readVectors("/crypto/draft-mcgrew-gcm-test-01.txt");
        assertEquals(14, cases.size());
        int esnCases = 0;
        for (String[] c : cases) {
            byte[] key = hex(c[0]);
            byte[] salt = hex(c[1]);
            int spi = (int) Long.parseLong(c[2], 16);
            boolean esn = c[3].length() == 16;
            long seq = Long.parseUnsignedLong(c[3], 16);
            byte[] iv = hex(c[4]);
            byte[] plaintext = hex(c[5]);
            byte[] expected = hex(c[6]);
            esnCases += esn ? 1 : 0;
            SaConfig sa = EspTestSupport.sa(EncryptionAlgorithm.AES_GCM, concat(key, salt), IntegrityAlgorithm.NONE,
                    null, 16, esn, 0x1000);
            String label = "case spi=" + c[2] + " seq=" + c[3];

            AesGcmTransform sealer = assertInstanceOf(AesGcmTransform.class, EspTransforms.create(sa));
            byte[] packet = concat(Arrays.copyOf(expected, 8), iv, plaintext, new byte[16]);
            sealer.sealKeepingIv(packet, 0, plaintext.length, null, 0, 0, seq);
            assertEquals(hex(expected), hex(packet), label);

            byte[] received = expected.clone();
            assertTrue(EspTransforms.create(sa).open(received, 0, plaintext.length, seq), label);
            assertEquals(hex(plaintext), hex(received, 16, plaintext.length), label);
        }
        assertEquals(9, esnCases, "the draft's ESN cases");
    }

    /**
     * draft-mcgrew-gcm-test-01's AES-GMAC case (RFC 4543), as the Linux kernel's crypto self-test carries it
     * (aes_gcm_rfc4543 template): zero IV, and a copy with a corrupted ICV that must fail.
     */
    @Test
    void aesGmacMcGrewDraftPacket() {
        byte[] key = hex("4c80cdefbb5d10da906ac73c3613a634 22433c64");
        byte[] payload = hex("45000030da3a00008001df3bc0a80005c0a800010800c6cd020007006162636465666768"
                + "696a6b6c6d6e6f707172737401020201");
        byte[] icv = hex("f2a9a836e155106aa8dcd618e4099aaa");
        byte[] expected = concat(hex("00004321 00000007 0000000000000000"), payload, icv);
        SaConfig sa = EspTestSupport.sa(EncryptionAlgorithm.AES_GMAC, key, IntegrityAlgorithm.NONE, null, 16, false, 0x4321);

        byte[] packet = concat(Arrays.copyOf(expected, 16), payload, new byte[16]);
        assertInstanceOf(AesGmacTransform.class, EspTransforms.create(sa)).sealKeepingIv(packet, 0, payload.length, null, 0, 0, 7);
        assertEquals(hex(expected), hex(packet));

        // Our own seal derives IV = seq = 7, not the vector's zero IV: the ICV must then differ.
        byte[] ours = concat(Arrays.copyOf(expected, 16), payload, new byte[16]);
        EspTransforms.create(sa).seal(ours, 0, payload.length, 7);
        assertEquals("0000000000000007", hex(ours, 8, 8));

        assertTrue(EspTransforms.create(sa).open(expected.clone(), 0, payload.length, 7));
        byte[] corrupted = expected.clone();
        Arrays.fill(corrupted, corrupted.length - 4, corrupted.length, (byte) 0);
        assertFalse(EspTransforms.create(sa).open(corrupted, 0, payload.length, 7));
    }

    /** RFC 7634 Appendix A, the ESP example: every byte of ciphertext and ICV. */
    @Test
    void chaCha20Poly1305Rfc7634EspExample() {
        byte[] key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f a0a1a2a3");
        byte[] plaintext = hex("4500 0054 a6f2 0000 4001 e778 c633 6405 c000 0205 0800 5b7a 3a08 0000 553b ec10"
                + "0007 3627 0809 0a0b 0c0d 0e0f 1011 1213 1415 1617 1819 1a1b 1c1d 1e1f 2021 2223"
                + "2425 2627 2829 2a2b 2c2d 2e2f 3031 3233 3435 3637 0102 0204");
        byte[] sealed = hex("2403 9428 b97f 417e 3c13 753a 4f05 087b 67c3 52e6 a7fa b1b9 82d4 66ef 407a e5c6"
                + "14ee 8099 d528 44eb 61aa 95df ab4c 02f7 2aa7 1e7c 4c4f 64c9 befe 2fac c638 e8f3"
                + "cbec 163f ac46 9b50 2773 f6fb 94e6 64da 9165 b828 29f6 41e0"
                + "76aa a826 6b7f b0f7 b11b 3699 07e1 ad43");
        byte[] header = hex("01020304 00000005 1011121314151617");
        SaConfig sa = EspTestSupport.sa(EncryptionAlgorithm.CHACHA20_POLY1305, key, IntegrityAlgorithm.NONE, null, 16, false, 0x01020304);

        byte[] packet = concat(header, plaintext, new byte[16]);
        assertInstanceOf(ChaCha20Poly1305Transform.class, EspTransforms.create(sa))
                .sealKeepingIv(packet, 0, plaintext.length, null, 0, 0, 5);
        assertEquals(hex(concat(header, sealed)), hex(packet));

        byte[] received = concat(header, sealed);
        assertTrue(EspTransforms.create(sa).open(received, 0, plaintext.length, 5));
        assertEquals(hex(plaintext), hex(received, 16, plaintext.length));
    }

    /**
     * RFC 3602 §4 cases #5-#8: complete ESP packets with AES-CBC and no authentication. We check the
     * CBC part byte for byte (our SA always has an HMAC; its ICV is checked against Bouncy Castle's HMAC),
     * then open the RFC packet with that ICV appended.
     */
    @Test
    void aesCbcRfc3602EspPackets() {
        String key56 = "90d382b410eeba7ad938c46cec1a82bf";
        String key78 = "0123456789abcdef0123456789abcdef";
        checkRfc3602(5, key56, 0x4321, 1, 1,
                "08000ebda70a00008e9c083db95b070008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                        + "202122232425262728292a2b2c2d2e2f3031323334353637",
                "0000432100000001e96e8c08ab465763fd098d45dd3ff893f663c25d325c18c6a9453e194e120849"
                        + "a4870b66cc6b9965330013b4898dc856a4699e523a55db080b59ec3a8e4b7e52775b07d1db34ed9c"
                        + "538ab50c551b874aa269add047ad2d5913ac19b7cfbad4a6");
        checkRfc3602(6, key56, 0x4321, 8, 1,
                "0800b5e8a80a0500a69c083d0b660e00777777777777777777777777",
                "000043210000000869d08df7d203329db093fc4924e5bd80f51995881ec4e0c4488987ce742e8109"
                        + "689bb379d2d750c0d915dca346a89f75");
        checkRfc3602(7, key78, 0x8765, 2, 4,
                "45000054090400004001f988c0a87b03c0a87bc808009f76a90a0100b49c083d02a2040008090a0b"
                        + "0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132"
                        + "3334353637",
                "0000876500000002f4e765244f6407adf13dc1380f673f37773b5241a4c449225e4f3ce5ed611b0c"
                        + "237ca96cf74a93013c1b0ea1a0cf70f8e4ecaec78ac53aad7a0f022b859243c647752e94a859352b"
                        + "8a4d4d2decd136e5c177f132ad3fbfb2201ac9904c74ee0a109e0ca1e4dfe9d5a100b842f1c22f0d");
        checkRfc3602(8, key78, 0x8765, 5, 4,
                "45000044090c00004001f990c0a87b03c0a87bc80800d63caa0a0200c69c083da3de0300ffffffff"
                        + "ffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                "000087650000000585d47224b5f3dd5d2101d4ea8dffab2215b92683819596a8047232cc00f7048f"
                        + "e45318e11f8a0f62ede3c3fc61203bb50f980a08c9843fd3a1b06d5c07ff9639b7eb7dfb3512e5de"
                        + "435e7207ed971ef3d2726d9b5ef6affc6d17a0decbb13892");
    }

    private static void checkRfc3602(int testCase, String key, int spi, long seq, int nextHeader, String inner, String rfcPacket) {
        byte[] expected = hex(rfcPacket);
        byte[] payload = EspTestSupport.espPayload(hex(inner), 16, nextHeader);
        assertEquals(expected.length - 24, payload.length, "case #" + testCase + " payload length");
        byte[] hmacKey = new byte[32];
        Arrays.fill(hmacKey, (byte) testCase);
        SaConfig sa = EspTestSupport.sa(EncryptionAlgorithm.AES_CBC, hex(key), IntegrityAlgorithm.HMAC_SHA256_128, hmacKey, -1, false, spi);

        byte[] packet = concat(Arrays.copyOf(expected, 24), payload, new byte[16]);
        assertInstanceOf(AesCbcHmacTransform.class, EspTransforms.create(sa)).sealKeepingIv(packet, 0, payload.length, null, 0, 0, seq);
        assertEquals(hex(expected), hex(packet, 0, expected.length), "case #" + testCase);
        byte[] icv = ReferenceEsp.hmac(sa, expected, new byte[4]);
        assertEquals(hex(icv), hex(packet, expected.length, 16), "case #" + testCase + " ICV");

        byte[] received = concat(expected, icv);
        assertTrue(EspTransforms.create(sa).open(received, 0, payload.length, seq), "case #" + testCase);
        assertEquals(hex(payload), hex(received, 24, payload.length), "case #" + testCase);
    }

    /**
     * RFC 4868 §2.7.2 authenticator test cases (HMAC-SHA-256-128, -384-192, -512-256) and RFC 2404's
     * HMAC-SHA-1-96 (its data from RFC 2202): the truncated ICV, through the ESP HMAC helper.
     */
    @Test
    void hmacTruncationRfc4868And2404() {
        byte[] hiThere = "Hi There".getBytes(StandardCharsets.US_ASCII);
        byte[] what = "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII);
        byte[] dd = filled(50, 0xdd);
        checkHmac(IntegrityAlgorithm.HMAC_SHA256_128, filled(32, 0x0b), hiThere, "198a607eb44bfbc69903a0f1cf2bbdc5");
        checkHmac(IntegrityAlgorithm.HMAC_SHA384_192, filled(48, 0x0b), hiThere, "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973");
        checkHmac(IntegrityAlgorithm.HMAC_SHA512_256, filled(64, 0x0b), hiThere,
                "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8");
        checkHmac(IntegrityAlgorithm.HMAC_SHA256_128, repeat("Jefe", 8), what, "167f928588c5cc2eef8e3093caa0e87c");
        checkHmac(IntegrityAlgorithm.HMAC_SHA384_192, repeat("Jefe", 12), what, "2c7353974f1842fd66d53c452ca42122b28c0b594cfb184d");
        checkHmac(IntegrityAlgorithm.HMAC_SHA512_256, repeat("Jefe", 16), what,
                "cb370917ae8a7ce28cfd1d8f4705d6141c173b2a9362c15df235dfb251b15454");
        checkHmac(IntegrityAlgorithm.HMAC_SHA256_128, filled(32, 0xaa), dd, "cdcb1220d1ecccea91e53aba3092f962");
        checkHmac(IntegrityAlgorithm.HMAC_SHA384_192, filled(48, 0xaa), dd, "809f439be00274321d4a538652164b53554a508184a0c316");
        checkHmac(IntegrityAlgorithm.HMAC_SHA512_256, filled(64, 0xaa), dd,
                "2ee7acd783624ca9398710f3ee05ae41b9f9b0510c87e49e586cc9bf961733d8");
        checkHmac(IntegrityAlgorithm.HMAC_SHA1_96, filled(20, 0x0b), hiThere, "b617318655057264e28bc0b6");
        checkHmac(IntegrityAlgorithm.HMAC_SHA1_96, filled(20, 0xaa), dd, "125d7342b9ac11cd91a39af4");
    }

    private static void checkHmac(IntegrityAlgorithm alg, byte[] key, byte[] data, String truncated) {
        EspHmac hmac = new EspHmac(alg, KeyMaterial.of(key), alg.defaultIcvLength(), false);
        byte[] out = new byte[alg.defaultIcvLength() + 2];
        hmac.sign(data, 0, data.length, null, 0, 0, 0, out, 1);
        assertEquals(truncated, hex(out, 1, alg.defaultIcvLength()), alg.toString());
        byte[] withIcv = concat(data, hex(truncated));
        assertTrue(hmac.verify(withIcv, 0, data.length, 0, data.length), alg.toString());

        // Where the data has the shape of an ESP packet (8-byte header, 4-aligned rest), the whole
        // NULL + HMAC transform must produce the same ICV.
        if (data.length >= 8 && data.length % 4 == 0) {
            SaConfig sa = EspTestSupport.sa(EncryptionAlgorithm.NULL, new byte[0], alg, key, -1, false, 0x1000);
            byte[] packet = concat(data, new byte[alg.defaultIcvLength()]);
            EspTransforms.create(sa).seal(packet, 0, data.length - 8, 0);
            assertEquals(truncated, hex(packet, data.length, alg.defaultIcvLength()), alg + " through NullHmacTransform");
        }
    }

    /**
     * RFC 3610 §8 packet vectors #1, #5 (8-byte tag) and #9, #10 (10-byte tag), 13-byte nonces, as the Linux
     * kernel's ccm(aes) self-test carries them: on Bouncy Castle's CCM as production configures it, and on
     * the independent {@link RfcCcm} the cross-checks rely on.
     */
    @Test
    void ccmCoreRfc3610PacketVectors() throws Exception {
        String key = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf";
        checkCcm(key, "00000003020100a0a1a2a3a4a5", "0001020304050607",
                "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
                "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0", 8);
        checkCcm(key, "00000007060504a0a1a2a3a4a5", "000102030405060708090a0b",
                "0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "dcf1fb7b5d9e23fb9d4e131253658ad86ebdca3e51e83f077d9c2d93", 8);
        checkCcm(key, "0000000b0a0908a0a1a2a3a4a5", "0001020304050607",
                "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
                "82531a60cc24945a4b8279181ab5c84df21ce7f9b73f42e197ea9c07e56b5eb17e5f4e", 10);
        checkCcm(key, "0000000c0b0a09a0a1a2a3a4a5", "000102030405060708090a0b",
                "0c0d0e0f101112131415161718191a1b1c1d1e",
                "07342594157785152b074098330abb141b947b566aa9406b4d999988dd", 10);
    }

    /**
     * RFC 4309's nonce (3-byte salt ‖ 8-byte IV, so a 4-byte length field) with 128/192/256-bit keys and
     * 16/16/8-byte tags, from the Linux kernel's rfc4309(ccm(aes)) self-test vectors (FIPS CAVS data). RFC
     * 4309 itself has no test vectors.
     */
    @Test
    void ccmRfc4309NonceLayout() throws Exception {
        checkCcm("1e2c7e01419aefc00d58966e5ca24bd3", "4fa319" + "d3015ad830601556",
                "dae6289c452dfd635eda4cb6e6fcf9b70c56cbe4e0057ae10a630978bc2c55de",
                "87a336fd96b39378a92863ba12a31485571e06c97b21ef767f387e8e29a43e7e",
                "8a1e11f0026be219fc70c46d8eb799abc54ba2acd3f348ff3bb5ce53efdebb02a986156c13feda0a22b8293dd8399a23", 16);
        checkCcm("56df5c8f263f0e42ef7ad3cefc846062cab440af5fc9c901", "d63c8c" + "8684b6cdef092e94",
                "0265783ce9213091b1b9da769a786d95f28832a3f250cb4ce300736984698779",
                "9fd2024b5249313c43693a2d8e70ad7ee0e54609808913b28c8bd93f86fbb56b",
                "39df7c3c5a29b9625d51c216d8bd069f9b6a0970c15183c266881d4f9adae01ec7791158e56b20407aea46428be46fe1", 16);
        checkCcm("e08d997160d7971abd0199d58adf713ad3df244b5e3d4b4e307ab9d8530a5e2b", "1e2991" + "ad8ec1530acf2dbe",
                "19b61f57c4f3f08b782b9402290f42276b75cb9834087e79e43e490d848b2287",
                "e1d9d813eb3a753f9dbd5f66bedcbb66bf1799624a39271f1ddc24ae192f984c",
                "19b86133452b43966f51d020307d9bc6263df8c96516a89ff0621734f21e8d754e13ccc0c32a542d", 8);
    }

    private static void checkCcm(String key, String nonce, String aad, String plaintext, String expected, int tag) throws Exception {
        byte[] pt = hex(plaintext);
        CCMModeCipher ccm = CCMBlockCipher.newInstance(AESEngine.newInstance());
        ccm.init(true, new AEADParameters(new KeyParameter(hex(key)), tag * 8, hex(nonce), hex(aad)));
        byte[] out = new byte[pt.length + tag];
        int n = ccm.processBytes(pt, 0, pt.length, out, 0);
        ccm.doFinal(out, n);
        assertEquals(expected, hex(out), "Bouncy Castle CCM");
        assertEquals(expected, hex(RfcCcm.seal(hex(key), hex(nonce), hex(aad), pt, tag)), "RfcCcm reference");
    }

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static byte[] repeat(String s, int times) {
        return s.repeat(times).getBytes(StandardCharsets.US_ASCII);
    }

    private static List<String[]> readVectors(String resource) throws IOException {
        List<String[]> out = new ArrayList<>();
        try (InputStream in = EspTestSupport.resource(resource)) {
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] f = line.split("\\|");
                    for (int i = 0; i < f.length; i++) {
                        f[i] = f[i].trim();
                    }
                    out.add(f);
                }
            }
        }
        return out;
    }
}
