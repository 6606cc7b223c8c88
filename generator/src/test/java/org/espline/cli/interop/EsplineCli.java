package org.espline.cli.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.espline.cli.Main;

/** Runs the {@code espline} command in-process and checks what it reports. */
final class EsplineCli {
    private EsplineCli() {
    }

    /** Exit code and output of one {@link Main#run} call. */
    record Run(List<String> args, int exitCode, String out, String err) {
        String describe() {
            return "espline " + String.join(" ", args) + "\nexit " + exitCode + "\n--- stdout ---\n" + out
                    + "\n--- stderr ---\n" + err;
        }
    }

    static Run run(Object... args) {
        List<String> argv = new ArrayList<>();
        for (Object a : args) {
            argv.add(a.toString());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.run(argv.toArray(new String[0]), o, e);
        }
        return new Run(argv, code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** {@code espline pcap decrypt --sa SA IN OUT --stats-json STATS}, asserting a completed run. */
    static Map<String, Long> decrypt(InteropCell cell, Path in, Path out, Path stats) {
        Run r = run("pcap", "decrypt", "--sa", cell.sa(), in, out, "--stats-json", stats);
        assertEquals(0, r.exitCode(), () -> cell + ": decrypt did not complete\n" + r.describe());
        return counters(stats, r);
    }

    /** {@code espline pcap encrypt --sa SA --spi SPI IN OUT --stats-json STATS}, asserting a completed run. */
    static Map<String, Long> encrypt(InteropCell cell, Path in, Path out, Path stats) {
        Run r = run("pcap", "encrypt", "--sa", cell.sa(), "--spi", cell.spiHex(), in, out, "--stats-json", stats);
        assertEquals(0, r.exitCode(), () -> cell + ": encrypt did not complete\n" + r.describe());
        return counters(stats, r);
    }

    /** The numeric members of the stats file; the file must exist and be JSON. */
    static Map<String, Long> counters(Path stats, Run r) {
        String json;
        try {
            json = Files.readString(stats);
        } catch (IOException e) {
            return fail("no --stats-json output at " + stats + "\n" + r.describe());
        }
        Map<String, Long> counters = new TreeMap<>();
        FlatJson.parse(json).forEach((k, v) -> {
            try {
                counters.put(k, Long.parseLong(v));
            } catch (NumberFormatException notACounter) {
                // strings and booleans are not counters
            }
        });
        return counters;
    }

    /**
     * Asserts that {@code delivered} counted every packet and every other Xfrm / Espline counter
     * stayed zero: no drop, nothing skipped as not-ESP, no IKE or keepalive hand-off.
     */
    static void assertOnlyDelivered(String cell, Map<String, Long> counters, String delivered, int packets) {
        assertTrue(counters.containsKey(delivered), () -> cell + ": stats have no " + delivered + ": " + counters);
        Map<String, Long> unexpected = new TreeMap<>();
        counters.forEach((k, v) -> {
            if ((k.startsWith("Xfrm") || k.startsWith("Espline")) && !k.equals(delivered) && v != 0) {
                unexpected.put(k, v);
            }
        });
        assertEquals(packets, counters.get(delivered),
                () -> cell + ": " + delivered + " should count all " + packets + " packets; counters " + counters);
        assertTrue(unexpected.isEmpty(), () -> cell + ": expected no drops or skips, but " + unexpected);
    }
}
