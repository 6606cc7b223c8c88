package org.espline.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.espline.dsl.runtime.ModelSas;
import org.espline.runtime.config.XfrmStateParser;
import org.espline.runtime.sa.SaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** validate, import xfrm, export xfrm|wireshark and pcap with a model: exit codes, exact output, round trips. */
class ModelCommandsTest {
    private static final Path EXAMPLES = Path.of(System.getProperty("espline.repo.root", ".."), "examples", "models");

    @TempDir
    Path dir;

    private ByteArrayOutputStream out = new ByteArrayOutputStream();
    private ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out = new ByteArrayOutputStream();
        err = new ByteArrayOutputStream();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private Path resource(String name) throws IOException {
        Path p = dir.resolve(name);
        try (InputStream in = ModelCommandsTest.class.getResourceAsStream("/demo/" + name)) {
            Files.write(p, in.readAllBytes());
        }
        return p;
    }

    private void assertNoStackTrace(String s) {
        assertFalse(s.contains("Exception") || s.contains("\tat "), s);
    }

    // ---------------------------------------------------------------- validate

    @Test
    void everyExampleModelValidates() throws IOException {
        try (var files = Files.list(EXAMPLES)) {
            List<Path> models = files.filter(p -> p.toString().endsWith(".espl")).sorted().toList();
            assertFalse(models.isEmpty());
            for (Path m : models) {
                assertEquals(0, run("validate", m.toString()), m + ": " + err());
                assertFalse(err().contains(": error: "), err());
            }
        }
    }

    @Test
    void validateReportsASyntaxErrorWithItsPositionAndExits1() throws IOException {
        Path m = write("broken.espl", "sa x {\n\tspi 0x1001\n\tmode tunel src 192.0.2.1 dst 198.51.100.1\n}\n");
        assertEquals(1, run("validate", m.toString()));
        assertTrue(err().contains(m + ":3:7: error: "), err());
        assertNoStackTrace(err());
    }

    @Test
    void validateRefusesMissingFilesAndNoArguments() {
        assertEquals(2, run("validate"));
        assertEquals(2, run("validate", dir.resolve("none.espl").toString()));
        assertEquals("espline: no such file: " + dir.resolve("none.espl") + "\n", err());
    }

    // ---------------------------------------------------------------- import / export

    private static final String STATES_AND_POLICIES = String.join("\n",
            "ip xfrm state add src 192.0.2.1 dst 198.51.100.1 proto esp spi 0x1001 reqid 1 mode tunnel \\",
            "    aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0fcafebabe 128 replay-window 64 \\",
            "    encap espinudp 4500 4500 0.0.0.0 limit byte-soft 1000000 limit time-hard 3600",
            "ip xfrm state add src 198.51.100.1 dst 192.0.2.1 proto esp spi 0x2001 reqid 2 mode tunnel \\",
            "    enc 'cbc(aes)' 0x101112131415161718191a1b1c1d1e1f \\",
            "    auth-trunc 'hmac(sha256)' 0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f 128 \\",
            "    replay-window 32 flag esn replay-seq 0x10",
            "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 10 tmpl src 192.0.2.1 dst 198.51.100.1 \\",
            "    proto esp reqid 1 mode tunnel",
            "ip xfrm policy add src 10.2.0.0/16 dst 10.1.0.0/16 dir in priority 10 tmpl src 198.51.100.1 dst 192.0.2.1 \\",
            "    proto esp reqid 2 mode tunnel",
            "ip xfrm policy add src 10.2.0.0/16 dst 10.1.0.0/16 dir fwd priority 10 tmpl src 198.51.100.1 dst 192.0.2.1 \\",
            "    proto esp reqid 2 mode tunnel",
            "ip xfrm policy add src 10.1.0.0/16 dst 0.0.0.0/0 proto udp dport 53 dir out priority 5 action allow",
            "ip xfrm policy add src 10.1.0.0/16 dst 0.0.0.0/0 dir out priority 20 action block",
            "");

    private static final String EXPECTED_MODEL = String.join("\n",
            XfrmImport.HEADER,
            "sa sa_1001 {",
            "\tspi 0x00001001",
            "\tdir out",
            "\tmode tunnel src 192.0.2.1 dst 198.51.100.1",
            "\tencap udp 4500 4500",
            "\taead aes128gcm16 key 0x000102030405060708090a0b0c0d0e0fcafebabe",
            "\treplay-window 64",
            "\tlifetime soft 1000000 bytes hard 3600 seconds",
            "}",
            "",
            "sa sa_2001 {",
            "\tspi 0x00002001",
            "\tdir in",
            "\tmode tunnel src 198.51.100.1 dst 192.0.2.1",
            "\tenc aes128 key 0x101112131415161718191a1b1c1d1e1f",
            "\tauth sha256 key 0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
            "\tesn",
            "\treplay-window 32",
            "\treplay-seq 0x10",
            "}",
            "",
            "policy pol_out_1 {",
            "\tdir out",
            "\tsrc 10.1.0.0/16 dst 0.0.0.0/0",
            "\tproto udp",
            "\tdport 53",
            "\tbypass",
            "}",
            "",
            "policy pol_out_2 {",
            "\tdir out",
            "\tsrc 10.1.0.0/16 dst 10.2.0.0/16",
            "\tprotect sa_1001",
            "}",
            "",
            "policy pol_in_3 {",
            "\tdir in",
            "\tsrc 10.2.0.0/16 dst 10.1.0.0/16",
            "\tprotect sa_2001",
            "}",
            "",
            "policy pol_out_4 {",
            "\tdir out",
            "\tsrc 10.1.0.0/16 dst 0.0.0.0/0",
            "\tdiscard",
            "}",
            "");

    @Test
    void importPrintsADeterministicFormattedModel() throws IOException {
        Path x = write("gw.xfrm", STATES_AND_POLICIES);
        assertEquals(0, run("import", "xfrm", x.toString()), err());
        assertEquals(EXPECTED_MODEL, out());
        assertTrue(err().contains("gw.xfrm:12:1: note: dir fwd policy left out"), err());
        Path m = write("gw.espl", out());
        assertEquals(0, run("validate", m.toString()), err());
    }

    @Test
    void importThenExportThenImportGivesTheSameModel() throws Exception {
        Path x = write("gw.xfrm", STATES_AND_POLICIES);
        assertEquals(0, run("import", "xfrm", x.toString()), err());
        String model1 = out();
        Path m1 = write("one.espl", model1);
        assertEquals(0, run("export", "xfrm", m1.toString()), err());
        String exported = out();
        assertTrue(exported.contains("ip xfrm policy add src 10.2.0.0/16 dst 10.1.0.0/16 dir fwd"), exported);
        Path x2 = write("two.xfrm", exported);
        assertEquals(0, run("import", "xfrm", x2.toString()), err());
        assertEquals(model1, out());
        Path m2 = write("two.espl", out());

        List<SaConfig> a = new ModelSas().sas(m1);
        List<SaConfig> b = new ModelSas().sas(m2);
        assertEquals(2, a.size());
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertSameConfig(a.get(i), b.get(i));
        }
    }

    @Test
    void importReadsTheIpXfrmListings() throws IOException {
        String listing = String.join("\n",
                "src 192.0.2.1 dst 198.51.100.1",
                "\tproto esp spi 0x00001001 reqid 1 mode tunnel",
                "\treplay-window 64 flag af-unspec",
                "\taead rfc4106(gcm(aes)) 0x000102030405060708090a0b0c0d0e0fcafebabe 128",
                "\tencap type espinudp sport 4500 dport 4500 addr 0.0.0.0",
                "\tlifetime config:",
                "\t  limit: soft (INF)(bytes), hard (INF)(bytes)",
                "\t  limit: soft (INF)(packets), hard (INF)(packets)",
                "\t  expire add: soft 0(sec), hard 0(sec)",
                "\t  expire use: soft 0(sec), hard 0(sec)",
                "src 10.1.0.0/16 dst 10.2.0.0/16 ",
                "\tdir out priority 375423 ptype main ",
                "\ttmpl src 192.0.2.1 dst 198.51.100.1",
                "\t\tproto esp reqid 1 mode tunnel",
                "src 0.0.0.0/0 dst 0.0.0.0/0 ",
                "\tsocket in priority 0 ptype main ",
                "");
        Path x = write("listing.txt", listing);
        assertEquals(0, run("import", "xfrm", x.toString()), err());
        assertTrue(out().contains("policy pol_out_1 {\n\tdir out\n\tsrc 10.1.0.0/16 dst 10.2.0.0/16\n\tprotect sa_1001\n}\n"), out());
        assertTrue(out().contains("sa sa_1001 {\n\tspi 0x00001001\n\tdir out\n"), out());
    }

    @Test
    void aTransportSaRoundTripsThroughItsHostPolicyAndIsRefusedWithoutOne() throws Exception {
        String state = "ip xfrm state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x4001 reqid 4 mode transport \\\n"
                + "    aead 'rfc7539esp(chacha20,poly1305)' 0x" + "33".repeat(36) + " 128 replay-window 128\n";
        Path alone = write("alone.xfrm", state);
        assertEquals(1, run("import", "xfrm", alone.toString()));
        assertTrue(err().startsWith(alone + ":1:1: transport-mode SA spi 0x00004001 (2001:db8::1 -> 2001:db8::2)"
                + " needs a first policy with exactly these hosts"), err());

        Path x = write("host.xfrm", state + "ip xfrm policy add src 2001:db8::1/128 dst 2001:db8::2/128 proto tcp dport 443 dir out \\\n"
                + "    tmpl proto esp reqid 4 mode transport\n");
        assertEquals(0, run("import", "xfrm", x.toString()), err());
        String model = out();
        assertTrue(model.contains("\tmode transport\n"), model);
        assertTrue(model.contains("\tsrc 2001:db8::1/128 dst 2001:db8::2/128\n"), model);
        Path m = write("host.espl", model);
        assertEquals(0, run("export", "xfrm", m.toString()), err());
        Path x2 = write("host2.xfrm", out());
        assertEquals(0, run("import", "xfrm", x2.toString()), err());
        assertEquals(model, out());
    }

    @Test
    void brokenXfrmInputIsReportedWithFileLineColumnAndExit1() throws IOException {
        Path x = write("broken.xfrm", String.join("\n",
                "ip xfrm state add src 192.0.2.1 dst 198.51.100.1 proto esp spi 0x1001 reqid 1 mode tunnel \\",
                "    aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0fcafebabe 128",
                "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out tmpl proto esp reqid 1 mode bogus",
                "ip xfrm policy add src 10.1.0.0/16 dst 10.3.0.0/16 dir sideways",
                ""));
        assertEquals(1, run("import", "xfrm", x.toString()));
        assertEquals(x + ":3:88: tmpl mode: expected tunnel or transport but was 'bogus'\n"
                + x + ":4:56: dir: expected in, out or fwd but was 'sideways'\n", err());
        assertEquals("", out());
    }

    @Test
    void aTemplateThatNamesNoSaIsAnError() throws IOException {
        Path x = write("orphan.xfrm", "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out tmpl proto esp reqid 9 mode tunnel\n");
        assertEquals(1, run("import", "xfrm", x.toString()));
        assertTrue(err().startsWith(x + ":1:60: tmpl reqid 9 mode tunnel matches no SA"), err());
    }

    @Test
    void exportOfABrokenModelNamesFileLineColumn() throws IOException {
        Path m = write("bad.espl", "sa a {\n\tspi 0x1001\n\tmode tunnel src 192.0.2.1 dst 198.51.100.1\n\taead aes128gcm16 key 0x0011\n}\n");
        assertEquals(1, run("export", "xfrm", m.toString()));
        assertTrue(err().contains(m + ":4:"), err());
        assertTrue(err().contains("key must be 20 bytes"), err());
        assertNoStackTrace(err());
    }

    // ---------------------------------------------------------------- wireshark

    @Test
    void exportWiresharkPrintsTheEspSaTableAndNamesWhatItCannotDecrypt() throws IOException {
        assertEquals(0, run("export", "wireshark", EXAMPLES.resolve("site-to-site-gw-a.espl").toString()), err());
        assertEquals(String.join("\n",
                "# Wireshark ESP SAs (esp_sa table), written by Espline",
                "\"IPv4\",\"192.0.2.1\",\"198.51.100.1\",\"0x00001001\",\"AES-GCM with 16 octet ICV [RFC4106]\","
                        + "\"0x8a3f5e2c91d04b7e6f1a2b3c4d5e6f70c0ffee01\",\"NULL\",\"\"",
                "\"IPv4\",\"198.51.100.1\",\"192.0.2.1\",\"0x00002001\",\"AES-CBC [RFC3602]\",\"0x5b2e8f1a7c3d9e4f0a6b1c2d3e4f5a6b\","
                        + "\"HMAC-SHA-256-128 [RFC4868]\",\"0x3c6e0b8a2f4d7e9c1b5a3f8e6d2c4b0a9e7f5d3c1b2a4f6e8d0c2b4a6f8e0d2c\"",
                ""), out());
        assertEquals("", err());

        Path m = write("chacha.espl", "sa c {\n\tspi 0x3001\n\tmode tunnel src 192.0.2.1 dst 198.51.100.1\n"
                + "\taead chacha20poly1305 key 0x" + "11".repeat(36) + "\n}\n");
        assertEquals(0, run("export", "wireshark", m.toString()), err());
        assertEquals("# Wireshark ESP SAs (esp_sa table), written by Espline\n", out());
        assertEquals("# not in the table: c (rfc7539esp(chacha20,poly1305)): Wireshark 4.0 decrypts only NULL, AES-CBC and AES-GCM\n", err());
    }

    // ---------------------------------------------------------------- pcap with a model

    @Test
    void pcapDecryptWithAModelEqualsDecryptWithTheXfrmFile() throws Exception {
        Path sas = resource("sas.xfrm");
        Path plain = resource("plain.pcap");
        assertEquals(0, run("import", "xfrm", sas.toString()), err());
        Path model = write("demo.espl", out());
        for (String spi : List.of("0x1001", "0x2002")) {
            Path esp = dir.resolve("esp-" + spi + ".pcap");
            Path viaXfrm = dir.resolve("x-" + spi + ".pcap");
            Path viaModel = dir.resolve("m-" + spi + ".pcap");
            assertEquals(0, run("pcap", "encrypt", "--sa", model.toString(), "--spi", spi, plain.toString(), esp.toString()), err());
            assertEquals(0, run("pcap", "decrypt", "--sa", sas.toString(), esp.toString(), viaXfrm.toString()), err());
            String xfrmSummary = out();
            assertEquals(0, run("pcap", "decrypt", "--sa", model.toString(), esp.toString(), viaModel.toString()), err());
            assertTrue(out().startsWith("decrypted 14 of 14 records"), out());
            assertEquals(xfrmSummary.lines().findFirst(), out().lines().findFirst());
            assertArrayEquals(Files.readAllBytes(viaXfrm), Files.readAllBytes(viaModel));
            byte[] a = Files.readAllBytes(plain);
            byte[] b = Files.readAllBytes(viaModel);
            assertArrayEquals(java.util.Arrays.copyOfRange(a, 24, a.length), java.util.Arrays.copyOfRange(b, 24, b.length));
        }
        // The model's SAs are the file's, except for the reqid (a model's is its SPI) and the name.
        List<SaConfig> fromXfrm = new XfrmStateParser().parse(sas);
        List<SaConfig> fromModel = new ModelSas().sas(model);
        for (int i = 0; i < fromXfrm.size(); i++) {
            assertSameConfig(fromXfrm.get(i).toBuilder().reqid(fromModel.get(i).reqid()).name(fromModel.get(i).name()).build(),
                    fromModel.get(i));
        }
    }

    @Test
    void pcapWithABrokenModelNamesFileLineColumn() throws IOException {
        Path m = write("broken.espl", "sa x {\n\tspi 0x1001\n\tmode tunel\n}\n");
        assertEquals(2, run("pcap", "decrypt", "--sa", m.toString(), "in.pcap", dir.resolve("out.pcap").toString()));
        assertTrue(err().contains(m + ":3:7: error: "), err());
        assertNoStackTrace(err());
    }

    static void assertSameConfig(SaConfig a, SaConfig b) {
        assertEquals(a.toString(), b.toString());
        assertEquals(a.name(), b.name());
        assertEquals(a.source(), b.source());
        assertEquals(a.destination(), b.destination());
        assertEquals(a.spi(), b.spi());
        assertEquals(a.mode(), b.mode());
        assertEquals(a.reqid(), b.reqid());
        assertEquals(a.encryption(), b.encryption());
        assertEquals(a.encryptionKey(), b.encryptionKey());
        assertEquals(a.integrity(), b.integrity());
        assertEquals(a.integrityKey(), b.integrityKey());
        assertEquals(a.icvLength(), b.icvLength());
        assertEquals(a.encapsulation() == null, b.encapsulation() == null);
        if (a.encapsulation() != null) {
            assertEquals(a.encapsulation().sourcePort(), b.encapsulation().sourcePort());
            assertEquals(a.encapsulation().destinationPort(), b.encapsulation().destinationPort());
        }
        assertEquals(a.esn(), b.esn());
        assertEquals(a.replayWindow(), b.replayWindow());
        assertEquals(a.inboundSequence(), b.inboundSequence());
        assertEquals(a.outboundSequence(), b.outboundSequence());
        assertEquals(a.softLifetime(), b.softLifetime());
        assertEquals(a.hardLifetime(), b.hardLifetime());
        assertEquals(a.tfcPadTo(), b.tfcPadTo());
    }
}
