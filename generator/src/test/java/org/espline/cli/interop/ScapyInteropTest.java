package org.espline.cli.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop proof against scapy 2.5, an ESP implementation written independently of Espline, in both
 * directions over the whole matrix of {@code esp_interop.py} (algorithms × tunnel/transport ×
 * IPv4/IPv6 × plain/UDP-encapsulated × ESN off/on across 2^32).
 *
 * <ol>
 *   <li>Espline decrypts what scapy encrypted and must give back {@code plain.pcap} byte for byte.
 *   <li>scapy decrypts what Espline encrypted from {@code plain.pcap}; one {@code check} run covers
 *       all cells, and its verdict per cell becomes one test each.
 * </ol>
 *
 * <p>The harness proves itself first: its checker must pass scapy's own ESP and fail corrupted copies.
 * Set {@code -Despline.interop.dir=DIR} to keep every cell's files for inspection.
 */
class ScapyInteropTest {
    private static final String CONTROL_FILE = "control-esp.pcap";

    @TempDir
    static Path tempDir;

    private static Path python;
    private static Path script;
    private static Path matrix;
    private static List<InteropCell> cells;

    @BeforeAll
    static void generateMatrix() {
        python = ExternalTools.scapyPython();
        script = ExternalTools.interopScript();
        matrix = ExternalTools.workDir(tempDir, "scapy-matrix");
        ExternalTools.Result gen = python("gen", matrix.toString());
        assertEquals(0, gen.exitCode(), () -> "esp_interop.py gen failed\n" + gen.describe());
        cells = InteropCell.loadAll(matrix);
        assertFalse(cells.isEmpty(), "esp_interop.py gen wrote no cells");
    }

    /**
     * Control for the checker itself: every cell's scapy ESP passes, and two corrupted cells (a flipped
     * ciphertext byte under an AEAD, a flipped ICV byte under HMAC with ESN) fail.
     */
    @Test
    void checkerPassesScapysOwnEspAndFailsCorruptedCopies() throws IOException {
        InteropCell aead = cell("aes-gcm-128-icv16-tunnel-v4-noesn");
        InteropCell hmacEsn = cell("aes-cbc-128-sha256-transport-v6-esn");
        for (InteropCell c : cells) {
            TinyPcap.Capture scapy = TinyPcap.read(c.scapyEsp());
            List<byte[]> packets = new ArrayList<>(scapy.packets());
            if (c == aead) {
                flip(packets, 0, packets.get(0).length / 2);
            } else if (c == hmacEsn) {
                flip(packets, 3, packets.get(3).length - 1); // seq 0x1_00000001: past the 2^32 wrap
            }
            TinyPcap.write(c.dir().resolve(CONTROL_FILE), scapy.linktype(), packets);
        }
        ExternalTools.Result r = python("check", matrix.toString(), "--esp-file", CONTROL_FILE);
        Map<String, String> verdicts = verdicts(r.stdout());
        for (InteropCell c : cells) {
            String verdict = verdicts.get(c.name());
            boolean corrupted = c == aead || c == hmacEsn;
            assertTrue(verdict != null && verdict.startsWith(corrupted ? "FAIL " : "PASS "),
                    () -> c + ": checker said " + verdict + " for " + (corrupted ? "a corrupted" : "scapy's own")
                            + " ESP\n" + r.describe());
        }
        assertEquals(1, r.exitCode(), () -> "check must exit 1 when a cell fails\n" + r.describe());
    }

    /** Direction A: {@code espline pcap decrypt} of scapy's ESP restores plain.pcap exactly. */
    @TestFactory
    Stream<DynamicTest> esplineDecryptsScapyEsp() {
        return cells.stream().map(c -> dynamicTest(c.name(), () -> {
            Map<String, Long> counters = EsplineCli.decrypt(c, c.scapyEsp(), c.esplinePlain(),
                    c.dir().resolve("decrypt-stats.json"));
            TinyPcap.Capture got = TinyPcap.read(c.esplinePlain());
            assertEquals(TinyPcap.LINKTYPE_RAW, got.linktype(), () -> c + ": decrypt output link type");
            String diff = TinyPcap.firstDifference(TinyPcap.read(c.plain()).packets(), got.packets());
            assertNull(diff, () -> c + ": espline-plain.pcap differs from plain.pcap: " + diff + " (in " + c.dir()
                    + ")");
            EsplineCli.assertOnlyDelivered(c.name(), counters, "EsplineInDelivered", c.packets());
        }));
    }

    /**
     * Direction B: {@code espline pcap encrypt} of plain.pcap, then scapy decrypts it. The encrypt
     * tests come first; JUnit consumes a factory's stream lazily, so the container after them runs the
     * single {@code check} only once every cell's espline-esp.pcap exists.
     */
    @TestFactory
    Stream<DynamicNode> scapyDecryptsEsplineEsp() {
        Stream<DynamicNode> encrypts = cells.stream().map(c -> dynamicTest("espline encrypts " + c.name(), () -> {
            Map<String, Long> counters = EsplineCli.encrypt(c, c.plain(), c.esplineEsp(),
                    c.dir().resolve("encrypt-stats.json"));
            EsplineCli.assertOnlyDelivered(c.name(), counters, "EsplineOutDelivered", c.packets());
        }));
        Stream<DynamicNode> verdicts = Stream.of("scapy decrypts Espline's ESP").map(title -> {
            ExternalTools.Result r = python("check", matrix.toString());
            Map<String, String> byCell = verdicts(r.stdout());
            List<DynamicNode> tests = new ArrayList<>();
            tests.add(dynamicTest("check ran and summed up", () -> assertTrue(
                    r.stdout().lines().anyMatch(l -> l.matches("\\d+ passed, \\d+ failed")),
                    () -> "esp_interop.py check did not finish\n" + r.describe())));
            for (InteropCell c : cells) {
                tests.add(dynamicTest(c.name(), () -> {
                    String verdict = byCell.get(c.name());
                    assertTrue(verdict != null && verdict.startsWith("PASS "),
                            () -> verdict == null ? c + ": no verdict from check\n" + r.describe() : verdict);
                }));
            }
            return dynamicContainer(title, tests);
        });
        return Stream.concat(encrypts, verdicts);
    }

    private static InteropCell cell(String name) {
        return cells.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("matrix has no cell " + name));
    }

    private static void flip(List<byte[]> packets, int index, int offset) {
        byte[] copy = packets.get(index).clone();
        copy[offset] ^= 0x01;
        packets.set(index, copy);
    }

    /** {@code PASS name (...)} / {@code FAIL name: reason} lines, by cell name. */
    private static Map<String, String> verdicts(String stdout) {
        Map<String, String> byCell = new LinkedHashMap<>();
        stdout.lines().forEach(line -> {
            if (line.startsWith("PASS ") || line.startsWith("FAIL ")) {
                String rest = line.substring(5);
                int end = rest.indexOf(line.startsWith("PASS ") ? ' ' : ':');
                byCell.put(end < 0 ? rest : rest.substring(0, end), line);
            }
        });
        return byCell;
    }

    private static ExternalTools.Result python(String... args) {
        List<String> command = new ArrayList<>(List.of(python.toString(), script.toString()));
        command.addAll(List.of(args));
        return ExternalTools.run(command, null, Map.of());
    }
}
