package org.espline.cli.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The two-gateway topology of the site-to-site model in network namespaces, for {@code espline demo --netns} and the
 * gateway tests:
 * <pre>
 *   hostA 10.1.0.10 fd01::10 --- 10.1.0.1 fd01::1 gwA 192.0.2.1 ==veth== 198.51.100.1 gwB 10.2.0.1 fd02::1 --- 10.2.0.10 fd02::10 hostB
 *                                          esp0 (TUN, Espline)              esp0 (TUN, Espline)
 * </pre>
 * Each gateway namespace forwards between its host link and its TUN device {@code esp0} (routes for the other site
 * point into it); the gateways' ESP-in-UDP sockets talk over the veth pair. Namespace names carry a suffix, so runs
 * never collide. {@link #close()} kills only the processes this lab started (by handle) and deletes only its
 * namespaces (which removes their devices). Needs root.
 */
public final class NetnsLab implements AutoCloseable {
    public static final String GATEWAY_A_WAN = "192.0.2.1";
    public static final String GATEWAY_B_WAN = "198.51.100.1";
    public static final String HOST_A = "10.1.0.10";
    public static final String HOST_B = "10.2.0.10";
    public static final String HOST_A6 = "fd01::10";
    public static final String HOST_B6 = "fd02::10";
    public static final String TUN = "esp0";
    public static final int TUN_MTU = 1400;
    /**
     * The JVM options of a gateway, as {@code ./espline run} uses them: the parallel collector (G1's write barrier costs
     * ~30 ns a packet) with a fixed young generation, touched at start (the heap may grow to 2 GB for large pools). JDK 17's AES-GCM allocates a few
     * hundred bytes per packet; with an adaptively growing young generation every collection cycle faulted in fresh
     * pages (profiled: 4-7% of a gateway's CPU in page faults and page clearing), with a fixed 64 MB one the same
     * pages are reused and stay in the cache.
     */
    public static final List<String> GATEWAY_JVM_OPTIONS = List.of("-XX:+UseParallelGC", "-Xms256m", "-Xmx2g", "-Xmn64m",
            "-XX:-UseAdaptiveSizePolicy", "-XX:+AlwaysPreTouch");

    public final String hostA;
    public final String gwA;
    public final String gwB;
    public final String hostB;
    private final String suffix;
    private final List<Process> started = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();

    /** A command that failed; the message holds the command and its output. */
    public static final class CommandFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CommandFailed(String message) {
            super(message);
        }
    }

    public NetnsLab(String suffix) {
        this.suffix = suffix;
        this.hostA = "esphA-" + suffix;
        this.gwA = "espgA-" + suffix;
        this.gwB = "espgB-" + suffix;
        this.hostB = "esphB-" + suffix;
    }

    /** Creates the namespaces and links (not the TUN devices: the gateways create those). */
    public NetnsLab up() {
        try {
            for (String n : List.of(hostA, gwA, gwB, hostB)) {
                addNamespace(n);
            }
            wan();
            site(hostA, gwA, "ha", "la", "10.1.0.10/16", "10.1.0.1", "fd01::10/64", "fd01::1");
            site(hostB, gwB, "hb", "lb", "10.2.0.10/16", "10.2.0.1", "fd02::10/64", "fd02::1");
            for (String g : List.of(gwA, gwB)) {
                run("ip", "netns", "exec", g, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                        "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0");
            }
            return this;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void addNamespace(String n) {
        sh("ip", "netns", "del", n); // a leftover of a killed run with the same suffix
        run("ip", "netns", "add", n);
        namespaces.add(n);
        run("ip", "-n", n, "link", "set", "lo", "up");
    }

    /** The gateways' veth pair with the model's tunnel endpoints. */
    public void wan() {
        String a = "wa-" + suffix;
        String b = "wb-" + suffix;
        run("ip", "link", "add", a, "netns", gwA, "type", "veth", "peer", "name", b, "netns", gwB);
        run("ip", "-n", gwA, "addr", "add", GATEWAY_A_WAN, "peer", GATEWAY_B_WAN, "dev", a);
        run("ip", "-n", gwB, "addr", "add", GATEWAY_B_WAN, "peer", GATEWAY_A_WAN, "dev", b);
        run("ip", "-n", gwA, "link", "set", a, "up");
        run("ip", "-n", gwB, "link", "set", b, "up");
    }

    private void site(String host, String gw, String hostDev, String gwDev, String host4, String gw4, String host6, String gw6) {
        String h = hostDev + "-" + suffix;
        String g = gwDev + "-" + suffix;
        run("ip", "link", "add", h, "netns", host, "type", "veth", "peer", "name", g, "netns", gw);
        run("ip", "-n", host, "addr", "add", host4, "dev", h);
        run("ip", "-n", host, "addr", "add", host6, "dev", h, "nodad");
        run("ip", "-n", host, "link", "set", h, "up");
        run("ip", "-n", host, "route", "add", "default", "via", gw4);
        run("ip", "-n", host, "-6", "route", "add", "default", "via", gw6);
        run("ip", "-n", gw, "addr", "add", gw4 + "/16", "dev", g);
        run("ip", "-n", gw, "addr", "add", gw6 + "/64", "dev", g, "nodad");
        run("ip", "-n", gw, "link", "set", g, "up");
    }

    /** Deletes gateway B's namespace (its veth end goes with it, so gateway A loses its peer) — a fault test. */
    public void removeGatewayB() {
        run("ip", "netns", "del", gwB);
        namespaces.remove(gwB);
    }

    /** Recreates gateway B's namespace and the veth pair after {@link #removeGatewayB()}. */
    public void restoreGatewayB() {
        addNamespace(gwB);
        wan();
        String g = "lb-" + suffix;
        // Gateway B's host link went with its namespace: a fresh one, host side re-created too.
        sh("ip", "-n", hostB, "link", "del", "hb-" + suffix);
        run("ip", "link", "add", "hb-" + suffix, "netns", hostB, "type", "veth", "peer", "name", g, "netns", gwB);
        run("ip", "-n", hostB, "addr", "add", "10.2.0.10/16", "dev", "hb-" + suffix);
        run("ip", "-n", hostB, "addr", "add", "fd02::10/64", "dev", "hb-" + suffix, "nodad");
        run("ip", "-n", hostB, "link", "set", "hb-" + suffix, "up");
        run("ip", "-n", hostB, "route", "add", "default", "via", "10.2.0.1");
        run("ip", "-n", hostB, "-6", "route", "add", "default", "via", "fd02::1");
        run("ip", "-n", gwB, "addr", "add", "10.2.0.1/16", "dev", g);
        run("ip", "-n", gwB, "addr", "add", "fd02::1/64", "dev", g, "nodad");
        run("ip", "-n", gwB, "link", "set", g, "up");
        run("ip", "netns", "exec", gwB, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0");
    }

    /**
     * Starts {@code espline run MODEL ARGS...} in {@code ns} with this JVM's java and class path, output to
     * {@code log}; waits until the gateway's TUN device exists, then brings it up with routes to the other site.
     */
    public Process startGateway(String ns, Path model, Path log, String... args) throws IOException, InterruptedException {
        List<String> main = new ArrayList<>(List.of("org.espline.cli.Main", "run", model.toString()));
        main.addAll(List.of(args));
        return startJava(ns, log, System.getProperty("java.class.path"), main);
    }

    /**
     * Starts a Java gateway ({@code mainAndArgs}: main class, then its arguments) in {@code ns} on {@code classPath},
     * then waits for its TUN device and configures it as {@link #startGateway} does.
     */
    public Process startJava(String ns, Path log, String classPath, List<String> mainAndArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, javaCommand()));
        cmd.addAll(GATEWAY_JVM_OPTIONS);
        cmd.addAll(List.of("-cp", classPath));
        cmd.addAll(mainAndArgs);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (sh("ip", "-n", ns, "link", "show", TUN).code != 0) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new CommandFailed("gateway in " + ns + " did not create " + TUN + " (exit "
                        + (p.isAlive() ? "none, still running" : p.exitValue()) + "): " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        boolean siteA = ns.equals(gwA);
        run("ip", "-n", ns, "link", "set", TUN, "mtu", Integer.toString(TUN_MTU), "up");
        run("ip", "-n", ns, "route", "replace", siteA ? "10.2.0.0/16" : "10.1.0.0/16", "dev", TUN);
        run("ip", "-n", ns, "-6", "route", "replace", siteA ? "fd02::/64" : "fd01::/64", "dev", TUN);
        return p;
    }

    /** Sends SIGTERM and waits for the exit; returns its status (or -1 after a kill when it would not stop). */
    public static int terminate(Process p, long seconds) throws InterruptedException {
        // The gateway JVM runs under `ip netns exec`, which execs it: the process is the JVM itself.
        p.destroy();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            return -1;
        }
        return p.exitValue();
    }

    private static String javaCommand() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** Runs a command in a namespace, returning its result without failing. */
    public Result exec(String ns, long timeoutSeconds, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return execute(cmd, timeoutSeconds);
    }

    /** Starts a command in a namespace in the background; {@link #close()} kills it if it is still running. */
    public Process spawn(String ns, Path log, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(p);
        return p;
    }

    public record Result(int code, String output) {
    }

    public static String run(String... command) {
        Result r = execute(List.of(command), 30);
        if (r.code != 0) {
            throw new CommandFailed(String.join(" ", command) + " exited " + r.code + ": " + r.output.trim());
        }
        return r.output;
    }

    public static Result sh(String... command) {
        return execute(List.of(command), 30);
    }

    private static Result execute(List<String> command, long timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            StringBuilder out = new StringBuilder();
            Thread reader = new Thread(() -> {
                try {
                    out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // the process went away; what was read is kept
                }
            });
            reader.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                reader.join(2000);
                return new Result(-1, "timed out after " + timeoutSeconds + " s: " + out);
            }
            reader.join(2000);
            return new Result(p.exitValue(), out.toString());
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    @Override
    public void close() {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroy();
            }
        }
        for (Process p : started) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        started.clear();
        for (String n : namespaces) {
            sh("ip", "netns", "del", n);
        }
        namespaces.clear();
    }
}
