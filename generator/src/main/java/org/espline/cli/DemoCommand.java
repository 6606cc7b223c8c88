package org.espline.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.espline.cli.demo.GatewayDemo;
import org.espline.cli.gateway.NetnsDemo;
import org.espline.cli.gateway.NetnsLab;
import org.espline.dsl.runtime.ModelProblem;
import org.espline.generator.CompiledModel;

/**
 * {@code espline demo [TX_MODEL [RX_MODEL]] [--megabytes N] [--flows N] [--out DIR]}: the main job. Generates the
 * Java data planes of two gateway models (by default the bundled site-to-site pair), compiles them in-process, and
 * pushes a synthetic workload through the tx pipeline of one and the rx pipeline of the other over an in-memory
 * wire; every delivered byte is checked. With one model, its own tx and rx pipelines are the two ends.
 * Exit 0 when everything arrived intact and every injected fault was dropped under its counter, 1 otherwise,
 * 2 for unusable arguments or models.
 */
final class DemoCommand {
    static final String USAGE = "usage: espline demo [TX_MODEL.espl [RX_MODEL.espl]] [--megabytes N] [--flows N] [--out DIR]\n"
            + "       espline demo --netns [GW_A.espl GW_B.espl] [--json FILE] [--seconds N] [--out DIR]   (root: real gateways between namespaces, iperf3)";
    private static final String[] BUNDLED = {"site-to-site.espl", "site-to-site-gw-a.espl", "site-to-site-gw-b.espl"};

    private final PrintStream out;
    private final PrintStream err;

    DemoCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(List<String> args) {
        Path dir = Path.of("target", "espline-demo");
        List<Path> models = new ArrayList<>();
        GatewayDemo.Options options = new GatewayDemo.Options();
        boolean netns = false;
        Path json = null;
        int seconds = 4;
        try {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--out" -> dir = Path.of(value(args, ++i, a));
                    case "--megabytes" -> options.megabytes = positive(value(args, ++i, a), a);
                    case "--flows" -> options.tcpFlows = (int) positive(value(args, ++i, a), a);
                    case "--netns" -> netns = true;
                    case "--json" -> json = Path.of(value(args, ++i, a));
                    case "--seconds" -> seconds = (int) Math.min(60, positive(value(args, ++i, a), a));
                    default -> {
                        if (a.startsWith("-")) {
                            throw new IllegalArgumentException("unknown option " + a);
                        }
                        if (!Files.isRegularFile(Path.of(a))) {
                            throw new IllegalArgumentException("no such file: " + a);
                        }
                        models.add(Path.of(a));
                    }
                }
            }
            if (models.size() > 2) {
                throw new IllegalArgumentException("at most two models: the sender's and the receiver's");
            }
            if (netns && models.size() == 1) {
                throw new IllegalArgumentException("--netns runs two gateways: name both models (A's, then B's), or none");
            }
            if (!netns && (json != null)) {
                throw new IllegalArgumentException("--json belongs to --netns");
            }
        } catch (IllegalArgumentException e) {
            err.println("espline: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        try {
            Files.createDirectories(dir);
            if (models.isEmpty()) {
                Path bundled = dir.resolve("models");
                extractBundledModels(bundled);
                if (netns) {
                    bundled = withDemoLifetimes(bundled, dir.resolve("netns-models"));
                }
                models.add(bundled.resolve("site-to-site-gw-a.espl"));
                models.add(bundled.resolve("site-to-site-gw-b.espl"));
            }
            if (netns) {
                return netns(models.get(0), models.get(1), dir, json, seconds);
            }
            Path tx = models.get(0);
            Path rx = models.size() > 1 ? models.get(1) : tx;
            GatewayDemo.Result r = new GatewayDemo(out, err, options).run(tx, rx, dir);
            return r.ok() ? 0 : 1;
        } catch (GatewayDemo.ModelErrors e) {
            for (ModelProblem p : e.problems()) {
                err.println(p);
            }
            err.println("espline: " + e.getMessage());
            return 2;
        } catch (CompiledModel.CompileException e) {
            err.println("espline: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("espline: demo failed: " + e.getMessage());
            return 1;
        }
    }

    /** The gateways between network namespaces; root only. */
    private int netns(Path a, Path b, Path dir, Path json, int seconds) throws IOException {
        if (!"0".equals(NetnsLab.sh("id", "-u").output().trim())) {
            err.println("espline: demo --netns creates network namespaces and TUN devices: run it as root");
            return 2;
        }
        for (String tool : new String[] {"ip", "ping", "iperf3"}) {
            if (NetnsLab.sh("sh", "-c", "command -v " + tool).code() != 0) {
                err.println("espline: demo --netns needs " + tool + " (apt-get install -y iproute2 iputils-ping iperf3)");
                return 2;
            }
        }
        try {
            NetnsDemo.Result r = new NetnsDemo(out, seconds).run(a.toAbsolutePath(), b.toAbsolutePath(), dir.toAbsolutePath().resolve("netns"),
                    true);
            out.printf(java.util.Locale.ROOT, "%n  %-32s %10s %10s%n", "Gbit/s (JDK " + Runtime.version().feature() + ", " + seconds + " s)",
                    "1 stream", "4 streams");
            out.printf(java.util.Locale.ROOT, "  %-32s %10.2f %10.2f%n", "raw veth", r.vethGbps().get(1), r.vethGbps().get(4));
            out.printf(java.util.Locale.ROOT, "  %-32s %10.2f %10.2f%n", "Espline gateways", r.esplineGbps().get(1), r.esplineGbps().get(4));
            if (r.noOffloadGbps().containsKey(1)) {
                out.printf(java.util.Locale.ROOT, "  %-32s %10.2f %10s%n", "Espline gateways, GSO/GRO off", r.noOffloadGbps().get(1), "-");
                out.printf(java.util.Locale.ROOT, "  %-32s %10.2f%n", "GSO/GRO on / off", r.offloadSpeedup());
            }
            r.notes().forEach(n -> out.println("  note: " + n));
            for (String line : (r.gatewayA() + r.gatewayB()).split("\n")) {
                if (line.startsWith("accounting") || line.startsWith("buffers outstanding") || line.startsWith("tun ") && line.contains("super-packets")) {
                    out.println("  " + line);
                }
            }
            if (json != null) {
                NetnsDemo.writeJson(r, json);
                out.println("wrote " + json);
            }
            return r.pingOk() && r.esplineGbps().get(1) > 0 ? 0 : 1;
        } catch (NetnsLab.CommandFailed e) {
            err.println("espline: demo --netns: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }

    private static long positive(String s, String option) {
        try {
            long v = Long.parseLong(s);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(option + " needs a positive whole number, not '" + s + "'");
    }

    /** What the demo's copies of the bundled SAs may carry (soft, hard): far more than a minute at 10 Gbit/s. */
    static final long DEMO_SOFT_BYTES = 900_000_000_000L;
    static final long DEMO_HARD_BYTES = 1_000_000_000_000L;

    /**
     * Copies of the extracted bundled models in {@code target} whose SAs' byte lifetimes are {@link #DEMO_SOFT_BYTES}
     * and {@link #DEMO_HARD_BYTES}: the bundled 3/4 GB end a gateway run of a few seconds at several Gbit/s, and these
     * models have no IKE to rekey. The time lifetimes and the data plane's enforcement stay as they are.
     */
    private Path withDemoLifetimes(Path bundled, Path target) throws IOException {
        Files.createDirectories(target);
        for (String name : BUNDLED) {
            String text = Files.readString(bundled.resolve(name));
            String raised = text.replaceAll("\\bsoft \\d+ bytes", "soft " + DEMO_SOFT_BYTES + " bytes")
                    .replaceAll("\\bhard \\d+ bytes", "hard " + DEMO_HARD_BYTES + " bytes");
            Path to = target.resolve(name);
            if (!Files.exists(to) || !Files.readString(to).equals(raised)) {
                Files.writeString(to, raised);
            }
        }
        out.println("demo: the bundled SAs' byte lifetimes raised to " + DEMO_SOFT_BYTES / 1_000_000_000 + "/" + DEMO_HARD_BYTES / 1_000_000_000
                + " GB (soft/hard) in " + target + " (the bundled 3/4 GB would end the runs: no IKE to rekey)");
        return target;
    }

    /** The bundled site-to-site models, written out so imports resolve and a user can open what ran. */
    private static void extractBundledModels(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : BUNDLED) {
            try (InputStream in = DemoCommand.class.getResourceAsStream("/demo/models/" + name)) {
                if (in == null) {
                    throw new IOException("bundled model /demo/models/" + name + " is missing from the jar");
                }
                byte[] bytes = in.readAllBytes();
                Path target = dir.resolve(name);
                if (!Files.exists(target) || !java.util.Arrays.equals(Files.readAllBytes(target), bytes)) {
                    Files.write(target, bytes);
                }
            }
        }
    }
}
