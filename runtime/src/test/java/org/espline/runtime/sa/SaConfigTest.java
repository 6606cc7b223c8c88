package org.espline.runtime.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** SaConfig.Builder validation: one test per rule with its passing twin, asserting the message. */
class SaConfigTest {

    static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Distinctive key bytes: their hex must never show up in a message or toString. */
    static KeyMaterial key(int len) {
        byte[] k = new byte[len];
        for (int i = 0; i < len; i++) {
            k[i] = (byte) (0xA0 + (i & 0x0F));
        }
        return KeyMaterial.of(k);
    }

    static SaConfig.Builder gcm() {
        return SaConfig.builder().source(ip("192.0.2.1")).destination(ip("198.51.100.7")).spi(0x1000)
                .mode(SaMode.TUNNEL).encryption(EncryptionAlgorithm.AES_GCM, key(20)).icvLength(16);
    }

    static SaConfig.Builder cbcSha256() {
        return SaConfig.builder().source(ip("192.0.2.1")).destination(ip("198.51.100.7")).spi(0x2000)
                .encryption(EncryptionAlgorithm.AES_CBC, key(16)).integrity(IntegrityAlgorithm.HMAC_SHA256_128, key(32));
    }

    static String refused(SaConfig.Builder b) {
        return assertThrows(IllegalArgumentException.class, b::build).getMessage();
    }

    // ------------------------------------------------------------------ defaults

    @Test
    void validGcmWithDefaults() {
        SaConfig c = gcm().build();
        assertEquals("spi 0x1000", c.name());
        assertEquals(0x1000, c.spi());
        assertEquals(SaMode.TUNNEL, c.mode());
        assertEquals(16, c.icvLength());
        assertEquals(32, c.replayWindow());
        assertFalse(c.esn());
        assertFalse(c.isIpv6());
        assertNull(c.encapsulation());
        assertSame(IntegrityAlgorithm.NONE, c.integrity());
        assertSame(Lifetime.UNLIMITED, c.softLifetime());
        assertSame(Lifetime.UNLIMITED, c.hardLifetime());
        assertEquals(8 + 8 + 3 + 2 + 16, c.maxEspOverhead());
    }

    @Test
    void modeDefaultsToTransportAndAeadIcvToSixteen() {
        SaConfig c = SaConfig.builder().source(ip("192.0.2.1")).destination(ip("192.0.2.2")).spi(0x100)
                .encryption(EncryptionAlgorithm.AES_GCM, key(20)).build();
        assertEquals(SaMode.TRANSPORT, c.mode());
        assertEquals(16, c.icvLength());
    }

    @Test
    void toBuilderRoundTrips() {
        SaConfig c = gcm().name("tun0").esn(true).replayWindow(4096).outboundSequence(0x1_0000_0000L)
                .inboundSequence(7).tfcPadTo(1200).reqid(9).build();
        SaConfig d = c.toBuilder().build();
        assertEquals(c.toString(), d.toString());
        assertEquals(0x1_0000_0000L, d.outboundSequence());
        assertEquals(7, d.inboundSequence());
        assertEquals(1200, d.tfcPadTo());
        assertEquals(9, d.reqid());
        assertEquals(c.encryptionKey(), d.encryptionKey());
        assertEquals(0x2001, c.toBuilder().spi(0x2001).build().spi());
    }

    // ------------------------------------------------------------------ addresses

    @Test
    void addressesRequiredAndOfOneFamily() {
        assertThrows(NullPointerException.class, () -> gcm().destination(null).build());
        assertEquals("source address is required", refused(gcm().source(null)));
        assertEquals("source and destination must be the same address family: 192.0.2.1 vs 2001:db8:0:0:0:0:0:1",
                refused(gcm().destination(ip("2001:db8::1"))));
        SaConfig v6 = gcm().source(ip("2001:db8::2")).destination(ip("2001:db8::1")).build();
        assertTrue(v6.isIpv6());
    }

    // ------------------------------------------------------------------ SPI

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 0x7F, 0xFF})
    void reservedSpiRefused(int spi) {
        assertEquals("spi 0x" + Integer.toHexString(spi) + " is reserved (expected >= 0x100)", refused(gcm().spi(spi)));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x100, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF})
    void spiFrom256UpAcceptedIncludingTopBit(int spi) {
        assertEquals(spi, gcm().spi(spi).build().spi());
    }

    // ------------------------------------------------------------------ keys

    @ParameterizedTest(name = "{0} key {1} bytes")
    @CsvSource({
            "AES_GCM, 20", "AES_GCM, 28", "AES_GCM, 36",
            "AES_CCM, 19", "AES_CCM, 27", "AES_CCM, 35",
            "CHACHA20_POLY1305, 36",
            "AES_GMAC, 20", "AES_GMAC, 36",
    })
    void aeadKeyLengthsIncludeSalt(EncryptionAlgorithm alg, int len) {
        SaConfig c = gcm().encryption(alg, key(len)).icvLength(16).build();
        assertEquals(len, c.encryptionKey().length());
    }

    @ParameterizedTest(name = "{0} key {1} bytes")
    @CsvSource({
            "AES_GCM, 16, 4", "AES_GCM, 32, 4", "AES_GCM, 21, 4", "AES_GCM, 2, 4", "AES_GCM, 0, 4",
            "AES_CCM, 20, 3", "AES_CCM, 16, 3",
            "CHACHA20_POLY1305, 32, 4", "CHACHA20_POLY1305, 20, 4",
            "AES_GMAC, 16, 4",
    })
    void aeadKeyWithoutRightSaltRefused(EncryptionAlgorithm alg, int len, int salt) {
        assertEquals(alg.linuxName() + ": key length " + len + " bytes is invalid (cipher key + " + salt + "-byte salt)",
                refused(gcm().encryption(alg, key(len)).icvLength(16)));
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 24, 32})
    void cbcKeyLengthsAccepted(int len) {
        assertEquals(len, cbcSha256().encryption(EncryptionAlgorithm.AES_CBC, key(len)).build().encryptionKey().length());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 15, 20, 36})
    void cbcKeyLengthsRefusedWithoutSaltNote(int len) {
        assertEquals("cbc(aes): key length " + len + " bytes is invalid",
                refused(cbcSha256().encryption(EncryptionAlgorithm.AES_CBC, key(len))));
    }

    @Test
    void nullCipherTakesNoKey() {
        assertEquals("ecb(cipher_null): key length 4 bytes is invalid",
                refused(cbcSha256().encryption(EncryptionAlgorithm.NULL, key(4))));
        assertEquals(16, cbcSha256().encryption(EncryptionAlgorithm.NULL, KeyMaterial.EMPTY).build().icvLength());
    }

    // ------------------------------------------------------------------ AEAD and integrity

    @Test
    void aeadWithIntegrityRefused() {
        assertEquals("rfc4106(gcm(aes)) is AEAD and takes no separate integrity algorithm",
                refused(gcm().integrity(IntegrityAlgorithm.HMAC_SHA256_128, key(32))));
        assertEquals("rfc7539esp(chacha20,poly1305) is AEAD and takes no separate integrity algorithm",
                refused(gcm().encryption(EncryptionAlgorithm.CHACHA20_POLY1305, key(36))
                        .integrity(IntegrityAlgorithm.HMAC_SHA1_96, key(20))));
    }

    @ParameterizedTest(name = "{0} icv {1}")
    @CsvSource({
            "AES_GCM, 8, true", "AES_GCM, 12, true", "AES_GCM, 16, true", "AES_GCM, 10, false", "AES_GCM, 32, false",
            "AES_GCM, 0, false",
            "AES_CCM, 8, true", "AES_CCM, 12, true", "AES_CCM, 4, false",
            "CHACHA20_POLY1305, 16, true", "CHACHA20_POLY1305, 12, false",
            "AES_GMAC, 16, true", "AES_GMAC, 8, false",
    })
    void aeadIcvLengths(EncryptionAlgorithm alg, int icv, boolean ok) {
        int keyLen = 32 + alg.saltLength();
        SaConfig.Builder b = gcm().encryption(alg, key(keyLen)).icvLength(icv);
        if (ok) {
            assertEquals(icv, b.build().icvLength());
        } else {
            assertEquals(alg.linuxName() + ": ICV length " + icv * 8 + " bits is invalid", refused(b));
        }
    }

    @Test
    void nullWithoutIntegrityRefusedUnlessBenchmarkFlag() {
        SaConfig.Builder b = gcm().encryption(EncryptionAlgorithm.NULL, KeyMaterial.EMPTY).icvLength(-1);
        assertEquals("NULL encryption without integrity is refused (RFC 4303 section 3.2)", refused(b));
        SaConfig c = b.benchmarkOnlyNullWithoutIntegrity(true).build();
        assertTrue(c.benchmarkOnlyNullWithoutIntegrity());
        assertEquals(0, c.icvLength());
        assertEquals(8 + 0 + 3 + 2, c.maxEspOverhead());
    }

    @Test
    void benchmarkFlagDoesNotAllowOtherCiphersWithoutIntegrity() {
        assertEquals("cbc(aes) needs an integrity algorithm (confidentiality-only ESP is not supported)",
                refused(cbcSha256().integrity(IntegrityAlgorithm.NONE, KeyMaterial.EMPTY)));
        assertEquals("cbc(aes) needs an integrity algorithm (confidentiality-only ESP is not supported)",
                refused(cbcSha256().integrity(IntegrityAlgorithm.NONE, KeyMaterial.EMPTY).benchmarkOnlyNullWithoutIntegrity(true)));
    }

    @Test
    void nullWithIntegrityAccepted() {
        SaConfig c = cbcSha256().encryption(EncryptionAlgorithm.NULL, KeyMaterial.EMPTY)
                .integrity(IntegrityAlgorithm.HMAC_SHA1_96, key(20)).build();
        assertEquals(12, c.icvLength());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "HMAC_SHA1_96, 20, 12",
            "HMAC_SHA256_128, 32, 16",
            "HMAC_SHA384_192, 48, 24",
            "HMAC_SHA512_256, 64, 32",
    })
    void hmacDefaultTruncationAndKey(IntegrityAlgorithm alg, int keyLen, int icv) {
        SaConfig c = cbcSha256().integrity(alg, key(keyLen)).build();
        assertEquals(icv, c.icvLength());
        assertEquals(icv, cbcSha256().integrity(alg, key(keyLen)).icvLength(icv).build().icvLength(), "explicit default");
        assertEquals(8 + 16 + 15 + 2 + icv, c.maxEspOverhead());
        assertEquals(alg.linuxName() + ": key length " + (keyLen - 1) + " bytes is invalid (expected " + keyLen + ")",
                refused(cbcSha256().integrity(alg, key(keyLen - 1))));
        assertEquals(alg.linuxName() + ": truncation " + (icv - 4) * 8 + " bits is invalid (expected " + icv * 8 + ")",
                refused(cbcSha256().integrity(alg, key(keyLen)).icvLength(icv - 4)));
    }

    @Test
    void hmacSha256At96BitsRefused() {
        // the classic interop slip: Linux "hmac(sha256)" with the RFC 2404-style 96-bit truncation
        assertEquals("hmac(sha256): truncation 96 bits is invalid (expected 128)", refused(cbcSha256().icvLength(12)));
    }

    // ------------------------------------------------------------------ sequence numbers, encapsulation, ranges

    @Test
    void sequenceNumbersAboveTwoToThe32NeedEsn() {
        String msg = "sequence numbers above 2^32 need ESN (flag esn)";
        assertEquals(msg, refused(gcm().outboundSequence(0x1_0000_0000L)));
        assertEquals(msg, refused(gcm().inboundSequence(0x1_0000_0000L)));
        assertEquals(msg, refused(gcm().outboundSequence(-1L)));
        assertEquals(0xFFFF_FFFFL, gcm().outboundSequence(0xFFFF_FFFFL).build().outboundSequence());
        assertEquals(0xFFFF_FFFFL, gcm().inboundSequence(0xFFFF_FFFFL).build().inboundSequence());
        assertEquals(0x1_0000_0000L, gcm().esn(true).outboundSequence(0x1_0000_0000L).build().outboundSequence());
        assertEquals(-1L, gcm().esn(true).inboundSequence(-1L).build().inboundSequence());
    }

    @Test
    void udpEncapsulationIsIpv4Only() {
        UdpEncapsulation nat = new UdpEncapsulation(4500, 4500, null);
        assertEquals("UDP encapsulation (RFC 3948) is defined for IPv4 only",
                refused(gcm().source(ip("2001:db8::2")).destination(ip("2001:db8::1")).encapsulation(nat)));
        SaConfig c = gcm().encapsulation(nat).build();
        assertSame(nat, c.encapsulation());
    }

    @Test
    void udpPortsChecked() {
        assertThrows(IllegalArgumentException.class, () -> new UdpEncapsulation(-1, 4500, null));
        assertThrows(IllegalArgumentException.class, () -> new UdpEncapsulation(4500, 65536, null));
        assertEquals(65535, new UdpEncapsulation(0, 65535, null).destinationPort());
    }

    @Test
    void replayWindowRange() {
        assertEquals("replay-window -1 out of range 0.." + ReplayLimits.MAX_WINDOW, refused(gcm().replayWindow(-1)));
        assertEquals("replay-window " + (ReplayLimits.MAX_WINDOW + 1) + " out of range 0.." + ReplayLimits.MAX_WINDOW,
                refused(gcm().replayWindow(ReplayLimits.MAX_WINDOW + 1)));
        assertEquals(0, gcm().replayWindow(0).build().replayWindow());
        assertEquals(ReplayLimits.MAX_WINDOW, gcm().replayWindow(ReplayLimits.MAX_WINDOW).build().replayWindow());
    }

    @Test
    void tfcPaddingRange() {
        assertEquals("tfc padding -1 out of range 0..65535", refused(gcm().tfcPadTo(-1)));
        assertEquals("tfc padding 65536 out of range 0..65535", refused(gcm().tfcPadTo(65536)));
        assertEquals(65535, gcm().tfcPadTo(65535).build().tfcPadTo());
    }

    @Test
    void encryptionRequired() {
        assertEquals("an encryption or AEAD algorithm is required", refused(gcm().encryption(null, KeyMaterial.EMPTY)));
    }

    // ------------------------------------------------------------------ secrets

    @Test
    void toStringIsExactAndHasNoKeyHex() {
        SaConfig c = gcm().esn(true).encapsulation(new UdpEncapsulation(4500, 4501, null)).build();
        assertEquals("SaConfig[spi=0x1000 TUNNEL 192.0.2.1->198.51.100.7 AES_GCM icv=16 esn"
                + " replay-window=32 encap=udp:4500/4501 keys=redacted]", c.toString());
        SaConfig h = cbcSha256().build();
        assertEquals("SaConfig[spi=0x2000 TRANSPORT 192.0.2.1->198.51.100.7 AES_CBC+HMAC_SHA256_128 icv=16"
                + " replay-window=32 keys=redacted]", h.toString());
        SaConfig named = cbcSha256().name("site-b").build();
        assertEquals("SaConfig[site-b spi=0x2000 TRANSPORT 192.0.2.1->198.51.100.7 AES_CBC+HMAC_SHA256_128 icv=16"
                + " replay-window=32 keys=redacted]", named.toString());
        for (SaConfig x : new SaConfig[] {c, h, named}) {
            assertNoKeyHex(x.toString(), x.encryptionKey());
            assertNoKeyHex(x.toString(), x.integrityKey());
        }
    }

    @Test
    void refusalMessagesHaveNoKeyHex() {
        KeyMaterial k = key(17);
        assertNoKeyHex(refused(gcm().encryption(EncryptionAlgorithm.AES_GCM, k)), k);
        KeyMaterial ik = key(31);
        assertNoKeyHex(refused(cbcSha256().integrity(IntegrityAlgorithm.HMAC_SHA256_128, ik)), ik);
    }

    private static void assertNoKeyHex(String text, KeyMaterial k) {
        if (k.length() == 0) {
            return;
        }
        String hex = k.toHexForExport().substring(2);
        String lower = text.toLowerCase(Locale.ROOT);
        // any 4 consecutive key bytes in hex would be a leak
        for (int i = 0; i + 8 <= hex.length(); i += 2) {
            String piece = hex.substring(i, i + 8);
            assertFalse(lower.contains(piece), () -> "key bytes " + piece + " in: " + text);
        }
    }
}
