package org.espline.runtime.config;

import static org.espline.runtime.config.XfrmTestSupport.GCM;
import static org.espline.runtime.config.XfrmTestSupport.HEAD;
import static org.espline.runtime.config.XfrmTestSupport.K_AES128;
import static org.espline.runtime.config.XfrmTestSupport.K_AES256;
import static org.espline.runtime.config.XfrmTestSupport.K_CCM128;
import static org.espline.runtime.config.XfrmTestSupport.K_CHACHA;
import static org.espline.runtime.config.XfrmTestSupport.K_GCM128;
import static org.espline.runtime.config.XfrmTestSupport.K_GCM192;
import static org.espline.runtime.config.XfrmTestSupport.K_GCM256;
import static org.espline.runtime.config.XfrmTestSupport.K_SHA1;
import static org.espline.runtime.config.XfrmTestSupport.K_SHA256;
import static org.espline.runtime.config.XfrmTestSupport.K_SHA384;
import static org.espline.runtime.config.XfrmTestSupport.K_SHA512;
import static org.espline.runtime.config.XfrmTestSupport.at;
import static org.espline.runtime.config.XfrmTestSupport.atColumn;
import static org.espline.runtime.config.XfrmTestSupport.hex;
import static org.espline.runtime.config.XfrmTestSupport.one;
import static org.espline.runtime.config.XfrmTestSupport.parse;
import static org.espline.runtime.config.XfrmTestSupport.problem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.sa.Lifetime;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.UdpEncapsulation;
import org.junit.jupiter.api.Test;

/** The {@code ip xfrm state add} form, one test per keyword and algorithm. */
class XfrmStateParserCommandTest {

    // ------------------------------------------------------------ ID and mode

    @Test
    void srcDstProtoSpiReqidMode() throws Exception {
        SaConfig sa = one(HEAD + GCM);
        assertEquals(InetAddress.getByName("192.0.2.1"), sa.source());
        assertEquals(InetAddress.getByName("192.0.2.2"), sa.destination());
        assertEquals(0x1000, sa.spi());
        assertEquals(1, sa.reqid());
        assertEquals(SaMode.TUNNEL, sa.mode());
    }

    @Test
    void ipv6EndpointsWithIpMinus6() throws Exception {
        SaConfig sa = one("ip -6 xfrm state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x2000 " + GCM);
        assertEquals(InetAddress.getByName("2001:db8::2"), sa.destination());
        assertTrue(sa.isIpv6());
    }

    @Test
    void hostPrefixIsAcceptedOnEndpoints() throws Exception {
        SaConfig sa = one("ip xfrm state add src 192.0.2.1/32 dst 192.0.2.2/32 proto esp spi 0x1000 " + GCM);
        assertEquals(InetAddress.getByName("192.0.2.2"), sa.destination());
    }

    @Test
    void spiIsReadAsStrtoulBase0() throws Exception {
        assertEquals(4096, one(HEAD.replace("0x1000", "4096") + GCM).spi());
        assertEquals(4096, one(HEAD.replace("0x1000", "010000") + GCM).spi()); // octal, as ip reads it
        assertEquals(0xC0FFEE01, one(HEAD.replace("0x1000", "0xC0FFEE01") + GCM).spi());
    }

    @Test
    void reqidIsUnsigned32Bit() throws Exception {
        assertEquals(0xFFFFFFFF, one(HEAD.replace("reqid 1", "reqid 4294967295") + GCM).reqid());
    }

    @Test
    void modeTransportIsTheLinuxDefault() throws Exception {
        assertEquals(SaMode.TRANSPORT, one(HEAD.replace(" mode tunnel", "") + GCM).mode());
        assertEquals(SaMode.TRANSPORT, one(HEAD.replace("mode tunnel", "mode transport") + GCM).mode());
    }

    @Test
    void modeAbbreviationsAsIpMatchesThem() throws Exception {
        assertEquals(SaMode.TUNNEL, one(HEAD.replace("mode tunnel", "mode tun") + GCM).mode());
        assertEquals(SaMode.TRANSPORT, one(HEAD.replace("mode tunnel", "mode t") + GCM).mode());
    }

    @Test
    void modeBeetIsUnsupported() {
        String line = HEAD.replace("mode tunnel", "mode beet") + GCM;
        assertEquals(at(line, "beet", "mode beet is not supported (expected tunnel or transport)"),
                problem(line, XfrmIssueCodes.UNSUPPORTED));
    }

    // ------------------------------------------------------------ AEAD

    @Test
    void aeadAesGcmKeySizesAndIcvLengths() throws Exception {
        SaConfig sa = one(HEAD + GCM);
        assertEquals(EncryptionAlgorithm.AES_GCM, sa.encryption());
        assertEquals(KeyMaterial.of(hex(K_GCM128)), sa.encryptionKey());
        assertEquals(16, sa.icvLength());
        assertEquals(IntegrityAlgorithm.NONE, sa.integrity());
        assertEquals(28, one(HEAD + "aead 'rfc4106(gcm(aes))' " + K_GCM192 + " 96").encryptionKey().length());
        assertEquals(12, one(HEAD + "aead 'rfc4106(gcm(aes))' " + K_GCM192 + " 96").icvLength());
        assertEquals(8, one(HEAD + "aead 'rfc4106(gcm(aes))' " + K_GCM256 + " 64").icvLength());
    }

    @Test
    void aeadChaCha20Poly1305() throws Exception {
        SaConfig sa = one(HEAD + "aead 'rfc7539esp(chacha20,poly1305)' " + K_CHACHA + " 128");
        assertEquals(EncryptionAlgorithm.CHACHA20_POLY1305, sa.encryption());
        assertEquals(36, sa.encryptionKey().length());
        assertEquals(16, sa.icvLength());
    }

    @Test
    void aeadAesCcm() throws Exception {
        SaConfig sa = one(HEAD + "aead 'rfc4309(ccm(aes))' " + K_CCM128 + " 96");
        assertEquals(EncryptionAlgorithm.AES_CCM, sa.encryption());
        assertEquals(19, sa.encryptionKey().length());
        assertEquals(12, sa.icvLength());
    }

    @Test
    void aeadAesGmacIsAnAeadInLinux() throws Exception {
        SaConfig sa = one(HEAD + "aead 'rfc4543(gcm(aes))' " + K_GCM128 + " 128");
        assertEquals(EncryptionAlgorithm.AES_GMAC, sa.encryption());
        assertEquals(16, sa.icvLength());
    }

    @Test
    void authRfc4543IsReadAsGmac() throws Exception {
        // The issue's spelling: integrity-only GMAC written as auth, with the ICV length as for aead.
        SaConfig sa = one(HEAD + "auth 'rfc4543(gcm(aes))' " + K_GCM128 + " 128");
        assertEquals(EncryptionAlgorithm.AES_GMAC, sa.encryption());
        assertEquals(16, sa.icvLength());
        assertEquals(20, sa.encryptionKey().length());
    }

    @Test
    void aeadIcvLengthMustSuitTheAlgorithm() {
        String line = HEAD + "aead 'rfc7539esp(chacha20,poly1305)' " + K_CHACHA + " 96";
        assertEquals(atColumn(line.lastIndexOf(" 96") + 2,
                "rfc7539esp(chacha20,poly1305): ICV length 96 bits is invalid (expected 128)"),
                problem(line, XfrmIssueCodes.ICV_LENGTH));
    }

    @Test
    void algorithmNamesMayBeSingleQuotedDoubleQuotedOrBare() throws Exception {
        assertEquals(EncryptionAlgorithm.AES_GCM, one(HEAD + "aead \"rfc4106(gcm(aes))\" " + K_GCM128 + " 128").encryption());
        assertEquals(EncryptionAlgorithm.AES_GCM, one(HEAD + "aead rfc4106(gcm(aes)) " + K_GCM128 + " 128").encryption());
    }

    // ------------------------------------------------------------ enc + auth

    @Test
    void encCbcAesWithAuthTruncSha256() throws Exception {
        SaConfig sa = one(HEAD + "enc 'cbc(aes)' " + K_AES128 + " auth-trunc 'hmac(sha256)' " + K_SHA256 + " 128");
        assertEquals(EncryptionAlgorithm.AES_CBC, sa.encryption());
        assertEquals(KeyMaterial.of(hex(K_AES128)), sa.encryptionKey());
        assertEquals(IntegrityAlgorithm.HMAC_SHA256_128, sa.integrity());
        assertEquals(KeyMaterial.of(hex(K_SHA256)), sa.integrityKey());
        assertEquals(16, sa.icvLength());
    }

    @Test
    void authTruncSha1Sha384Sha512() throws Exception {
        assertEquals(IntegrityAlgorithm.HMAC_SHA1_96,
                one(HEAD + "enc 'cbc(aes)' " + K_AES256 + " auth-trunc 'hmac(sha1)' " + K_SHA1 + " 96").integrity());
        SaConfig sha384 = one(HEAD + "enc 'cbc(aes)' " + K_AES256 + " auth-trunc 'hmac(sha384)' " + K_SHA384 + " 192");
        assertEquals(IntegrityAlgorithm.HMAC_SHA384_192, sha384.integrity());
        assertEquals(24, sha384.icvLength());
        SaConfig sha512 = one(HEAD + "enc 'cbc(aes)' " + K_AES256 + " auth-trunc 'hmac(sha512)' " + K_SHA512 + " 256");
        assertEquals(IntegrityAlgorithm.HMAC_SHA512_256, sha512.integrity());
        assertEquals(32, sha512.icvLength());
    }

    @Test
    void authSha1TruncatesTo96Bits() throws Exception {
        SaConfig sa = one(HEAD + "enc 'cbc(aes)' " + K_AES128 + " auth 'hmac(sha1)' " + K_SHA1);
        assertEquals(IntegrityAlgorithm.HMAC_SHA1_96, sa.integrity());
        assertEquals(12, sa.icvLength());
    }

    @Test
    void authSha384And512UseTheRfc4868Truncation() throws Exception {
        assertEquals(24, one(HEAD + "enc 'cbc(aes)' " + K_AES128 + " auth 'hmac(sha384)' " + K_SHA384).icvLength());
        assertEquals(32, one(HEAD + "enc 'cbc(aes)' " + K_AES128 + " auth 'hmac(sha512)' " + K_SHA512).icvLength());
    }

    @Test
    void authTruncLengthMustBeTheRfcOne() {
        String line = HEAD + "enc 'cbc(aes)' " + K_AES128 + " auth-trunc 'hmac(sha256)' " + K_SHA256 + " 96";
        int col = line.lastIndexOf(" 96") + 2;
        assertEquals(atColumn(col, "hmac(sha256): truncation 96 bits is invalid (expected 128, RFC 4868)"),
                problem(line, XfrmIssueCodes.ICV_LENGTH));
    }

    @Test
    void encNullWithEmptyKeyInEverySpelling() throws Exception {
        for (String empty : List.of("\"\"", "''", "0x")) {
            SaConfig sa = one(HEAD + "enc 'ecb(cipher_null)' " + empty + " auth-trunc 'hmac(sha256)' " + K_SHA256 + " 128");
            assertEquals(EncryptionAlgorithm.NULL, sa.encryption(), empty);
            assertEquals(0, sa.encryptionKey().length(), empty);
        }
    }

    @Test
    void encNullWithoutIntegrityIsRefused() {
        String line = HEAD + "enc 'ecb(cipher_null)' \"\"";
        assertEquals("sas.conf:1:1: NULL encryption without integrity is refused (RFC 4303 section 3.2)",
                problem(line, XfrmIssueCodes.INVALID_SA));
    }

    @Test
    void linuxCompatAliases() throws Exception {
        SaConfig sa = one(HEAD + "enc aes " + K_AES128 + " auth-trunc sha256 " + K_SHA256 + " 128");
        assertEquals(EncryptionAlgorithm.AES_CBC, sa.encryption());
        assertEquals(IntegrityAlgorithm.HMAC_SHA256_128, sa.integrity());
        assertEquals(EncryptionAlgorithm.NULL,
                one(HEAD + "enc cipher_null '' auth sha1 " + K_SHA1).encryption());
    }

    @Test
    void keyAsStringIsItsBytes() throws Exception {
        SaConfig sa = one(HEAD + "aead 'rfc4106(gcm(aes))' 'sixteen byte key+slt' 128");
        assertArrayEquals("sixteen byte key+slt".getBytes(StandardCharsets.US_ASCII), sa.encryptionKey().copy());
    }

    @Test
    void hexKeyDigitsAreCaseInsensitive() throws Exception {
        assertEquals(KeyMaterial.of(hex(K_GCM128)),
                one(HEAD + "aead 'rfc4106(gcm(aes))' " + "0x" + K_GCM128.substring(2).toUpperCase() + " 128")
                        .encryptionKey());
    }

    // ------------------------------------------------------------ encap, flags, replay

    @Test
    void encapEspInUdp() throws Exception {
        SaConfig sa = one(HEAD + GCM + " encap espinudp 4500 4501 0.0.0.0");
        assertEquals(new UdpEncapsulation(4500, 4501, null), sa.encapsulation());
        SaConfig nat = one(HEAD + GCM + " encap espinudp 4500 4500 203.0.113.9");
        assertEquals(InetAddress.getByName("203.0.113.9"), nat.encapsulation().originalAddress());
        assertNull(one(HEAD + GCM).encapsulation());
    }

    @Test
    void encapEspInTcpIsUnsupported() {
        String line = HEAD + GCM + " encap espintcp 4500 4500 0.0.0.0";
        assertEquals(at(line, "espintcp", "encap espintcp is not supported (only espinudp, RFC 3948)"),
                problem(line, XfrmIssueCodes.UNSUPPORTED));
    }

    @Test
    void flagEsn() throws Exception {
        assertTrue(one(HEAD + GCM + " replay-window 64 flag esn").esn());
        assertTrue(one(HEAD + GCM + " replay-window 64 flag 0x80").esn());
        assertFalse(one(HEAD + GCM).esn());
    }

    @Test
    void otherFlagsAreAcceptedWithoutEffect() throws Exception {
        SaConfig sa = one(HEAD + GCM + " flag noecn decap-dscp nopmtudisc wildrecv icmp af-unspec align4 replay-window 8");
        assertFalse(sa.esn());
        assertEquals(8, sa.replayWindow());
    }

    @Test
    void unknownFlag() {
        String line = HEAD + GCM + " flag turbo";
        assertEquals(at(line, "turbo", "unknown flag 'turbo' (expected noecn, decap-dscp, nopmtudisc, wildrecv, icmp,"
                + " af-unspec, align4 or esn)"), problem(line, XfrmIssueCodes.BAD_VALUE));
    }

    @Test
    void replayWindowDefaultsToZeroAsInLinux() throws Exception {
        assertEquals(0, one(HEAD + GCM).replayWindow());
        assertEquals(128, one(HEAD + GCM + " replay-window 128").replayWindow());
    }

    @Test
    void replaySequenceNumbers() throws Exception {
        SaConfig sa = one(HEAD + GCM + " replay-window 32 replay-seq 0x10 replay-oseq 32");
        assertEquals(0x10, sa.inboundSequence());
        assertEquals(32, sa.outboundSequence());
    }

    @Test
    void replaySequenceHighWordsNeedEsn() throws Exception {
        SaConfig sa = one(HEAD + GCM + " flag esn replay-window 64 replay-seq 0x10 replay-seq-hi 0x2"
                + " replay-oseq 0x20 replay-oseq-hi 3");
        assertEquals(0x2_0000_0010L, sa.inboundSequence());
        assertEquals(0x3_0000_0020L, sa.outboundSequence());

        String line = HEAD + GCM + " replay-window 64 replay-seq-hi 0x2";
        assertEquals(at(line, "replay-seq-hi", "a high sequence word needs 'flag esn'"),
                problem(line, XfrmIssueCodes.BAD_VALUE));
    }

    @Test
    void replayWindowAboveTheEsplineLimit() {
        String line = HEAD + GCM + " replay-window 2000000";
        assertEquals(at(line, "2000000", "replay window 2000000 out of range 0..1048576"),
                problem(line, XfrmIssueCodes.BAD_VALUE));
    }

    // ------------------------------------------------------------ limits, sel, tfcpad

    @Test
    void limitsMapToSoftAndHardLifetimes() throws Exception {
        SaConfig sa = one(HEAD + GCM + " limit time-soft 3240 limit time-hard 3600 limit byte-soft 1000000"
                + " limit byte-hard 2000000 limit packet-soft 1000 limit packet-hard 0x800");
        assertEquals(new Lifetime(1_000_000, 1000, 3240), sa.softLifetime());
        assertEquals(new Lifetime(2_000_000, 2048, 3600), sa.hardLifetime());
    }

    @Test
    void limitZeroSecondsAndInfiniteBytesMeanNoLimit() throws Exception {
        SaConfig sa = one(HEAD + GCM + " limit time-soft 0 limit byte-hard 18446744073709551615");
        assertTrue(sa.softLifetime().isUnlimited());
        assertTrue(sa.hardLifetime().isUnlimited());
    }

    @Test
    void limitZeroBytesWouldExpireAtOnce() {
        String line = HEAD + GCM + " limit byte-soft 0";
        assertEquals(atColumn(line.length(), "byte-soft 0 would expire the SA at its first packet; leave the limit out"
                + " for none"), problem(line, XfrmIssueCodes.BAD_VALUE));
    }

    @Test
    void limitTimeUseIsRefusedUnlessZero() throws Exception {
        one(HEAD + GCM + " limit time-use-soft 0 limit time-use-hard 0");
        String line = HEAD + GCM + " limit time-use-hard 60";
        assertEquals(atColumn(line.indexOf(" 60") + 2, "time-use-hard is not supported: Espline expires SAs by age"
                + " (time-soft/time-hard), not by idle time"), problem(line, XfrmIssueCodes.UNSUPPORTED));
    }

    @Test
    void unknownLimit() {
        String line = HEAD + GCM + " limit forever 1";
        assertEquals(at(line, "forever", "unknown limit 'forever' (expected time-soft, time-hard, byte-soft, byte-hard,"
                + " packet-soft or packet-hard)"), problem(line, XfrmIssueCodes.BAD_VALUE));
    }

    @Test
    void selectorIsAcceptedAndIgnored() throws Exception {
        SaConfig sa = one(HEAD + GCM + " sel src 10.0.0.0/24 dst 10.0.1.0/24 proto tcp sport 80 dport 8080 dev eth0"
                + " replay-window 16");
        assertEquals(16, sa.replayWindow());
    }

    @Test
    void tfcPad() throws Exception {
        assertEquals(1024, one(HEAD + GCM + " tfcpad 1024").tfcPadTo());
    }

    @Test
    void seqDirAndOffloadAreAcceptedWithoutEffect() throws Exception {
        one(HEAD + GCM + " seq 7 dir out offload packet dev eth0 dir out");
    }

    @Test
    void extraFlagDontEncapDscpIsIgnoredOseqMayWrapRefused() throws Exception {
        one(HEAD + GCM + " extra-flag dont-encap-dscp");
        String line = HEAD + GCM + " extra-flag oseq-may-wrap";
        assertEquals(at(line, "oseq-may-wrap", "extra-flag oseq-may-wrap is not supported (RFC 4303 section 3.3.3:"
                + " sequence numbers must not cycle)"), problem(line, XfrmIssueCodes.UNSUPPORTED));
    }

    @Test
    void outputMarkIfIdCtxMarkAreNotSupported() {
        String outputMark = HEAD + GCM + " output-mark 7";
        assertEquals(at(outputMark, "output-mark", "output-mark is not supported"),
                problem(outputMark, XfrmIssueCodes.UNSUPPORTED));
        String ifId = HEAD + GCM + " if_id 0x10";
        assertEquals(at(ifId, "if_id", "if_id is not supported (Espline has no xfrm interfaces)"),
                problem(ifId, XfrmIssueCodes.UNSUPPORTED));
        String ctx = HEAD + GCM + " ctx system_u:object_r:ipsec_spd_t:s0";
        assertEquals(at(ctx, "ctx", "security context (ctx) is not supported"), problem(ctx, XfrmIssueCodes.UNSUPPORTED));
        String mark = HEAD + GCM + " mark 5";
        assertEquals(at(mark, "mark", "mark is not supported (Espline finds inbound SAs by destination and SPI only)"),
                problem(mark, XfrmIssueCodes.UNSUPPORTED));
    }

    // ------------------------------------------------------------ command prefixes and file structure

    @Test
    void commandPrefixes() throws Exception {
        String body = " src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 " + GCM;
        for (String prefix : List.of("ip xfrm state add", "ip xfrm state update", "sudo ip xfrm state add",
                "ip -s -d xfrm state add", "ip -4 xfrm state add", "ip -f inet xfrm state add", "ip -n blue xfrm sa add",
                "ip x s a", "xfrm state add")) {
            assertEquals(0x1000, one(prefix + body).spi(), prefix);
        }
    }

    @Test
    void continuationsAndComments() throws Exception {
        String text = "# two SAs\n"
                + "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 \\\n"
                + "    proto esp spi 0x1000 mode tunnel \\\n"
                + "    " + GCM + "   # outbound\n"
                + "\n"
                + "ip xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x1001 " + GCM + "\n";
        List<SaConfig> sas = parse(text);
        assertEquals(2, sas.size());
        assertEquals(SaMode.TUNNEL, sas.get(0).mode());
        assertEquals(0x1001, sas.get(1).spi());
    }

    @Test
    void updateReplacesAnEarlierSaInPlace() throws Exception {
        String text = HEAD + GCM + "\n"
                + "ip xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2000 " + GCM + "\n"
                + "ip xfrm state update src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 mode transport " + GCM + "\n";
        List<SaConfig> sas = parse(text);
        assertEquals(2, sas.size());
        assertEquals(0x1000, sas.get(0).spi());
        assertEquals(SaMode.TRANSPORT, sas.get(0).mode());
    }
}
