package org.espline.runtime.config;

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
import static org.espline.runtime.config.XfrmTestSupport.assertSameConfig;
import static org.espline.runtime.config.XfrmTestSupport.hex;
import static org.espline.runtime.config.XfrmTestSupport.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.sa.Lifetime;
import org.espline.runtime.sa.ReplayLimits;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.UdpEncapsulation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XfrmStateWriterTest {
    private final XfrmStateWriter writer = new XfrmStateWriter();

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static KeyMaterial key(String hex) {
        return KeyMaterial.of(hex(hex));
    }

    private static SaConfig.Builder sa(int spi) {
        return SaConfig.builder().source(ip("192.0.2.1")).destination(ip("192.0.2.2")).spi(spi).reqid(1)
                .mode(SaMode.TUNNEL);
    }

    private static SaConfig gcmOutbound() {
        return sa(0x1000).encryption(EncryptionAlgorithm.AES_GCM, key(K_GCM128)).icvLength(16)
                .esn(true).replayWindow(128).inboundSequence(0x10).outboundSequence(0x1_0000_0020L)
                .encapsulation(new UdpEncapsulation(4500, 4500, null))
                .softLifetime(Lifetime.UNLIMITED.withSeconds(3240)).hardLifetime(Lifetime.UNLIMITED.withSeconds(3600))
                .tfcPadTo(1024).build();
    }

    private static SaConfig cbcIpv6() {
        return SaConfig.builder().source(ip("2001:db8::1")).destination(ip("2001:db8::2")).spi(0x2000).reqid(2)
                .mode(SaMode.TRANSPORT).encryption(EncryptionAlgorithm.AES_CBC, key(K_AES128))
                .integrity(IntegrityAlgorithm.HMAC_SHA256_128, key(K_SHA256)).replayWindow(32).build();
    }

    @Test
    void ipXfrmCommandText() {
        assertEquals("ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x00001000 reqid 1 mode tunnel \\\n"
                + "    replay-window 128 flag esn replay-seq 0x10 replay-oseq 0x20 replay-oseq-hi 0x1 \\\n"
                + "    aead 'rfc4106(gcm(aes))' " + K_GCM128 + " 128 \\\n"
                + "    encap espinudp 4500 4500 0.0.0.0 limit time-soft 3240 limit time-hard 3600 tfcpad 1024\n"
                + "ip xfrm state add src 2001:db8:0:0:0:0:0:1 dst 2001:db8:0:0:0:0:0:2 proto esp spi 0x00002000 reqid 2"
                + " mode transport \\\n"
                + "    replay-window 32 \\\n"
                + "    enc 'cbc(aes)' " + K_AES128 + " \\\n"
                + "    auth-trunc 'hmac(sha256)' " + K_SHA256 + " 128\n",
                writer.toIpXfrmCommands(List.of(gcmOutbound(), cbcIpv6())));
    }

    @Test
    void nullEncryptionKeyIsWrittenAsEmptyQuotes() {
        SaConfig nul = sa(0x3000).encryption(EncryptionAlgorithm.NULL, KeyMaterial.EMPTY)
                .integrity(IntegrityAlgorithm.HMAC_SHA1_96, key(K_SHA1)).build();
        String text = writer.toIpXfrmCommands(List.of(nul));
        assertTrue(text.contains("enc 'ecb(cipher_null)' \"\" \\\n    auth-trunc 'hmac(sha1)' " + K_SHA1 + " 96\n"), text);
    }

    @Test
    void benchmarkOnlySaIsNotWritten() {
        SaConfig bare = sa(0x3000).encryption(EncryptionAlgorithm.NULL, KeyMaterial.EMPTY)
                .benchmarkOnlyNullWithoutIntegrity(true).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> writer.toIpXfrmCommands(List.of(bare)));
        assertEquals("spi 0x3000: NULL encryption without integrity is benchmark-only and is not written as an ip xfrm"
                + " command", e.getMessage());
    }

    /** Everything the writer can express, read back by the parser to an equal configuration. */
    @Test
    void roundTripThroughTheParser() throws Exception {
        List<SaConfig> sas = new ArrayList<>();
        sas.add(gcmOutbound());
        sas.add(cbcIpv6());
        sas.add(sa(0x1001).encryption(EncryptionAlgorithm.AES_GCM, key(K_GCM192)).icvLength(12).build());
        sas.add(sa(0x1002).encryption(EncryptionAlgorithm.AES_GCM, key(K_GCM256)).icvLength(8).replayWindow(0).build());
        sas.add(sa(0x1003).encryption(EncryptionAlgorithm.AES_CCM, key(K_CCM128)).icvLength(16).build());
        sas.add(sa(0x1004).encryption(EncryptionAlgorithm.CHACHA20_POLY1305, key(K_CHACHA)).build());
        sas.add(sa(0x1005).encryption(EncryptionAlgorithm.AES_GMAC, key(K_GCM128)).build());
        sas.add(sa(0x1006).encryption(EncryptionAlgorithm.AES_CBC, key(K_AES256))
                .integrity(IntegrityAlgorithm.HMAC_SHA1_96, key(K_SHA1)).build());
        sas.add(sa(0x1007).encryption(EncryptionAlgorithm.AES_CBC, key(K_AES256))
                .integrity(IntegrityAlgorithm.HMAC_SHA384_192, key(K_SHA384)).build());
        sas.add(sa(0x1008).encryption(EncryptionAlgorithm.AES_CBC, key(K_AES128))
                .integrity(IntegrityAlgorithm.HMAC_SHA512_256, key(K_SHA512))
                .softLifetime(new Lifetime(1_000_000, 1000, 60)).hardLifetime(new Lifetime(2_000_000, 2000, 120)).build());
        sas.add(sa(0x1009).encryption(EncryptionAlgorithm.NULL, KeyMaterial.EMPTY)
                .integrity(IntegrityAlgorithm.HMAC_SHA256_128, key(K_SHA256)).build());
        sas.add(sa(0xFFFFFFFF).reqid(0xFFFFFFFF).encryption(EncryptionAlgorithm.AES_GCM, key(K_GCM128))
                .esn(true).replayWindow(ReplayLimits.MAX_WINDOW)
                .inboundSequence(0xFFFF_FFFF_FFFF_FFFEL).outboundSequence(0xFFFF_FFFFL)
                .encapsulation(new UdpEncapsulation(4500, 4501, ip("203.0.113.7"))).build());

        List<SaConfig> back = parse(writer.toIpXfrmCommands(sas));
        assertEquals(sas.size(), back.size());
        for (int i = 0; i < sas.size(); i++) {
            assertSameConfig(sas.get(i), back.get(i));
        }
    }

    @Test
    void roundTripOfARealListing() throws Exception {
        List<SaConfig> listed = parse(XfrmTestSupport.resource("ip-s-xfrm-state.txt"));
        List<SaConfig> back = parse(writer.toIpXfrmCommands(listed));
        for (int i = 0; i < listed.size(); i++) {
            assertSameConfig(listed.get(i), back.get(i));
        }
    }

    // ---------------------------------------------------------------- Wireshark

    @Test
    void wiresharkEspSaText() {
        assertEquals("# Wireshark ESP SAs (esp_sa table), written by Espline\n"
                + "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x00001000\",\"AES-GCM with 16 octet ICV [RFC4106]\",\""
                + K_GCM128 + "\",\"NULL\",\"\"\n"
                + "\"IPv6\",\"2001:db8:0:0:0:0:0:1\",\"2001:db8:0:0:0:0:0:2\",\"0x00002000\",\"AES-CBC [RFC3602]\",\""
                + K_AES128 + "\",\"HMAC-SHA-256-128 [RFC4868]\",\"" + K_SHA256 + "\"\n",
                writer.toWiresharkEspSa(List.of(gcmOutbound(), cbcIpv6())));
    }

    @Test
    void wiresharkLabelsForEveryExportableAlgorithm() {
        String text = writer.toWiresharkEspSa(List.of(
                sa(0x1).encryption(EncryptionAlgorithm.AES_GCM, key(K_GCM128)).icvLength(8).spi(0x101).build(),
                sa(0x1).encryption(EncryptionAlgorithm.AES_GCM, key(K_GCM128)).icvLength(12).spi(0x102).build(),
                sa(0x1).encryption(EncryptionAlgorithm.NULL, KeyMaterial.EMPTY).spi(0x103)
                        .integrity(IntegrityAlgorithm.HMAC_SHA1_96, key(K_SHA1)).build(),
                sa(0x1).encryption(EncryptionAlgorithm.AES_CBC, key(K_AES128)).spi(0x104)
                        .integrity(IntegrityAlgorithm.HMAC_SHA384_192, key(K_SHA384)).build(),
                sa(0x1).encryption(EncryptionAlgorithm.AES_CBC, key(K_AES128)).spi(0x105)
                        .integrity(IntegrityAlgorithm.HMAC_SHA512_256, key(K_SHA512)).build()));
        assertTrue(text.contains("\"0x00000101\",\"AES-GCM with 8 octet ICV [RFC4106]\""), text);
        assertTrue(text.contains("\"0x00000102\",\"AES-GCM with 12 octet ICV [RFC4106]\""), text);
        assertTrue(text.contains("\"0x00000103\",\"NULL\",\"\",\"HMAC-SHA-1-96 [RFC2404]\",\"" + K_SHA1 + "\""), text);
        assertTrue(text.contains("\"HMAC-SHA-384-192 [RFC4868]\""), text);
        assertTrue(text.contains("\"HMAC-SHA-512-256 [RFC4868]\""), text);
    }

    @Test
    void wiresharkCannotDecryptCcmChaChaOrGmac() {
        SaConfig chacha = sa(0x1004).encryption(EncryptionAlgorithm.CHACHA20_POLY1305, key(K_CHACHA)).build();
        SaConfig gmac = sa(0x1005).encryption(EncryptionAlgorithm.AES_GMAC, key(K_GCM128)).build();
        assertFalse(XfrmStateWriter.wiresharkSupports(chacha));
        assertTrue(XfrmStateWriter.wiresharkSupports(gcmOutbound()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> writer.toWiresharkEspSa(List.of(gcmOutbound(), chacha, gmac)));
        assertEquals("Wireshark 4.0 cannot decrypt spi 0x1004 (rfc7539esp(chacha20,poly1305)), spi 0x1005"
                + " (rfc4543(gcm(aes))); it supports NULL, AES-CBC and AES-GCM (RFC 4106)", e.getMessage());
    }

    /**
     * Loads the table into the installed tshark (skipped without one): tshark checks every algorithm label
     * against its value strings and reports "Error loading table 'ESP SAs'" otherwise. The twin with a
     * wrong label proves the check can fail.
     */
    @Test
    void tsharkAcceptsTheTable(@TempDir Path dir) throws Exception {
        Path tshark = onPath("tshark");
        assumeTrue(tshark != null, "tshark not installed");
        Path pcap = dir.resolve("empty.pcap");
        Files.write(pcap, new byte[] {(byte) 0xd4, (byte) 0xc3, (byte) 0xb2, (byte) 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                (byte) 0xff, (byte) 0xff, 0, 0, 1, 0, 0, 0});
        List<SaConfig> sas = List.of(gcmOutbound(), cbcIpv6(),
                sa(0x3000).encryption(EncryptionAlgorithm.NULL, KeyMaterial.EMPTY)
                        .integrity(IntegrityAlgorithm.HMAC_SHA512_256, key(K_SHA512)).build());
        String table = writer.toWiresharkEspSa(sas);

        Files.writeString(dir.resolve("esp_sa"), table);
        String ok = runTshark(tshark, dir, pcap);
        assertFalse(ok.contains("Error") || ok.contains("invalid"), ok);

        Files.writeString(dir.resolve("esp_sa"), table.replace("AES-CBC [RFC3602]", "AES-CBC"));
        assertTrue(runTshark(tshark, dir, pcap).contains("esp_sa:3: invalid value: AES-CBC"));
    }

    private static String runTshark(Path tshark, Path configDir, Path pcap) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(tshark.toString(), "-r", pcap.toString(),
                "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE");
        pb.environment().put("WIRESHARK_CONFIG_DIR", configDir.toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "tshark did not finish");
        return output;
    }

    private static Path onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
