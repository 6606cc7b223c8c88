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
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's contract: exit codes, messages that name file and position, never a stack trace. */
class MainTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path demoSas() throws IOException {
        Path p = dir.resolve("sas.xfrm");
        try (InputStream in = MainTest.class.getResourceAsStream("/demo/sas.xfrm")) {
            Files.write(p, in.readAllBytes());
        }
        return p;
    }

    private Path demoPcap() throws IOException {
        Path p = dir.resolve("plain.pcap");
        try (InputStream in = MainTest.class.getResourceAsStream("/demo/plain.pcap")) {
            Files.write(p, in.readAllBytes());
        }
        return p;
    }

    @Test
    void demoRunsTheBundledGatewaysAndChecksEveryByte() {
        assertEquals(0, run("demo", "--megabytes", "4", "--out", dir.toString()), err());
        String o = out.toString(StandardCharsets.UTF_8);
        assertTrue(o.contains("site-to-site-gw-a.espl pipeline 'egress' (tx)"), o);
        assertTrue(o.contains("site-to-site-gw-b.espl pipeline 'ingress' (rx)"), o);
        assertTrue(o.contains("verified: every delivered byte is what was sent (4/4 TCP streams complete, 2000/2000 UDP, 500/500 ICMP)"), o);
        assertTrue(o.matches("(?s).*XfrmInStateProtoError +[1-9].*"), o);
        assertTrue(o.matches("(?s).*XfrmInStateSeqError +[1-9].*"), o);
        assertTrue(o.matches("(?s).*XfrmOutPolBlock +100 .*"), o);
        assertTrue(Files.isRegularFile(dir.resolve("gw-b-ingress.pcap")));
        assertTrue(Files.isRegularFile(dir.resolve("generated/src/site_to_site/gw_a/EgressPipeline.java")));
        assertFalse(o.contains("8a3f5e2c91d04b7e"), "keys never printed");
    }

    @Test
    void demoWithOneModelRunsItsOwnTxIntoItsOwnRx() throws IOException {
        Path models = Path.of(System.getProperty("espline.repo.root", "..")).resolve("examples/models");
        assertEquals(0, run("demo", models.resolve("site-to-site-gw-a.espl").toString(), "--megabytes", "2", "--flows", "2",
                "--out", dir.toString()), err());
        String o = out.toString(StandardCharsets.UTF_8);
        assertTrue(o.contains("(2/2 TCP streams complete"), o);
    }

    @Test
    void demoRefusesABrokenModelWithPositions() throws IOException {
        Path bad = dir.resolve("bad.espl");
        Files.writeString(bad, "package bad\nsa x {\n  spi 0x1\n}\n");
        assertEquals(2, run("demo", bad.toString(), "--out", dir.toString()));
        assertTrue(err().contains("bad.espl:2:"), err());
        assertFalse(err().contains("Exception"), err());
    }

    @Test
    void demoRefusesAModelWithoutSecretsAtHand() throws IOException {
        Path models = Path.of(System.getProperty("espline.repo.root", "..")).resolve("examples/models");
        int status = run("demo", models.resolve("host-to-host.espl").toString(), "--megabytes", "1", "--out", dir.toString());
        assertEquals(2, status, err());
        assertTrue(err().contains("DB1_TO_DB2_KEY") || err().contains("DB2_TO_DB1_KEY"), err());
        assertFalse(err().contains("\tat "), err());
    }

    @Test
    void demoRejectsBadArguments() {
        assertEquals(2, run("demo", "--megabytes", "zero"));
        assertTrue(err().contains("--megabytes needs a positive whole number"), err());
        assertEquals(2, run("demo", "no-such.espl"));
        assertEquals(2, run("demo", "a", "b", "c"));
    }

    @Test
    void tourRunsAndReportsSuccess() {
        assertEquals(0, run("tour", "--out", dir.toString()), err());
        String o = out.toString(StandardCharsets.UTF_8);
        assertTrue(o.contains("every delivered packet is identical"), o);
        assertTrue(o.contains("XfrmInStateProtoError=1"), o);
        assertTrue(o.contains("XfrmInStateSeqError=1"), o);
        assertTrue(o.contains("XfrmInNoStates=1"), o);
        assertFalse(o.contains("000102030405"), "keys never printed");
    }

    @Test
    void encryptThenDecryptRestoresTheCaptureAndWritesStats() throws IOException {
        Path sas = demoSas();
        Path plain = demoPcap();
        Path esp = dir.resolve("esp.pcap");
        Path back = dir.resolve("back.pcap");
        Path stats = dir.resolve("stats.json");
        assertEquals(0, run("pcap", "encrypt", "--sa", sas.toString(), "--spi", "0x1001", plain.toString(), esp.toString()), err());
        assertEquals(0, run("pcap", "decrypt", "--sa", sas.toString(), "--stats-json", stats.toString(), esp.toString(), back.toString()), err());
        byte[] a = Files.readAllBytes(plain);
        byte[] b = Files.readAllBytes(back);
        // Same records after the 24-byte file headers (both raw IP, same timestamps).
        assertTrue(Arrays.equals(a, 24, a.length, b, 24, b.length), "decrypted capture equals the original");
        String json = Files.readString(stats);
        assertTrue(json.contains("\"EsplineInDelivered\": 14"), json);
        assertTrue(json.contains("\"drops\": 0"), json);
        assertTrue(json.contains("\"spi\": \"0x00001001\""), json);
    }

    @Test
    void encryptWithSeveralSasNeedsSpi() throws IOException {
        assertEquals(2, run("pcap", "encrypt", "--sa", demoSas().toString(), demoPcap().toString(), dir.resolve("o.pcap").toString()));
        assertTrue(err().contains("choose one with --spi"), err());
    }

    @Test
    void badSaFileNamesLineAndColumn() throws IOException {
        Path sas = dir.resolve("bad.xfrm");
        Files.writeString(sas, "ip xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1000 mode tunnel frobnicate\n");
        assertEquals(2, run("pcap", "decrypt", "--sa", sas.toString(), demoPcap().toString(), dir.resolve("o.pcap").toString()));
        assertTrue(err().startsWith(sas + ":1:"), err());
        assertFalse(err().contains("Exception"), err());
    }

    @Test
    void truncatedPcapNamesTheRecord() throws IOException {
        byte[] p = Files.readAllBytes(demoPcap());
        Path cut = dir.resolve("cut.pcap");
        Files.write(cut, Arrays.copyOf(p, 24 + 16 + 29 + 16 + 5));
        assertEquals(2, run("pcap", "encrypt", "--sa", demoSas().toString(), "--spi", "0x1001", cut.toString(), dir.resolve("o.pcap").toString()));
        assertTrue(err().contains("record 2"), err());
        assertFalse(err().contains("\tat "), "no stack trace: " + err());
    }

    @Test
    void missingFileAndUnknownOptionAreUsageErrors() throws IOException {
        assertEquals(2, run("pcap", "decrypt", "--sa", dir.resolve("nope.xfrm").toString(), "a.pcap", "b.pcap"));
        assertTrue(err().contains("no such file"), err());
        assertEquals(2, run("pcap", "decrypt", "--bogus"));
        assertEquals(2, run("frobnicate"));
        assertEquals(2, run("pcap", "encrypt", "--sa", demoSas().toString(), "--spi", "0xnothex", "a", "b"));
    }

    /** Each backend restores the demo capture and writes the same ESP as the plain software path. */
    @Test
    void offloadBackendsWriteTheSoftwareBytesAndCountNoFallback() throws IOException {
        Path sas = demoSas();
        Path plain = demoPcap();
        Path reference = dir.resolve("reference.pcap");
        assertEquals(0, run("pcap", "encrypt", "--sa", sas.toString(), "--spi", "0x1001", plain.toString(), reference.toString()), err());
        for (String backend : List.of("software", "bouncycastle", "accelerator", "inline-nic")) {
            Path esp = dir.resolve(backend + "-esp.pcap");
            Path back = dir.resolve(backend + "-back.pcap");
            Path stats = dir.resolve(backend + "-stats.json");
            assertEquals(0, run("pcap", "encrypt", "--offload", backend, "--sa", sas.toString(), "--spi", "0x1001",
                    plain.toString(), esp.toString()), err());
            assertArrayEquals(Files.readAllBytes(reference), Files.readAllBytes(esp), backend + ": ESP differs from software");
            assertEquals(0, run("pcap", "decrypt", "--offload", backend, "--sa", sas.toString(), "--stats-json",
                    stats.toString(), esp.toString(), back.toString()), err());
            byte[] a = Files.readAllBytes(plain);
            byte[] b = Files.readAllBytes(back);
            assertTrue(Arrays.equals(a, 24, a.length, b, 24, b.length), backend + ": decrypted capture equals the original");
            String json = Files.readString(stats);
            assertTrue(json.contains("\"EsplineInDelivered\": 14"), json);
            assertTrue(json.contains("\"EsplineOffloadFallback\": 0"), json);
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("offload " + backend), out.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void unknownOffloadBackendIsAUsageError() throws IOException {
        assertEquals(2, run("pcap", "encrypt", "--offload", "quantum", "--sa", demoSas().toString(), "a", "b"));
        assertTrue(err().contains("--offload: 'quantum' is not a backend (expected software, bouncycastle, accelerator, inline-nic)"), err());
        assertFalse(err().contains("\tat "), "no stack trace: " + err());
    }
}
