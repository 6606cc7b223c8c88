package org.espline.cli.gateway;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code espline demo --netns}: the site-to-site pair as real gateways between network namespaces ({@link NetnsLab}),
 * each an {@code espline run} JVM of its own. Measures the raw veth between the gateway namespaces with iperf3 (one
 * and four TCP streams) first, then starts the gateways, pings through the tunnel, warms them up with a short
 * unmeasured run and runs the same iperf3 tests from host A to host B through both gateways; then, to show what the
 * offloads are worth, the one-stream test again through fresh gateways started with {@code --no-offload} (no TSO from
 * the TUN device, no UDP GSO/GRO, no GRO coalescing: every packet MTU-sized end to end). An SA that reached its hard
 * lifetime (the gateways' expired counters) is reported as such, not as a failed iperf3. Prints Gbit/s side by side and optionally writes them as JSON; tears
 * everything down (only what it started) at the end, also on failure. Root only.
 */
public final class NetnsDemo {
    private static final Pattern RECEIVED_BPS = Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");

    /** Seconds iperf3 omits at the start of each measurement (slow start). */
    static final int OMIT_SECONDS = 2;
    /** Length of the unmeasured run that warms the gateways up after they start. */
    static final int WARM_UP_SECONDS = 5;

    private final PrintStream out;
    private final int seconds;

    public NetnsDemo(PrintStream out, int seconds) {
        this.out = out;
        this.seconds = seconds;
    }

    /** The measured numbers; {@code noOffloadGbps} is the same tunnel with the gateways' GSO/GRO off. */
    public record Result(Map<Integer, Double> vethGbps, Map<Integer, Double> esplineGbps, Map<Integer, Double> noOffloadGbps,
                         boolean pingOk, String gatewayA, String gatewayB, List<String> notes) {
        public String json() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                    "{\"veth_gbps\": {\"1\": %.3f, \"4\": %.3f}, \"espline_gbps\": {\"1\": %.3f, \"4\": %.3f}, \"ping_ok\": %s",
                    vethGbps.get(1), vethGbps.get(4), esplineGbps.get(1), esplineGbps.get(4), pingOk));
            if (noOffloadGbps.containsKey(1)) {
                b.append(String.format(Locale.ROOT, ", \"espline_no_offload_gbps\": {\"1\": %.3f}, \"offload_speedup\": %.2f",
                        noOffloadGbps.get(1), offloadSpeedup()));
            }
            b.append(String.format(Locale.ROOT, ", \"jdk\": \"%s\"}%n", Runtime.version()));
            return b.toString();
        }

        /** One stream with GSO/GRO on over the same with them off (0 when either was not measured). */
        public double offloadSpeedup() {
            final double off = noOffloadGbps.getOrDefault(1, 0.0);
            return off > 0 ? esplineGbps.getOrDefault(1, 0.0) / off : 0.0;
        }
    }

    /** The gateways' logs of one tunnel run and what it measured. */
    private record Tunnel(Map<Integer, Double> gbps, boolean pingOk, String logA, String logB) {
    }

    /**
     * Measures the veth, then the tunnel with the gateways' offloads on (1 and 4 streams), then, when
     * {@code compareOffloads}, the tunnel again with fresh gateways started with {@code --no-offload} (1 stream).
     */
    public Result run(Path modelA, Path modelB, Path dir, boolean compareOffloads) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        try (NetnsLab lab = new NetnsLab("demo" + ProcessHandle.current().pid())) {
            lab.up();
            out.println("topology: " + lab.hostA + " (" + NetnsLab.HOST_A + ") -- " + lab.gwA + " (" + NetnsLab.GATEWAY_A_WAN + ") == veth == "
                    + lab.gwB + " (" + NetnsLab.GATEWAY_B_WAN + ") -- " + lab.hostB + " (" + NetnsLab.HOST_B + ")");
            Map<Integer, Double> veth = new LinkedHashMap<>();
            lab.spawn(lab.gwB, dir.resolve("iperf3-veth-server.log"), "iperf3", "-s", "-p", "5301");
            for (int streams : new int[] {1, 4}) {
                veth.put(streams, iperf(lab, lab.gwA, NetnsLab.GATEWAY_B_WAN, 5301, streams, seconds));
                out.printf(Locale.ROOT, "raw veth, %d stream%s: %.2f Gbit/s%n", streams, streams == 1 ? "" : "s", veth.get(streams));
            }
            lab.spawn(lab.hostB, dir.resolve("iperf3-tunnel-server.log"), "iperf3", "-s", "-p", "5302");
            List<String> notes = new ArrayList<>();
            Tunnel on = tunnel(lab, modelA, modelB, dir, false, new int[] {1, 4}, notes);
            Map<Integer, Double> off = new LinkedHashMap<>();
            if (compareOffloads && on.pingOk()) {
                off = tunnel(lab, modelA, modelB, dir, true, new int[] {1}, notes).gbps();
            }
            return new Result(veth, on.gbps(), off, on.pingOk(), on.logA(), on.logB(), notes);
        }
    }

    /** Starts both gateways, pings through, warms them up (JIT), measures, stops them and reads their logs. */
    private Tunnel tunnel(NetnsLab lab, Path modelA, Path modelB, Path dir, boolean noOffload, int[] streamCounts, List<String> notes)
            throws IOException, InterruptedException {
        final String suffix = noOffload ? "-no-offload" : "";
        final String what = noOffload ? "GSO/GRO off" : "GSO/GRO on";
        Path logA = dir.resolve("gateway-a" + suffix + ".log");
        Path logB = dir.resolve("gateway-b" + suffix + ".log");
        List<String> args = new ArrayList<>(List.of("--quiet", "--out", dir.toString()));
        if (noOffload) {
            args.add("--no-offload");
        }
        Process a = lab.startGateway(lab.gwA, modelA, logA, args.toArray(String[]::new));
        Process b = lab.startGateway(lab.gwB, modelB, logB, args.toArray(String[]::new));
        Map<Integer, Double> gbps = new LinkedHashMap<>();
        boolean pingOk = false;
        try {
            NetnsLab.Result ping = lab.exec(lab.hostA, 30, "ping", "-c", "3", "-i", "0.3", "-W", "3", NetnsLab.HOST_B);
            pingOk = ping.code() == 0;
            out.println("ping " + NetnsLab.HOST_B + " from " + lab.hostA + " through the tunnel (" + what + "): "
                    + (pingOk ? "ok" : "FAILED\n" + ping.output()));
            if (pingOk) {
                // A short unmeasured run first: the gateways' JIT compiles the packet path before anything counts.
                iperf(lab, lab.hostA, NetnsLab.HOST_B, 5302, 1, WARM_UP_SECONDS);
            }
            for (int streams : streamCounts) {
                gbps.put(streams, pingOk ? iperf(lab, lab.hostA, NetnsLab.HOST_B, 5302, streams, seconds) : 0.0);
                out.printf(Locale.ROOT, "through Espline (AES-128-GCM A->B, %s), %d stream%s: %.2f Gbit/s%n", what, streams,
                        streams == 1 ? "" : "s", gbps.get(streams));
            }
        } finally {
            NetnsLab.terminate(a, 30);
            NetnsLab.terminate(b, 30);
        }
        String textA = Files.readString(logA);
        String textB = Files.readString(logB);
        for (String[] g : new String[][] {{"A", textA}, {"B", textB}}) {
            String expired = expiredCounters(g[1]);
            if (!expired.isEmpty()) {
                String note = "gateway " + g[0] + " (" + what + "): an SA reached its hard lifetime during the run (" + expired
                        + "): the model has no IKE to rekey, so traffic stopped there; measure shorter (--seconds) or give the SAs larger"
                        + " lifetimes";
                out.println(note);
                notes.add(note);
            }
        }
        return new Tunnel(gbps, pingOk, textA, textB);
    }

    private static final Pattern EXPIRED = Pattern.compile("^\\s*(Xfrm(?:In|Out)StateExpired)\\s+(\\d+)\\s*$", Pattern.MULTILINE);

    /** "XfrmOutStateExpired=123 ..." from a gateway's final counters, or "" when no SA expired. */
    static String expiredCounters(String log) {
        StringBuilder b = new StringBuilder();
        Matcher m = EXPIRED.matcher(log);
        while (m.find()) {
            if (Long.parseLong(m.group(2)) > 0) {
                b.append(b.length() == 0 ? "" : " ").append(m.group(1)).append('=').append(m.group(2));
            }
        }
        return b.toString();
    }

    /**
     * iperf3 client for {@code seconds} after {@value #OMIT_SECONDS} omitted seconds (slow start); receiver Gbit/s, 0 on
     * failure.
     */
    private double iperf(NetnsLab lab, String ns, String server, int port, int streams, int seconds) throws InterruptedException {
        NetnsLab.Result r = null;
        // The server may not listen yet (a loaded machine once took more than the 4 s this waited before): retry
        // for up to 30 s.
        final long deadline = System.nanoTime() + 30_000_000_000L;
        do {
            r = lab.exec(ns, seconds + OMIT_SECONDS + 30L, "iperf3", "-J", "-c", server, "-p", Integer.toString(port), "-P", Integer.toString(streams),
                    "-t", Integer.toString(seconds), "-O", Integer.toString(OMIT_SECONDS), "--connect-timeout", "5000",
                    "--snd-timeout", "5000");
            // iperf3 -J sometimes exits 0 with only an "error" in its JSON (a server not listening yet): retry that too.
            if (r.code() == 0 && !r.output().contains("\"error\"")) {
                break;
            }
            Thread.sleep(300);
        } while (System.nanoTime() < deadline);
        Matcher m = RECEIVED_BPS.matcher(r.output());
        if (r.code() != 0 || !m.find()) {
            out.println("iperf3 to " + server + " failed: " + r.output().lines().filter(l -> l.contains("error")).findFirst().orElse("exit " + r.code()));
            return 0.0;
        }
        return Double.parseDouble(m.group(1)) / 1e9;
    }

    /** Writes the JSON of a result. */
    public static void writeJson(Result r, Path file) throws IOException {
        Files.writeString(file, r.json(), StandardCharsets.UTF_8);
    }
}
