package org.espline.dsl.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.espline.runtime.config.XfrmPolicy;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.sa.Lifetime;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model to runtime: every sa field, the three kinds of key, policies, and problems with their positions. */
class ModelSasTest {
    private static final String GCM_KEY = "0x000102030405060708090a0b0c0d0e0fcafebabe";

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private static byte[] bytes(String hex) {
        return ModelSas.hex(hex);
    }

    @Test
    void mapsEveryFieldOfATunnelSa() throws Exception {
        Path m = write("a.espl", String.join("\n",
                "sa a {",
                "\tspi 0x00001001",
                "\tmode tunnel src 192.0.2.1 dst 198.51.100.1",
                "\tencap udp 4500 4501",
                "\taead aes128gcm12 key " + GCM_KEY,
                "\tesn",
                "\treplay-window 1024",
                "\treplay-seq 0x100000005",
                "\treplay-oseq 7",
                "\tlifetime soft 1000 bytes 10 packets hard 3600 seconds",
                "\ttfc-pad 512",
                "}", ""));
        List<SaConfig> sas = new ModelSas(name -> null).sas(m);
        assertEquals(1, sas.size());
        SaConfig a = sas.get(0);
        assertEquals("a", a.name());
        assertEquals(0x1001, a.spi());
        assertEquals(0x1001, a.reqid());
        assertEquals(SaMode.TUNNEL, a.mode());
        assertEquals(InetAddress.getByName("192.0.2.1"), a.source());
        assertEquals(InetAddress.getByName("198.51.100.1"), a.destination());
        assertEquals(4500, a.encapsulation().sourcePort());
        assertEquals(4501, a.encapsulation().destinationPort());
        assertEquals(EncryptionAlgorithm.AES_GCM, a.encryption());
        assertEquals(KeyMaterial.of(bytes(GCM_KEY)), a.encryptionKey());
        assertEquals(12, a.icvLength());
        assertTrue(a.esn());
        assertEquals(1024, a.replayWindow());
        assertEquals(0x100000005L, a.inboundSequence());
        assertEquals(7, a.outboundSequence());
        assertEquals(new Lifetime(1000, 10, Long.MAX_VALUE), a.softLifetime());
        assertEquals(new Lifetime(Long.MAX_VALUE, Long.MAX_VALUE, 3600), a.hardLifetime());
        assertEquals(512, a.tfcPadTo());
    }

    @Test
    void nullBenchmarkOnlyMapsToTheRuntimesBenchmarkFlag() throws Exception {
        Path m = write("n.espl", "sa n {\n\tspi 0x1003\n\tmode tunnel src 192.0.2.1 dst 198.51.100.1\n"
                + "\tenc null benchmark-only\n}\n");
        SaConfig n = new ModelSas(name -> null).sas(m).get(0);
        assertEquals(EncryptionAlgorithm.NULL, n.encryption());
        assertEquals(IntegrityAlgorithm.NONE, n.integrity());
        assertTrue(n.benchmarkOnlyNullWithoutIntegrity());
    }

    @Test
    void keysFromTheEnvironmentAndFromFilesRelativeToTheModel() throws Exception {
        Files.createDirectories(dir.resolve("keys"));
        Files.writeString(dir.resolve("keys/enc.hex"), "  101112131415161718191a1b1c1d1e1f\n");
        byte[] raw = new byte[32];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (byte) (0xF0 + (i & 0x0F) - 0x80 * (i & 1)); // not hex text: raw bytes
        }
        Files.write(dir.resolve("keys/auth.bin"), raw);
        Path m = write("b.espl", String.join("\n",
                "sa b {",
                "\tspi 0x2001",
                "\tmode tunnel src 198.51.100.1 dst 192.0.2.1",
                "\tenc aes128 key file:\"keys/enc.hex\"",
                "\tauth sha256 key file \"keys/auth.bin\"",
                "}",
                "sa c {",
                "\tspi 0x3001",
                "\tmode tunnel src 198.51.100.1 dst 192.0.2.1",
                "\taead aes128gcm16 key env:GCM_KEY",
                "}", ""));
        List<SaConfig> sas = new ModelSas(Map.<String, String>of("GCM_KEY", " " + GCM_KEY + "\n")::get).sas(m);
        assertEquals(KeyMaterial.of(bytes("101112131415161718191a1b1c1d1e1f")), sas.get(0).encryptionKey());
        assertEquals(IntegrityAlgorithm.HMAC_SHA256_128, sas.get(0).integrity());
        assertEquals(KeyMaterial.of(raw), sas.get(0).integrityKey());
        assertEquals(32, sas.get(0).replayWindow(), "Espline's default window");
        assertFalse(sas.get(0).esn());
        assertNull(sas.get(0).encapsulation());
        assertEquals(KeyMaterial.of(bytes(GCM_KEY)), sas.get(1).encryptionKey());
    }

    @Test
    void keyProblemsNameFileLineAndColumnButNeverTheKey() throws Exception {
        Path m = write("c.espl", String.join("\n",
                "sa c {",
                "\tspi 0x3001",
                "\tmode tunnel src 198.51.100.1 dst 192.0.2.1",
                "\taead aes128gcm16 key env:MISSING",
                "}",
                "sa d {",
                "\tspi 0x3002",
                "\tmode tunnel src 198.51.100.1 dst 192.0.2.1",
                "\tenc aes256 key env:MISSING auth sha256 key file:\"nope.key\"",
                "}", ""));
        ModelException e = assertThrows(ModelException.class, () -> new ModelSas(name -> null).sas(m));
        assertEquals(List.of(
                m + ":4:23: error: sa c: key env:MISSING: the environment variable MISSING is not set",
                m + ":9:17: error: sa d: key env:MISSING: the environment variable MISSING is not set",
                m + ":9:45: error: sa d: key file \"nope.key\": cannot read " + dir.resolve("nope.key") + " (no such file)"),
                e.problems().stream().map(ModelProblem::toString).toList());
    }

    @Test
    void aLiteralKeyOfTheWrongLengthIsAValidationErrorThatNeverShowsTheKey() throws Exception {
        Path m = write("k.espl", String.join("\n",
                "sa d {",
                "\tspi 0x3002",
                "\tmode tunnel src 198.51.100.1 dst 192.0.2.1",
                "\tenc aes256 key 0x0011223344556677 auth sha256 key env:AUTH",
                "}", ""));
        ModelException e = assertThrows(ModelException.class, () -> new ModelSas(name -> null).sas(m));
        assertTrue(e.problems().stream().map(ModelProblem::toString)
                .anyMatch(p -> p.startsWith(m + ":4:17: error: enc aes256 key must be 32 bytes")), e.getMessage());
        assertFalse(e.getMessage().contains("0011223344556677"));
    }

    @Test
    void aTransportSaTakesItsHostsFromItsPolicy() throws Exception {
        Path m = write("t.espl", String.join("\n",
                "sa t {",
                "\tspi 0x4001",
                "\tmode transport",
                "\taead aes256gcm16 key 0x" + "22".repeat(36),
                "}",
                "policy p {",
                "\tdir out",
                "\tsrc 2001:db8::1 dst 2001:db8::2/128",
                "\tproto tcp",
                "\tdport 443",
                "\tprotect t",
                "}", ""));
        ModelSas models = new ModelSas(name -> null);
        ModelSas.Loaded loaded = models.load(m);
        List<SaConfig> sas = models.sas(loaded);
        assertEquals(InetAddress.getByName("2001:db8::1"), sas.get(0).source());
        assertEquals(InetAddress.getByName("2001:db8::2"), sas.get(0).destination());
        List<XfrmPolicy> policies = models.policies(loaded, sas);
        assertEquals(1, policies.size());
        assertEquals("ip xfrm policy add src 2001:db8::1/128 dst 2001:db8::2/128 proto tcp dport 443 dir out priority 100"
                + " action allow \\\n    tmpl proto esp reqid 16385 mode transport\n", policies.get(0).toIpXfrmCommand());
    }

    @Test
    void importedFilesContributeTheirSasAndTheirProblemsNameThem() throws Exception {
        write("shared.espl", "sa s {\n\tspi 0x5001\n\tmode tunnel src 192.0.2.1 dst 198.51.100.1\n\taead aes128gcm16 key "
                + GCM_KEY + "\n}\n");
        Path m = write("main.espl", "import \"shared.espl\"\npolicy p {\n\tdir out\n\tsrc 10.1.0.0/16 dst 10.2.0.0/16\n\tprotect s\n}\n");
        List<SaConfig> sas = new ModelSas(name -> null).sas(m);
        assertEquals("s", sas.get(0).name());

        write("shared.espl", "sa s {\n\tspi 0x5001\n\tmode tunnel src 192.0.2.1 dst 198.51.100.1\n\taead aes128gcm16 key 0x00\n}\n");
        ModelException e = assertThrows(ModelException.class, () -> new ModelSas(name -> null).sas(m));
        assertTrue(e.problems().get(0).toString().contains("shared.espl:4:"), e.getMessage());
    }

    @Test
    void aSyntaxErrorIsAProblemNotAnException() throws Exception {
        Path m = write("bad.espl", "sa x {\n\tspi 0x1001\n\tmode tunel\n}\n");
        ModelSas.Loaded loaded = new ModelSas().load(m);
        assertTrue(loaded.hasErrors());
        assertTrue(loaded.problems().stream().anyMatch(p -> p.toString().startsWith(m + ":3:7: error: ")),
                loaded.problems().toString());
    }
}
