package org.espline.cli.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.espline.runtime.offload.OffloadDevices;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scapy interop of {@link ScapyInteropTest}, once per offload backend: {@code espline pcap decrypt --offload B}
 * restores scapy's ESP to plain.pcap byte for byte, and scapy decrypts what {@code espline pcap encrypt --offload B}
 * made, over the whole matrix (algorithms × tunnel/transport × IPv4/IPv6 × plain/UDP-encapsulated × ESN off/on
 * across 2^32). Every packet must be delivered with no drop and no software fallback, except that the Bouncy Castle
 * backend has no AES-GMAC/NULL engine: those cells go through the software path, and their fallback is counted.
 * The negative cases: corrupted copies of scapy's ESP are dropped as XfrmInStateProtoError by every backend.
 */
class OffloadScapyInteropTest {
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
        matrix = ExternalTools.workDir(tempDir, "offload-matrix");
        ExternalTools.Result gen = python("gen", matrix.toString());
        assertEquals(0, gen.exitCode(), () -> "esp_interop.py gen failed\n" + gen.describe());
        cells = InteropCell.loadAll(matrix);
        assertFalse(cells.isEmpty(), "esp_interop.py gen wrote no cells");
    }

    @TestFactory
    Stream<DynamicNode> everyBackendInteroperatesWithScapy() {
        return OffloadDevices.CLI_NAMES.stream().map(backend -> dynamicContainer(backend, backendTests(backend)));
    }

    private static boolean softwareOnly(String backend, InteropCell c) {
        return backend.equals("bouncycastle") && (c.xfrmEnc().contains("rfc4543") || c.xfrmEnc().contains("cipher_null"));
    }

    private static Stream<DynamicNode> backendTests(String backend) {
        Stream<DynamicNode> decrypts = cells.stream().map(c -> dynamicTest("decrypts scapy: " + c.name(), () -> {
            Path out = c.dir().resolve("offload-plain.pcap");
            Path stats = c.dir().resolve("offload-decrypt-stats.json");
            EsplineCli.Run r = EsplineCli.run("pcap", "decrypt", "--offload", backend, "--sa", c.sa(), c.scapyEsp(), out,
                    "--stats-json", stats);
            assertEquals(0, r.exitCode(), r::describe);
            String diff = TinyPcap.firstDifference(TinyPcap.read(c.plain()).packets(), TinyPcap.read(out).packets());
            assertNull(diff, () -> c + " via " + backend + ": differs from plain.pcap: " + diff);
            assertCounters(backend, c, EsplineCli.counters(stats, r), "EsplineInDelivered");
        }));
        Stream<DynamicNode> negatives = Stream.of(dynamicTest("drops corrupted scapy ESP", () -> {
            for (InteropCell c : List.of(cells.get(0), cells.get(cells.size() - 1))) {
                TinyPcap.Capture scapy = TinyPcap.read(c.scapyEsp());
                List<byte[]> packets = new ArrayList<>(scapy.packets());
                byte[] bad = packets.get(0).clone();
                bad[bad.length - 1] ^= 0x01;
                packets.set(0, bad);
                Path corrupted = c.dir().resolve("offload-corrupted.pcap");
                TinyPcap.write(corrupted, scapy.linktype(), packets);
                Path stats = c.dir().resolve("offload-corrupted-stats.json");
                EsplineCli.Run r = EsplineCli.run("pcap", "decrypt", "--offload", backend, "--sa", c.sa(), corrupted,
                        c.dir().resolve("offload-corrupted-plain.pcap"), "--stats-json", stats);
                assertEquals(0, r.exitCode(), r::describe);
                Map<String, Long> counters = EsplineCli.counters(stats, r);
                assertEquals(1L, counters.get("XfrmInStateProtoError"), () -> c + " via " + backend + ": " + counters);
                assertEquals((long) c.packets() - 1, counters.get("EsplineInDelivered"), () -> c + ": " + counters);
            }
        }));
        Stream<DynamicNode> encrypts = cells.stream().map(c -> dynamicTest("encrypts for scapy: " + c.name(), () -> {
            Path stats = c.dir().resolve("offload-encrypt-stats.json");
            EsplineCli.Run r = EsplineCli.run("pcap", "encrypt", "--offload", backend, "--sa", c.sa(), "--spi", c.spiHex(),
                    c.plain(), c.dir().resolve("offload-esp.pcap"), "--stats-json", stats);
            assertEquals(0, r.exitCode(), r::describe);
            assertCounters(backend, c, EsplineCli.counters(stats, r), "EsplineOutDelivered");
        }));
        Stream<DynamicNode> verdicts = Stream.of("scapy decrypts " + backend + "'s ESP").map(title -> {
            ExternalTools.Result check = python("check", matrix.toString(), "--esp-file", "offload-esp.pcap");
            Map<String, String> byCell = verdicts(check.stdout());
            List<DynamicNode> tests = new ArrayList<>();
            for (InteropCell c : cells) {
                tests.add(dynamicTest(c.name(), () -> {
                    String verdict = byCell.get(c.name());
                    assertTrue(verdict != null && verdict.startsWith("PASS "),
                            () -> verdict == null ? c + ": no verdict\n" + check.describe() : verdict);
                }));
            }
            return dynamicContainer(title, tests);
        });
        return Stream.of(decrypts, negatives, encrypts, verdicts).flatMap(s -> s);
    }

    private static void assertCounters(String backend, InteropCell c, Map<String, Long> counters, String delivered) {
        if (softwareOnly(backend, c)) {
            assertEquals((long) c.packets(), counters.get("EsplineOffloadFallback"), () -> c + ": " + counters);
            Map<String, Long> rest = new LinkedHashMap<>(counters);
            rest.remove("EsplineOffloadFallback");
            EsplineCli.assertOnlyDelivered(c.name() + " via " + backend, rest, delivered, c.packets());
        } else {
            EsplineCli.assertOnlyDelivered(c.name() + " via " + backend, counters, delivered, c.packets());
        }
    }

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
