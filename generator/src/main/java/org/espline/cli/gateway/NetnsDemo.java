package org.espline.cli.gateway;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code espline demo --netns}: the site-to-site pair as real gateways between network namespaces ({@link NetnsLab}),
 * each an {@code espline run} JVM of its own. Measures the raw veth between the gateway namespaces with iperf3 (one
 * and four TCP streams) first, then starts the gateways, pings through the tunnel and runs the same iperf3 tests
 * from host A to host B through both gateways. Prints Gbit/s side by side and optionally writes them as JSON; tears
 * everything down (only what it started) at the end, also on failure. Root only.
 */
public final class NetnsDemo {
    private static final Pattern RECEIVED_BPS = Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");

    private final PrintStream out;
    private final int seconds;

    public NetnsDemo(PrintStream out, int seconds) {
        this.out = out;
        this.seconds = seconds;
    }

    /** The measured numbers. */
    public record Result(Map<Integer, Double> vethGbps, Map<Integer, Double> esplineGbps, boolean pingOk, String gatewayA, String gatewayB) {
        public String json() {
            return String.format(Locale.ROOT, "{\"veth_gbps\": {\"1\": %.3f, \"4\": %.3f}, \"espline_gbps\": {\"1\": %.3f, \"4\": %.3f}, \"ping_ok\": %s}%n",
                    vethGbps.get(1), vethGbps.get(4), esplineGbps.get(1), esplineGbps.get(4), pingOk);
        }
    }

    public Result run(Path modelA, Path modelB, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        try (NetnsLab lab = new NetnsLab("demo" + ProcessHandle.current().pid())) {
            lab.up();
            out.println("topology: " + lab.hostA + " (" + NetnsLab.HOST_A + ") -- " + lab.gwA + " (" + NetnsLab.GATEWAY_A_WAN + ") == veth == "
                    + lab.gwB + " (" + NetnsLab.GATEWAY_B_WAN + ") -- " + lab.hostB + " (" + NetnsLab.HOST_B + ")");
            Map<Integer, Double> veth = new LinkedHashMap<>();
            lab.spawn(lab.gwB, dir.resolve("iperf3-veth-server.log"), "iperf3", "-s", "-p", "5301");
            for (int streams : new int[] {1, 4}) {
                veth.put(streams, iperf(lab, lab.gwA, NetnsLab.GATEWAY_B_WAN, 5301, streams));
                out.printf(Locale.ROOT, "raw veth, %d stream%s: %.2f Gbit/s%n", streams, streams == 1 ? "" : "s", veth.get(streams));
            }
            Path logA = dir.resolve("gateway-a.log");
            Path logB = dir.resolve("gateway-b.log");
            Process a = lab.startGateway(lab.gwA, modelA, logA, "--quiet", "--out", dir.toString());
            Process b = lab.startGateway(lab.gwB, modelB, logB, "--quiet", "--out", dir.toString());
            NetnsLab.Result ping = lab.exec(lab.hostA, 30, "ping", "-c", "3", "-i", "0.3", "-W", "3", NetnsLab.HOST_B);
            boolean pingOk = ping.code() == 0;
            out.println("ping " + NetnsLab.HOST_B + " from " + lab.hostA + " through the tunnel: " + (pingOk ? "ok" : "FAILED\n" + ping.output()));
            Map<Integer, Double> espline = new LinkedHashMap<>();
            lab.spawn(lab.hostB, dir.resolve("iperf3-tunnel-server.log"), "iperf3", "-s", "-p", "5302");
            for (int streams : new int[] {1, 4}) {
                espline.put(streams, pingOk ? iperf(lab, lab.hostA, NetnsLab.HOST_B, 5302, streams) : 0.0);
                out.printf(Locale.ROOT, "through Espline (AES-128-GCM A->B), %d stream%s: %.2f Gbit/s%n", streams, streams == 1 ? "" : "s",
                        espline.get(streams));
            }
            NetnsLab.terminate(a, 30);
            NetnsLab.terminate(b, 30);
            return new Result(veth, espline, pingOk, Files.readString(logA), Files.readString(logB));
        }
    }

    /** iperf3 client for {@code seconds} (the first second omitted: slow start and JIT warm-up); receiver Gbit/s, 0 on failure. */
    private double iperf(NetnsLab lab, String ns, String server, int port, int streams) throws InterruptedException {
        NetnsLab.Result r = null;
        // The server may not listen yet (a loaded machine once took more than the 4 s this waited before): retry
        // for up to 30 s.
        final long deadline = System.nanoTime() + 30_000_000_000L;
        do {
            r = lab.exec(ns, seconds + 30L, "iperf3", "-J", "-c", server, "-p", Integer.toString(port), "-P", Integer.toString(streams),
                    "-t", Integer.toString(seconds), "-O", "1");
            if (r.code() == 0) {
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
