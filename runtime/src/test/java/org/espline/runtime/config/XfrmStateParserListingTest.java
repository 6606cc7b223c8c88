package org.espline.runtime.config;

import static org.espline.runtime.config.XfrmTestSupport.GCM;
import static org.espline.runtime.config.XfrmTestSupport.HEAD;
import static org.espline.runtime.config.XfrmTestSupport.K_GCM128;
import static org.espline.runtime.config.XfrmTestSupport.K_SHA256;
import static org.espline.runtime.config.XfrmTestSupport.fails;
import static org.espline.runtime.config.XfrmTestSupport.hex;
import static org.espline.runtime.config.XfrmTestSupport.one;
import static org.espline.runtime.config.XfrmTestSupport.parse;
import static org.espline.runtime.config.XfrmTestSupport.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;

import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.sa.Lifetime;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.UdpEncapsulation;
import org.junit.jupiter.api.Test;

/** The form {@code ip xfrm state} and {@code ip -s xfrm state} print (iproute2 {@code ip/ipxfrm.c}). */
class XfrmStateParserListingTest {

    @Test
    void statisticsListingWithEsnContextLifetimesAndNatT() throws Exception {
        List<SaConfig> sas = parse(resource("ip-s-xfrm-state.txt"));
        assertEquals(4, sas.size());

        SaConfig out = sas.get(0);
        assertEquals(InetAddress.getByName("192.0.2.2"), out.destination());
        assertEquals(0xc0ffee01, out.spi());
        assertEquals(16389, out.reqid());
        assertEquals(SaMode.TUNNEL, out.mode());
        assertTrue(out.esn());
        assertEquals(EncryptionAlgorithm.AES_GCM, out.encryption());
        assertEquals(36, out.encryptionKey().length());
        assertEquals(16, out.icvLength());
        assertEquals(new UdpEncapsulation(4500, 4500, null), out.encapsulation());
        assertEquals(128, out.replayWindow(), "the ESN context holds the window; replay-window 0 does not");
        assertEquals(0, out.inboundSequence());
        assertEquals(0x1_0000_0020L, out.outboundSequence());
        assertEquals(new Lifetime(Long.MAX_VALUE, Long.MAX_VALUE, 3240), out.softLifetime());
        assertEquals(new Lifetime(Long.MAX_VALUE, Long.MAX_VALUE, 3600), out.hardLifetime());

        SaConfig in = sas.get(1);
        assertEquals(0x1d, in.inboundSequence());
        assertEquals(0, in.outboundSequence());
        assertEquals(new Lifetime(Long.MAX_VALUE, Long.MAX_VALUE, 3185), in.softLifetime());

        SaConfig legacy = sas.get(2);
        assertEquals(SaMode.TRANSPORT, legacy.mode());
        assertFalse(legacy.esn());
        assertEquals(32, legacy.replayWindow());
        assertEquals(0x10, legacy.inboundSequence());
        assertEquals(0x5, legacy.outboundSequence());
        assertEquals(EncryptionAlgorithm.AES_CBC, legacy.encryption());
        assertEquals(IntegrityAlgorithm.HMAC_SHA256_128, legacy.integrity());
        assertEquals(16, legacy.icvLength());
        assertNull(legacy.encapsulation());
        assertEquals(new Lifetime(900_000_000L, Long.MAX_VALUE, Long.MAX_VALUE), legacy.softLifetime());
        assertEquals(new Lifetime(1_000_000_000L, 2_000_000L, Long.MAX_VALUE), legacy.hardLifetime());

        SaConfig v6 = sas.get(3);
        assertTrue(v6.isIpv6());
        assertEquals(IntegrityAlgorithm.HMAC_SHA512_256, v6.integrity());
        assertEquals(4096, v6.replayWindow());
        assertEquals(0x1_0000_0010L, v6.inboundSequence());
        assertEquals(0x2_0000_0020L, v6.outboundSequence());
    }

    @Test
    void plainListingAsStrongSwanLeavesIt() throws Exception {
        List<SaConfig> sas = parse(resource("ip-xfrm-state.txt"));
        assertEquals(2, sas.size());
        for (SaConfig sa : sas) {
            assertEquals(IntegrityAlgorithm.HMAC_SHA1_96, sa.integrity());
            assertEquals(12, sa.icvLength());
            assertEquals(32, sa.encryptionKey().length());
            assertEquals(128, sa.replayWindow());
            assertTrue(sa.esn());
        }
        assertEquals(0x8e96e9f9, sas.get(1).spi());
    }

    @Test
    void legacyAntiReplayContextWithoutEsn() throws Exception {
        SaConfig sa = one("src 192.0.2.1 dst 192.0.2.2\n"
                + "\tproto esp spi 0x00001000 reqid 1 mode tunnel\n"
                + "\treplay-window 16 \n"
                + "\taead rfc4106(gcm(aes)) " + K_GCM128 + " 128\n"
                + "\tanti-replay context: seq 0x2a, oseq 0x7, bitmap 0x0000ffff\n"
                + "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n");
        assertEquals(16, sa.replayWindow());
        assertEquals(0x2a, sa.inboundSequence());
        assertEquals(0x7, sa.outboundSequence());
    }

    @Test
    void windowAbove32WithoutEsnUsesTheEsnContextInLinux() throws Exception {
        // ip puts windows > 32 into the ESN replay state even without flag esn
        SaConfig sa = one("src 192.0.2.1 dst 192.0.2.2\n"
                + "\tproto esp spi 0x00001000 reqid 1 mode tunnel\n"
                + "\treplay-window 0 \n"
                + "\taead rfc4106(gcm(aes)) " + K_GCM128 + " 128\n"
                + "\tanti-replay esn context:\n"
                + "\t seq-hi 0x0, seq 0x5, oseq-hi 0x0, oseq 0x6\n"
                + "\t replay_window 64, bitmap-length 2\n"
                + "\t 00000000 0000001f \n");
        assertFalse(sa.esn());
        assertEquals(64, sa.replayWindow());
        assertEquals(5, sa.inboundSequence());
    }

    @Test
    void listingOfAnSaWithADirection() throws Exception {
        // iproute2 6.10+ for "dir in": no replay-window line, ESN context without its header
        SaConfig in = one("src 10.1.3.4 dst 10.1.2.3\n"
                + "\tproto esp spi 0x00000300 reqid 2 mode tunnel dir in\n"
                + "\tflag esn\n"
                + "\taead rfc4106(gcm(aes)) " + K_GCM128 + " 96\n"
                + "\tseq-hi 0x0, seq 0x9\n"
                + "\treplay-window 36, bitmap-length 2\n"
                + "\t 00000000 000001ff \n"
                + "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n");
        assertEquals(36, in.replayWindow());
        assertEquals(9, in.inboundSequence());
        assertEquals(12, in.icvLength());
        // ... and the form of the same release with a header and a "dir" line
        SaConfig out = one("src 2001:db8:1:2::45 dst 2001:db8:1:2::23\n"
                + "\tproto esp spi 0x64b502a7 reqid 16393 mode tunnel\n"
                + "\tflag af-unspec esn\n"
                + "\taead rfc4106(gcm(aes)) " + K_GCM128 + " 128\n"
                + "\tlastused 2024-08-29 09:30:00\n"
                + "\tanti-replay esn context:\t oseq-hi 0x0, oseq 0xa\n"
                + "\tdir out\n");
        assertEquals(0xa, out.outboundSequence());
        assertEquals(0, out.replayWindow());
    }

    @Test
    void emptyNullKeyIsLeftOutOfTheListing() throws Exception {
        // newer ip prints no key word for a zero-length key
        SaConfig sa = one("src 192.0.2.1 dst 192.0.2.2\n"
                + "\tproto esp spi 0x00001000 reqid 1 mode transport\n"
                + "\treplay-window 32 \n"
                + "\tauth-trunc hmac(sha256) " + K_SHA256 + " 128\n"
                + "\tenc ecb(cipher_null) \n");
        assertEquals(EncryptionAlgorithm.NULL, sa.encryption());
        assertEquals(KeyMaterial.EMPTY, sa.encryptionKey());
        assertEquals(KeyMaterial.of(hex(K_SHA256)), sa.integrityKey());
    }

    @Test
    void cryptoOffloadParametersAreIgnored() throws Exception {
        one("src 192.169.101.2 dst 192.169.101.1\n"
                + "        proto esp spi 0xc88b7652 reqid 1 mode tunnel\n"
                + "        replay-window 0 flag af-unspec esn\n"
                + "        aead rfc4106(gcm(aes)) " + K_GCM128 + " 128\n"
                + "        anti-replay esn context:\n"
                + "         seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0x0\n"
                + "         replay_window 1, bitmap-length 1\n"
                + "         00000000\n"
                + "        crypto offload parameters: dev eth2 dir out mode packet\n");
    }

    @Test
    void oneLineSaWithoutIpXfrmStateAdd() throws Exception {
        SaConfig sa = one("src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 mode tunnel " + GCM + " replay-window 32\n");
        assertEquals(32, sa.replayWindow());
    }

    @Test
    void commandsAndListingsMixInOneFile() throws Exception {
        List<SaConfig> sas = parse(HEAD + GCM + "\n" + resource("ip-xfrm-state.txt")
                + "ip xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x1001 " + GCM + "\n");
        assertEquals(4, sas.size());
        assertEquals(0x1001, sas.get(3).spi());
    }

    @Test
    void keysHiddenListingCannotBeRead() {
        String text = "src 192.0.2.1 dst 192.0.2.2\n"
                + "\tproto esp spi 0x00001000 reqid 1 mode tunnel\n"
                + "\treplay-window 32 \n"
                + "\taead rfc4106(gcm(aes)) <<Keys hidden>> 128\n";
        ConfigException e = fails(text);
        assertEquals("sas.conf:4:25: keys are hidden ('ip xfrm state list nokeys'); list the SAs without nokeys to read them",
                e.getMessage());
        assertEquals(XfrmIssueCodes.KEYS_HIDDEN, e.problems().get(0).code());
    }

    @Test
    void statisticsAnnotationsMustAgreeWithTheKey() {
        String text = "src 192.0.2.1 dst 192.0.2.2\n"
                + "\tproto esp spi 0x00001000(4096) reqid 1(0x00000001) mode tunnel\n"
                + "\taead rfc4106(gcm(aes)) " + K_GCM128 + " (128 bits) 128\n";
        ConfigException e = fails(text);
        int col = ("\taead rfc4106(gcm(aes)) " + K_GCM128 + " ").length() + 1;
        assertEquals("sas.conf:3:" + col + ": the listing says (128 bits) but the key at 3:25 has 160", e.getMessage());
    }

    @Test
    void valuesOfAListingStayOnTheirLine() {
        String text = "src 192.0.2.1 dst 192.0.2.2\n"
                + "\tproto esp spi\n"
                + "\t0x00001000 reqid 1 mode tunnel\n";
        assertEquals("sas.conf:2:12: missing value after 'spi' (expected an SPI)", fails(text).getMessage());
    }

    @Test
    void anIndentedCopyOfAListingIsReadToo() throws Exception {
        String indented = resource("ip-xfrm-state.txt").replaceAll("(?m)^", "    ");
        assertEquals(2, parse(indented).size());
    }

    @Test
    void indentedLineOutsideAnSa() {
        ConfigException e = fails("\tproto esp spi 0x1000\n\treplay-window 0\n");
        assertEquals("sas.conf:1:2: unexpected 'proto' (indented line outside an SA: an 'ip xfrm state' listing"
                + " starts an SA with 'src' in column 1)", e.getMessage());
        assertEquals(1, e.problems().size(), "the rest of the unknown entry is skipped");
    }

    @Test
    void unsupportedListingClauses() {
        String base = "src 192.0.2.1 dst 192.0.2.2\n\tproto esp spi 0x00001000 reqid 1 mode tunnel\n"
                + "\taead rfc4106(gcm(aes)) " + K_GCM128 + " 128\n";
        assertEquals("sas.conf:4:2: mark is not supported (Espline finds inbound SAs by destination and SPI only)",
                fails(base + "\tmark 0x1/0xffffffff \n").getMessage());
        assertEquals("sas.conf:4:2: if_id is not supported (Espline has no xfrm interfaces)",
                fails(base + "\tif_id 0x64\n").getMessage());
        assertEquals("sas.conf:4:2: security context (ctx) is not supported",
                fails(base + "\tsecurity context system_u:object_r:ipsec_spd_t:s0 \n").getMessage());
        assertEquals("sas.conf:5:21: time-use-soft is not supported: Espline expires SAs by age (time-soft/time-hard),"
                + " not by idle time", fails(base + "\tlifetime config:\n\t  expire use: soft 60(sec), hard 0(sec)\n")
                .getMessage());
    }
}
