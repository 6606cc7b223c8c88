package org.espline.cli;

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
import java.util.Map;
import java.util.Set;

import javax.xml.parsers.DocumentBuilderFactory;

import org.espline.cli.bench.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/** {@code espline bench} and {@code espline bench-report}: arguments, a smoke run under JMH, the report. */
class BenchCommandTest {
    private static final Set<String> RESULT_KEYS = Set.of("pipeline", "config", "payload_bytes", "gbps", "pps", "baseline",
            "baseline_gbps", "ratio", "alloc_bytes_per_packet", "copies_per_packet");

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

    private Path resource(String name) throws IOException {
        try (InputStream in = BenchCommandTest.class.getResourceAsStream("/bench/" + name)) {
            Path p = dir.resolve(name);
            Files.copy(in, p);
            return p;
        }
    }

    @Test
    void argumentErrors() throws IOException {
        Path model = resource("tiny.espl");
        assertEquals(2, run("bench"));
        assertTrue(err().contains("which model?"), err());
        assertEquals(2, run("bench", model.toString(), "--fast"));
        assertTrue(err().contains("unknown option --fast"), err());
        assertEquals(2, run("bench", model.toString(), "--sizes", "64,big"));
        assertTrue(err().contains("--sizes: expected comma-separated whole numbers"), err());
        assertEquals(2, run("bench", model.toString(), "--sizes", "10"));
        assertTrue(err().contains("outside 28..65495"), err());
        assertEquals(2, run("bench", model.toString(), "--pipelines", "("));
        assertTrue(err().contains("not a regular expression"), err());
        assertEquals(2, run("bench", model.toString(), "--json"));
        assertTrue(err().contains("--json needs a value"), err());
        assertEquals(2, run("bench", dir.resolve("missing.espl").toString()));
        assertTrue(err().contains("no such file"), err());
        assertEquals(2, run("bench", model.toString(), model.toString()));
        assertTrue(err().contains("one model at a time"), err());
        assertEquals(2, run("bench", model.toString(), "--pipelines", "nothing-matches", "--out", dir.resolve("w").toString()));
        assertTrue(err().contains("nothing to benchmark"), err());
        assertEquals(0, run("bench", "--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--quick"));

        assertEquals(2, run("bench-report"));
        assertEquals(2, run("bench-report", model.toString()));
        assertTrue(err().contains("-o REPORT.md"), err());
        assertEquals(2, run("bench-report", model.toString(), "-o", dir.resolve("R.md").toString()));
        assertTrue(err().contains("not a bench results file"), err());
    }

    /** Extremely short JMH settings: the shape and sign of everything, not the numbers. */
    @Test
    @SuppressWarnings("unchecked")
    void smokeRunWritesTheIssuesJsonShape() throws IOException {
        Path model = resource("tiny.espl");
        Path json = dir.resolve("r.json");
        int rc = run("bench", model.toString(), "--smoke", "--sizes", "1400", "--json", json.toString(), "--out",
                dir.resolve("work").toString());
        assertEquals(0, rc, () -> out.toString(StandardCharsets.UTF_8) + err());
        Map<String, Object> doc = (Map<String, Object>) Json.parse(Files.readString(json));
        assertTrue(doc.get("jdk") instanceof String && !((String) doc.get("jdk")).isEmpty(), doc::toString);
        assertTrue(doc.get("cpu") instanceof String, doc::toString);
        List<Map<String, Object>> results = (List<Map<String, Object>>) doc.get("results");
        // tx, rx and tx -> rx with both ciphers, and the tx pipeline interpreted with AES-128-GCM
        assertEquals(7, results.size(), results::toString);
        for (Map<String, Object> r : results) {
            assertEquals(RESULT_KEYS, r.keySet());
            assertTrue(Set.of("tx", "rx", "tx-rx").contains(r.get("pipeline")), r::toString);
            assertEquals(1400.0, r.get("payload_bytes"));
            for (String k : List.of("gbps", "pps", "baseline_gbps", "ratio")) {
                assertTrue((Double) r.get(k) > 0, () -> k + " in " + r);
            }
            assertTrue((Double) r.get("alloc_bytes_per_packet") >= 0, r::toString);
            assertTrue((Double) r.get("copies_per_packet") >= 0, r::toString);
            String cipher = ((String) r.get("config")).split("/")[0];
            assertEquals(cipher.equals("null") ? "arraycopy" : Map.of("tx", "jca-seal", "rx", "jca-open", "tx-rx", "jca-seal-open")
                    .get(r.get("pipeline")), r.get("baseline"));
        }
        assertTrue(results.stream().anyMatch(r -> r.get("config").equals("aes-128-gcm/per-packet/inline/interpreted")));
        List<Map<String, Object>> comparisons = (List<Map<String, Object>>) doc.get("comparisons");
        // Only what this run measured: no GSO/GRO and no async pipelines in the tiny model.
        assertEquals(1, comparisons.size(), comparisons::toString);
        assertEquals("generated-vs-interpreted/aes-128-gcm/1400", comparisons.get(0).get("name"));
        assertTrue((Double) comparisons.get(0).get("ratio") > 0);
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("tx    aes-128-gcm/per-packet/inline"), table);
        assertTrue(table.contains("tx-rx aes-128-gcm/per-packet/inline"), table);
        assertTrue(err().contains("[11/11]"), err()); // progress: 7 rows and 4 baselines
    }

    @Test
    void reportHasTheTablesAndWellFormedCharts() throws Exception {
        Path r17 = resource("results-17.json");
        Path r25 = resource("results-25.json");
        Path md = dir.resolve("out").resolve("REPORT.md");
        assertEquals(0, run("bench-report", r17.toString(), r25.toString(), "-o", md.toString()), err());
        String text = Files.readString(md);
        assertTrue(text.contains("## Throughput by configuration and size"), text);
        assertTrue(text.contains("| dir | config | size | JDK 17 Gbit/s | JDK 25 Gbit/s | Mpps | limit | limit Gbit/s | JDK 17 ratio | JDK 25 ratio | B/pkt |"), text);
        assertTrue(text.contains("| tx | aes-128-gcm/per-packet/inline | 1400 | **16.00** | 20.80 | 1.429 | jca-seal | 18.00 | 0.89 | 0.80 | 1100 |"), text);
        assertTrue(text.contains("| talk: stack-only (Linux, 2016) | 2.6 | 8 | 3.08x |"), text);
        assertTrue(text.contains("| Espline JDK 17: stack-only tx (gso 64000 B writes) | 3.00 | 9.00 | 3.00x |"), text);
        assertTrue(text.contains("| Espline JDK 25: stack-only rx (gro 64000 B writes) | 3.64 | 9.75 | 2.68x |"), text);
        assertTrue(text.contains("| generated-vs-interpreted/aes-128-gcm/1400 | 1.14 | 1.14 |"), text);
        assertTrue(text.contains("inline on the pipeline's thread (fixture)"), text);
        assertTrue(text.contains("![throughput](report-throughput.svg)"), text);
        for (String svg : List.of("report-throughput.svg", "report-talk.svg")) {
            Path file = md.getParent().resolve(svg);
            assertTrue(Files.exists(file), svg);
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            Document d = f.newDocumentBuilder().parse(file.toFile());
            assertEquals("svg", d.getDocumentElement().getLocalName());
            assertEquals("http://www.w3.org/2000/svg", d.getDocumentElement().getNamespaceURI());
            assertFalse(d.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect").getLength() < 5, svg);
        }
        String talk = Files.readString(md.getParent().resolve("report-talk.svg"));
        assertTrue(talk.contains("talk stack-only GRO/GSO"), talk);
    }

    @Test
    void reportShowsTheGatewaysOffloadsOffAndOnFromADemoFile() throws Exception {
        Path demo = dir.resolve("demo-17.json");
        Files.writeString(demo, "{\"veth_gbps\": {\"1\": 15.2, \"4\": 17.0}, \"espline_gbps\": {\"1\": 4.4, \"4\": 4.9}, "
                + "\"ping_ok\": true, \"espline_no_offload_gbps\": {\"1\": 1.1}, \"offload_speedup\": 4.00, "
                + "\"jdk\": \"17.0.15+6-Debian-1deb12u1\"}");
        Path md = dir.resolve("gw").resolve("REPORT.md");
        Path r17 = resource("results-17.json");
        assertEquals(0, run("bench-report", r17.toString(), "--gateway", demo.toString(), "-o", md.toString()), err());
        String text = Files.readString(md);
        assertTrue(text.contains("| Espline gateway JDK 17: crypto, one TCP stream through two gateways (`demo --netns`, kernel GSO/GRO "
                + "off vs on; raw veth 15.2) | 1.10 | 4.40 | 4.00x |"), text);
        assertTrue(Files.readString(md.getParent().resolve("report-talk.svg")).contains("Espline gateway JDK 17 GSO/GRO on"));
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"veth_gbps\": {\"1\": 15.2}, \"espline_gbps\": {\"1\": 4.4}}");
        assertEquals(2, run("bench-report", r17.toString(), "--gateway", broken.toString(), "-o", md.toString()));
        assertTrue(err().contains("not a demo --netns --json file with offloads on and off"), err());
    }

    @Test
    void jsonRoundTrip() {
        Object v = Json.parse(Json.write(Map.of("a", List.of(1.5, "x\"y\n", true), "b", 0.000123456789)));
        assertEquals(Map.of("a", List.of(1.5, "x\"y\n", true), "b", 0.000123457), v);
    }
}
