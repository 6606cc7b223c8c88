package org.espline.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.espline.cli.bench.Json;

/**
 * {@code espline bench-report RESULTS.json... -o REPORT.md}: the markdown report of one or more {@code espline bench
 * --json} runs (typically the same model on JDK 17 and on JDK 25: one column per file), with SVG bar charts written
 * next to it: throughput by configuration and packet size, and the talk's comparison (stack-only and crypto, per
 * packet versus GSO/GRO) beside the talk's 2.6 → 8 Gbit/s.
 */
final class BenchReportCommand {
    static final String USAGE = "usage: espline bench-report RESULTS.json... [--gateway DEMO.json]... -o REPORT.md";

    /** The talk's numbers (Netdev 1.1, 2016; /work/shared/TALK.md §4): Gbit/s per packet, and with GRO/GSO. */
    static final double TALK_STACK_PER_PACKET = 2.6;
    static final double TALK_STACK_GSO_GRO = 8.0;
    static final double TALK_CRYPTO_PER_PACKET = 2.1;
    static final double TALK_CRYPTO_GSO_GRO = 4.2; // "the crypto case doubled"

    private static final String[] COLOURS = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759"};

    private final PrintStream out;
    private final PrintStream err;

    BenchReportCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /**
     * One {@code espline demo --netns --json} file: single-stream TCP through two gateways with the kernel's GSO/GRO
     * offloads on and, in the same run, off.
     */
    record Gateway(Path file, String label, double onGbps, double offGbps, double vethGbps) {
    }

    /** One results file. */
    record Run(Path file, String label, String jdk, String cpu, List<Map<String, Object>> results,
               List<Map<String, Object>> comparisons, List<String> notes) {
    }

    int run(List<String> args) {
        List<Path> inputs = new ArrayList<>();
        List<Path> gatewayFiles = new ArrayList<>();
        Path output = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-o") || a.equals("--output") || a.equals("--gateway")) {
                if (i + 1 >= args.size()) {
                    err.println("espline: " + a + " needs a file\n" + USAGE);
                    return 2;
                }
                if (a.equals("--gateway")) {
                    gatewayFiles.add(Path.of(args.get(++i)));
                } else {
                    output = Path.of(args.get(++i));
                }
            } else if (a.startsWith("-")) {
                err.println("espline: unknown option " + a + "\n" + USAGE);
                return 2;
            } else {
                inputs.add(Path.of(a));
            }
        }
        if (inputs.isEmpty() || output == null) {
            err.println("espline: expected at least one results file and -o REPORT.md\n" + USAGE);
            return 2;
        }
        List<Run> runs = new ArrayList<>();
        for (Path p : inputs) {
            try {
                runs.add(read(p));
            } catch (IOException | RuntimeException e) {
                err.println("espline: " + p + ": not a bench results file: " + e.getMessage());
                return 2;
            }
        }
        List<Gateway> gateways = new ArrayList<>();
        for (Path p : gatewayFiles) {
            try {
                gateways.add(readGateway(p));
            } catch (IOException | RuntimeException e) {
                err.println("espline: " + p + ": not a demo --netns --json file with offloads on and off: " + e.getMessage());
                return 2;
            }
        }
        try {
            write(runs, gateways, output);
        } catch (IOException e) {
            err.println("espline: cannot write " + output + ": " + e.getMessage());
            return 1;
        }
        out.println("wrote " + output);
        return 0;
    }

    @SuppressWarnings("unchecked")
    static Run read(Path file) throws IOException {
        Object doc = Json.parse(Files.readString(file));
        if (!(doc instanceof Map<?, ?> m) || !(m.get("results") instanceof List<?>)) {
            throw new IllegalArgumentException("expected an object with \"results\"");
        }
        String jdk = String.valueOf(m.get("jdk"));
        String feature = jdk.split("[.+\\-]")[0];
        List<Map<String, Object>> results = (List<Map<String, Object>>) m.get("results");
        for (Map<String, Object> r : results) {
            for (String k : List.of("pipeline", "config", "payload_bytes", "gbps")) {
                if (!r.containsKey(k)) {
                    throw new IllegalArgumentException("a result without \"" + k + "\"");
                }
            }
        }
        List<Map<String, Object>> comparisons = m.get("comparisons") instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
        List<String> notes = m.get("notes") instanceof List<?> l ? (List<String>) l : List.of();
        return new Run(file, "JDK " + feature, jdk, String.valueOf(m.get("cpu")), results, comparisons, notes);
    }

    static Gateway readGateway(Path file) throws IOException {
        Object doc = Json.parse(Files.readString(file));
        if (!(doc instanceof Map<?, ?> m) || !(m.get("espline_gbps") instanceof Map<?, ?> on)
                || !(m.get("espline_no_offload_gbps") instanceof Map<?, ?> off) || !(m.get("veth_gbps") instanceof Map<?, ?> veth)) {
            throw new IllegalArgumentException("expected \"espline_gbps\", \"espline_no_offload_gbps\" and \"veth_gbps\"");
        }
        String label = m.get("jdk") == null ? file.getFileName().toString() : "JDK " + String.valueOf(m.get("jdk")).split("[.+\\-]")[0];
        return new Gateway(file, label, num(on.get("1")), num(off.get("1")), num(veth.get("1")));
    }

    // ------------------------------------------------------------------ markdown

    static void write(List<Run> runs, Path output) throws IOException {
        write(runs, List.of(), output);
    }

    static void write(List<Run> runs, List<Gateway> gateways, Path output) throws IOException {
        Path dir = output.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        String base = output.getFileName().toString().replaceFirst("\\.md$", "");
        String throughputSvg = base.toLowerCase(Locale.ROOT) + "-throughput.svg";
        String talkSvg = base.toLowerCase(Locale.ROOT) + "-talk.svg";
        Run first = runs.get(0);
        StringBuilder md = new StringBuilder();
        md.append("# Espline benchmark report\n\n");
        md.append("Written by `espline bench-report` from ");
        for (int i = 0; i < runs.size(); i++) {
            Run r = runs.get(i);
            md.append(i > 0 ? ", " : "").append('`').append(r.file.getFileName()).append("` (").append(r.label).append(": ")
                    .append(r.jdk).append(", ").append(r.cpu).append(')');
        }
        md.append(". Produce it with `./espline bench examples/models/bench.espl --json results-17.json` (and the same with "
                + "`--jvm /usr/lib/jvm/temurin-25-jdk-amd64/bin/java --json results-25.json`), then "
                + "`./espline bench-report results-17.json results-25.json -o examples/benchmarks/REPORT.md`, adding "
                + "`--gateway demo-17.json` for each `./espline demo --netns --json demo-17.json` run (as root) to show the "
                + "gateway beside the talk.\n\n");
        md.append("Size: the inner IPv4 packet (per-packet rows) or the TCP write (gso/gro rows) in bytes. Gbit/s: inner IPv4 "
                + "bytes (headers of the inner packet included, ESP's overhead not). Mpps: ESP packets. Limit: raw JCA seal "
                + "(tx), open (rx) or seal then open (tx-rx: the tx pipeline, an in-memory wire and the rx pipeline on one "
                + "thread, anti-replay on, inner order checked) of the same packet sizes, or `System.arraycopy` of the same bytes for the null cipher; "
                + "ratio = Gbit/s / limit. B/pkt: `gc.alloc.rate.norm` per ESP packet. Copies: buffer copies and "
                + "linearisations per ESP packet.\n\n");

        md.append("## Throughput by configuration and size\n\n");
        md.append("![throughput](").append(throughputSvg).append(")\n\n");
        md.append("| dir | config | size |");
        for (Run r : runs) {
            md.append(' ').append(r.label).append(" Gbit/s |");
        }
        md.append(" Mpps | limit | limit Gbit/s |");
        for (int i = 0; i < runs.size(); i++) {
            md.append(' ').append(runs.get(i).label).append(" ratio |");
        }
        md.append(" B/pkt | copies/pkt |\n");
        md.append("|---|---|---:|");
        md.append("---:|".repeat(runs.size()));
        md.append("---:|---|---:|---:|");
        md.append("---:|".repeat(runs.size() - 1));
        md.append("---:|---:|\n");
        List<Object[]> bars = new ArrayList<>();
        for (Map<String, Object> r : first.results) {
            String key = key(r);
            md.append("| ").append(r.get("pipeline")).append(" | ").append(r.get("config")).append(" | ")
                    .append(whole(r.get("payload_bytes"))).append(" |");
            double[] values = new double[runs.size()];
            for (int i = 0; i < runs.size(); i++) {
                Map<String, Object> other = find(runs.get(i), key);
                values[i] = other == null ? Double.NaN : num(other.get("gbps"));
                md.append(' ').append(i == 0 ? "**" + fmt(values[i], 2) + "**" : fmt(values[i], 2)).append(" |");
            }
            md.append(' ').append(fmt(num(r.get("pps")) / 1e6, 3)).append(" | ").append(r.getOrDefault("baseline", ""))
                    .append(" | ").append(fmt(num(r.get("baseline_gbps")), 2)).append(" | ").append(fmt(num(r.get("ratio")), 2));
            // Each further JDK's ratio against its own limit (measured in its own run).
            for (int i = 1; i < runs.size(); i++) {
                Map<String, Object> other = find(runs.get(i), key);
                md.append(" | ").append(other == null ? "" : fmt(num(other.get("ratio")), 2));
            }
            md.append(" | ").append(fmt(num(r.get("alloc_bytes_per_packet")), 0)).append(" | ")
                    .append(fmt(num(r.get("copies_per_packet")), 3)).append(" |\n");
            bars.add(new Object[] {r.get("pipeline") + " " + r.get("config") + " " + whole(r.get("payload_bytes")), values});
        }
        md.append('\n');
        List<String> series = runs.stream().map(Run::label).toList();
        Files.writeString(dir.resolve(throughputSvg), svg("Throughput (Gbit/s of inner packets)", bars, series));

        md.append("## The talk's comparison: per packet versus GSO/GRO\n\n");
        md.append("The talk (Netdev 1.1, 2016) measured the Linux stack at 2.6 Gbit/s without crypto and about 2.1 with "
                + "it; with GRO/GSO 8 Gbit/s without crypto, and the crypto case doubled. Espline's rows: the largest TCP write "
                + "of the run as MSS-sized packets through the per-packet pipeline (on tx cut, checksummed and copied by the "
                + "source as a host stack without GSO does) against the same writes through GSO (tx) or GRO (rx), inline "
                + "crypto; "
                + "\"stack-only\" is the benchmark-only null cipher, \"crypto\" AES-128-GCM.\n\n");
        md.append("![talk](").append(talkSvg).append(")\n\n");
        md.append("| case | per packet Gbit/s | GSO/GRO Gbit/s | gain |\n|---|---:|---:|---:|\n");
        md.append("| talk: stack-only (Linux, 2016) | 2.6 | 8 | ").append(fmt(TALK_STACK_GSO_GRO / TALK_STACK_PER_PACKET, 2)).append("x |\n");
        md.append("| talk: crypto (Linux, 2016) | 2.1 | ~4.2 | ~2x |\n");
        List<Object[]> talkBars = new ArrayList<>();
        talkBars.add(new Object[] {"talk stack-only per packet", new double[] {TALK_STACK_PER_PACKET}});
        talkBars.add(new Object[] {"talk stack-only GRO/GSO", new double[] {TALK_STACK_GSO_GRO}});
        talkBars.add(new Object[] {"talk crypto per packet", new double[] {TALK_CRYPTO_PER_PACKET}});
        talkBars.add(new Object[] {"talk crypto GRO/GSO (doubled)", new double[] {TALK_CRYPTO_GSO_GRO}});
        for (Run run : runs) {
            for (String dirName : List.of("tx", "rx")) {
                for (String cipher : List.of("null", "aes-128-gcm")) {
                    String segmented = dirName.equals("tx") ? "gso" : "gro";
                    Map<String, Object> big = largest(run, dirName + "|" + cipher + "/" + segmented + "/inline|");
                    if (big == null) {
                        continue;
                    }
                    // The same writes through the per-packet pipeline (reports of older runs: 1400-byte packets).
                    Map<String, Object> per = find(run, dirName + "|" + cipher + "/per-packet/inline|" + whole(big.get("payload_bytes")));
                    if (per == null) {
                        per = find(run, dirName + "|" + cipher + "/per-packet/inline|1400");
                    }
                    if (per == null) {
                        continue;
                    }
                    String what = (cipher.equals("null") ? "stack-only" : "crypto") + " " + dirName;
                    double a = num(per.get("gbps"));
                    double b = num(big.get("gbps"));
                    md.append("| Espline ").append(run.label).append(": ").append(what).append(" (").append(segmented).append(' ')
                            .append(whole(big.get("payload_bytes"))).append(" B writes) | ").append(fmt(a, 2)).append(" | ")
                            .append(fmt(b, 2)).append(" | ").append(fmt(b / a, 2)).append("x |\n");
                    talkBars.add(new Object[] {"Espline " + run.label + " " + what + " per packet", new double[] {a}});
                    talkBars.add(new Object[] {"Espline " + run.label + " " + what + " " + segmented.toUpperCase(Locale.ROOT),
                            new double[] {b}});
                }
            }
        }
        for (Gateway g : gateways) {
            md.append("| Espline gateway ").append(g.label).append(": crypto, one TCP stream through two gateways (`demo --netns`, "
                    + "kernel GSO/GRO off vs on; raw veth ").append(fmt(g.vethGbps, 1)).append(") | ").append(fmt(g.offGbps, 2))
                    .append(" | ").append(fmt(g.onGbps, 2)).append(" | ").append(fmt(g.onGbps / g.offGbps, 2)).append("x |\n");
            talkBars.add(new Object[] {"Espline gateway " + g.label + " GSO/GRO off", new double[] {g.offGbps}});
            talkBars.add(new Object[] {"Espline gateway " + g.label + " GSO/GRO on", new double[] {g.onGbps}});
        }
        md.append('\n');
        md.append("In memory the per-packet path pays only what GSO and GRO cannot take away from a segment (its TCP checksum, "
                + "ESP's framing, a buffer): classification, policy and SA work are a few tens of nanoseconds a packet, so cutting "
                + "late or coalescing early saves little, and GSO/GRO add fragment bookkeeping. The talk's gain came from each "
                + "segment crossing the kernel's stack on its own; ");
        md.append(gateways.isEmpty() ? "`espline demo --netns --json` measures that on real traffic (pass it here with `--gateway`).\n\n"
                : "the gateway rows measure that: the same tunnel with the kernel handing the gateway one packet per segment, "
                        + "and one super-packet per write.\n\n");
        Files.writeString(dir.resolve(talkSvg), svg("Per packet versus GRO/GSO (Gbit/s)", talkBars, List.of("Gbit/s")));

        md.append("## Comparisons (ratios measured within one run)\n\n| comparison |");
        for (Run r : runs) {
            md.append(' ').append(r.label).append(" |");
        }
        md.append("\n|---|").append("---:|".repeat(runs.size())).append('\n');
        Map<String, double[]> comp = new LinkedHashMap<>();
        for (int i = 0; i < runs.size(); i++) {
            for (Map<String, Object> c : runs.get(i).comparisons) {
                double[] v = comp.computeIfAbsent(String.valueOf(c.get("name")), k -> new double[runs.size()]);
                v[i] = num(c.get("ratio"));
            }
        }
        comp.forEach((name, v) -> {
            md.append("| ").append(name).append(" |");
            for (double d : v) {
                md.append(' ').append(d == 0 ? "–" : fmt(d, 2)).append(" |");
            }
            md.append('\n');
        });
        md.append('\n');
        List<String> notes = runs.stream().flatMap(r -> r.notes.stream()).distinct().toList();
        if (!notes.isEmpty()) {
            md.append("## Notes\n\n");
            notes.forEach(n -> md.append("- ").append(n).append('\n'));
            md.append('\n');
        }
        Files.writeString(output, md.toString());
    }

    private static String key(Map<String, Object> r) {
        return r.get("pipeline") + "|" + r.get("config") + "|" + whole(r.get("payload_bytes"));
    }

    private static Map<String, Object> find(Run run, String key) {
        for (Map<String, Object> r : run.results) {
            if (key(r).equals(key)) {
                return r;
            }
        }
        return null;
    }

    private static Map<String, Object> largest(Run run, String keyPrefix) {
        Map<String, Object> best = null;
        for (Map<String, Object> r : run.results) {
            if (key(r).startsWith(keyPrefix) && (best == null || num(r.get("payload_bytes")) > num(best.get("payload_bytes")))) {
                best = r;
            }
        }
        return best;
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static String whole(Object o) {
        return o instanceof Number n ? Long.toString(Math.round(n.doubleValue())) : String.valueOf(o);
    }

    private static String fmt(double d, int decimals) {
        return Double.isNaN(d) ? "–" : String.format(Locale.ROOT, "%." + decimals + "f", d);
    }

    // ------------------------------------------------------------------ SVG

    /** A horizontal bar chart: one group per label, one bar per series, values written at the bar's end. */
    static String svg(String title, List<Object[]> groups, List<String> series) {
        int labelWidth = 380;
        int chartWidth = 420;
        int bar = 14;
        int gap = 8;
        int top = 40;
        double max = 0;
        for (Object[] g : groups) {
            for (double v : (double[]) g[1]) {
                if (!Double.isNaN(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        max = max <= 0 ? 1 : max * 1.1;
        int groupHeight = series.size() * bar + gap;
        int height = top + groups.size() * groupHeight + 30;
        int width = labelWidth + chartWidth + 80;
        StringBuilder s = new StringBuilder();
        s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        s.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">%s</text>%n", esc(title)));
        for (int i = 0; i < series.size() && series.size() > 1; i++) {
            int x = labelWidth + i * 110;
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"10\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"21\">%s</text>%n", x, COLOURS[i % COLOURS.length], x + 16, esc(series.get(i))));
        }
        int y = top;
        for (Object[] g : groups) {
            double[] values = (double[]) g[1];
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", labelWidth - 8,
                    y + series.size() * bar / 2 + 4, esc((String) g[0])));
            for (int i = 0; i < values.length; i++) {
                double v = values[i];
                int w = Double.isNaN(v) ? 0 : (int) Math.round(v / max * chartWidth);
                s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
                                + "<text x=\"%d\" y=\"%d\">%s</text>%n", labelWidth, y + i * bar, w, bar - 2,
                        COLOURS[i % COLOURS.length], labelWidth + w + 4, y + i * bar + bar - 4, Double.isNaN(v) ? "–" : fmt(v, 2)));
            }
            y += groupHeight;
        }
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", labelWidth, top - 4,
                labelWidth, y));
        s.append("</svg>\n");
        return s.toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
