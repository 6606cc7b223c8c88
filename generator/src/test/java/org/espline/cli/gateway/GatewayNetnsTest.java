package org.espline.cli.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.espline.dsl.espline.Model;
import org.espline.dsl.runtime.ModelSas;
import org.espline.generator.CompiledModel;
import org.espline.generator.EsplineGenerator;
import org.espline.generator.ModelGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Espline gateways in two network namespaces — A runs {@code espline run} (interpreted pipelines), B the
 * generated and compiled data plane's own {@code GwBMain}, each a JVM of its own — joined by a veth pair, each
 * with its TUN device and a host namespace behind it ({@link NetnsLab}); the test models are the site-to-site pair
 * with IPv6 site prefixes added: AES-128-GCM (ESN) from A to B, AES-128-CBC + HMAC-SHA-256 from B to A, tunnel mode,
 * ESP in UDP 4500 (NAT-T encapsulation). Real kernel traffic: ping (IPv4 and IPv6) and TCP transfers checked by
 * SHA-256, then faults — garbage on port 4500, the link to the peer gone and back, SIGTERM under load (drained,
 * balanced books, every buffer back) — and finally scapy as an independent live peer (see gateway_peer.py), with a
 * replayed packet.
 *
 * <p>Needs root (namespaces, TUN), ping (iputils-ping) and /usr/bin/python3 with scapy: skipped with the reason
 * otherwise, except under {@code CI=true}, where that fails instead.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayNetnsTest {
    private static final String MODELS = "generator/src/test/resources/gateway";
    private static final String PYTHON = "generator/src/test/python";
    private static final int GARBAGE = 2000;

    @TempDir
    static Path dir;
    private static NetnsLab lab;
    private static Path root;
    private static Process gwA;
    private static Process gwB;
    private static CompiledModel compiledB;

    @BeforeAll
    static void setUp() throws Exception {
        requireTools();
        root = repoRoot();
        lab = new NetnsLab(Long.toString(ProcessHandle.current().pid())).up();
        gwA = startA("a.log");
        gwB = startGeneratedB();
    }

    /**
     * Gateway B runs the generated data plane: gw-b.espl generated and compiled (-Werror) here, its generated
     * {@code GwBMain} opening the TUN device and the UDP socket itself.
     */
    private static Process startGeneratedB() throws Exception {
        Path model = root.resolve(MODELS + "/gw-b.espl");
        ModelSas.Loaded loaded = ModelGenerator.load(model);
        Map<String, String> sources = new ModelGenerator().generate(loaded, model, ModelGenerator.placeholderEnvironment(loaded.models()));
        compiledB = CompiledModel.compile(sources, dir.resolve("generated-b"));
        Model m = loaded.models().get(loaded.models().size() - 1);
        String main = EsplineGenerator.javaPackage(m) + "." + new EsplineGenerator().mainClassName(m);
        return lab.startJava(lab.gwB, dir.resolve("b.log"), System.getProperty("java.class.path") + File.pathSeparator + compiledB.classes(),
                List.of(main, dir.toString()));
    }

    private static Process startA(String log) throws IOException, InterruptedException {
        return lab.startGateway(lab.gwA, root.resolve(MODELS + "/gw-a.espl"), dir.resolve(log),
                "--out", dir.toString(), "--status-seconds", "1");
    }

    @AfterAll
    static void tearDown() {
        if (lab != null) {
            lab.close();
        }
        if (compiledB != null) {
            try {
                compiledB.close();
            } catch (IOException e) {
                // a temporary directory; JUnit removes it
            }
        }
    }

    @Test
    @Order(1)
    void pingCrossesTheTunnelBothWaysInIpv4AndIpv6() {
        ping(lab.hostA, NetnsLab.HOST_B);
        ping(lab.hostA, NetnsLab.HOST_B6);
        ping(lab.hostB, NetnsLab.HOST_A);
        ping(lab.hostB, NetnsLab.HOST_A6);
    }

    @Test
    @Order(2)
    void tcpTransfersArriveByteForByteInBothDirections() throws Exception {
        transfer(lab.hostB, NetnsLab.HOST_B, lab.hostA, 24, 5001); // A -> B: AES-GCM, TSO super-packets through GSO
        transfer(lab.hostA, NetnsLab.HOST_A6, lab.hostB, 8, 5002); // B -> A over IPv6: AES-CBC + HMAC
    }

    @Test
    @Order(3)
    void garbageOnPort4500IsCountedAndTrafficKeepsFlowing() {
        NetnsLab.Result r = lab.exec(lab.gwB, 60, "/usr/bin/python3", root.resolve(PYTHON + "/udp_garbage.py").toString(),
                NetnsLab.GATEWAY_A_WAN, Integer.toString(GARBAGE));
        assertEquals(0, r.code(), r.output());
        ping(lab.hostA, NetnsLab.HOST_B);
    }

    @Test
    @Order(4)
    void theLinkToThePeerGoesAndComesBack() throws Exception {
        NetnsLab.run("ip", "-n", lab.gwA, "link", "del", "wa-" + ProcessHandle.current().pid());
        NetnsLab.Result gone = lab.exec(lab.hostA, 20, "ping", "-c", "3", "-i", "0.2", "-W", "1", NetnsLab.HOST_B);
        assertTrue(gone.code() != 0, "no replies while the peer is gone: " + gone.output());
        lab.wan();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (lab.exec(lab.hostA, 10, "ping", "-c", "1", "-W", "1", NetnsLab.HOST_B).code() != 0) {
            assertTrue(System.nanoTime() < deadline, "traffic did not resume after the peer came back");
        }
        assertTrue(gwA.isAlive() && gwB.isAlive(), "both gateways kept running");
    }

    @Test
    @Order(5)
    void sigtermUnderLoadDrainsAndLosesNothingItAccepted() throws Exception {
        lab.spawn(lab.hostB, dir.resolve("sink.log"), "/usr/bin/python3", root.resolve(PYTHON + "/tcp_transfer.py").toString(),
                "serve", NetnsLab.HOST_B, "5003");
        Process flood = lab.spawn(lab.hostA, dir.resolve("flood.log"), "/usr/bin/python3",
                root.resolve(PYTHON + "/tcp_transfer.py").toString(), "flood", NetnsLab.HOST_B, "5003", "4");
        Thread.sleep(2000);
        assertEquals(0, NetnsLab.terminate(gwA, 30), "gateway A exits 0 after SIGTERM:\n" + log("a.log"));
        flood.waitFor(20, TimeUnit.SECONDS);
        String a = log("a.log");
        assertDrainedAndBalanced(a);
        assertTrue(counter(a, "pipeline egress", "EsplineOutDelivered") > 1000, "load was running:\n" + a);
        assertEquals(GARBAGE, counter(a, "pipeline ingress", "XfrmInNoStates"), "every garbage datagram under XfrmInNoStates:\n" + a);
        Matcher tun = Pattern.compile("tun esp0 \\(offloads csum tso4 tso6[ a-z0-9]*\\): read \\d+ \\((\\d+) super-packets.*written \\d+ \\((\\d+) as GSO\\)").matcher(a);
        assertTrue(tun.find(), "TSO granted on the TUN device:\n" + a);
        assertTrue(Long.parseLong(tun.group(1)) > 0, "the kernel handed over TCP super-packets (TSO), the GSO stage cut them:\n" + a);
        assertTrue(Long.parseLong(tun.group(2)) > 0, "GRO-coalesced packets left through the TUN device as GSO packets:\n" + a);
        Matcher refused = Pattern.compile("(\\d+) refused by the kernel").matcher(a);
        assertTrue(refused.find() && Long.parseLong(refused.group(1)) > 0, "sends while the peer was gone are counted:\n" + a);

        assertEquals(0, NetnsLab.terminate(gwB, 30), "generated gateway B exits 0 after a drained SIGTERM:\n" + log("b.log"));
        String b = log("b.log");
        assertTrue(b.contains("EgressPipeline: received ") && b.contains("IngressPipeline: received "), b);
    }

    @Test
    @Order(6)
    void aLiveScapyPeerTalksToTheGateway() throws Exception {
        // Gateway B is gone; scapy takes its place in B's namespace, with its address and port 4500.
        gwA = startA("a2.log");
        NetnsLab.Result r = lab.exec(lab.gwB, 60, "/usr/bin/python3", root.resolve(PYTHON + "/gateway_peer.py").toString(),
                NetnsLab.GATEWAY_B_WAN, NetnsLab.GATEWAY_A_WAN, "1");
        assertTrue(r.code() == 0 && r.output().contains("PEER OK"), "scapy peer:\n" + r.output() + "\ngateway A:\n" + log("a2.log"));
        assertEquals(0, NetnsLab.terminate(gwA, 30));
        String a = log("a2.log");
        assertDrainedAndBalanced(a);
        assertEquals(1, counter(a, "pipeline ingress", "XfrmInStateSeqError"), "the replayed packet:\n" + a);
        assertEquals(4, counter(a, "pipeline ingress", "EsplineInDelivered"), "three IPv4 and one IPv6 echo request:\n" + a);
    }

    @Test
    @Order(7)
    void demoNetnsMeasuresAndWritesItsJson() throws Exception {
        lab.close(); // the demo builds a topology of its own (other names); ours is no longer needed
        Assumptions.assumeTrue(NetnsLab.sh("sh", "-c", "command -v iperf3").code() == 0 || ci(), "needs iperf3 (apt-get install -y iperf3)");
        Path json = dir.resolve("demo.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = org.espline.cli.Main.run(new String[] {"demo", "--netns", "--seconds", "2", "--json", json.toString(),
                "--out", dir.resolve("demo").toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, text);
        String j = Files.readString(json);
        Matcher m = Pattern.compile("\\{\"veth_gbps\": \\{\"1\": ([0-9.]+), \"4\": ([0-9.]+)\\}, \"espline_gbps\": \\{\"1\": ([0-9.]+), \"4\": ([0-9.]+)\\}, \"ping_ok\": true"
                + ", \"espline_no_offload_gbps\": \\{\"1\": ([0-9.]+)\\}, \"offload_speedup\": ([0-9.]+), \"jdk\": \"[^\"]+\"\\}\\s*").matcher(j);
        assertTrue(m.matches(), j);
        for (int g = 1; g <= 6; g++) {
            assertTrue(Double.parseDouble(m.group(g)) > 0, "every throughput measured: " + j + "\n" + text);
        }
        assertTrue(!text.contains("UNBALANCED") && text.contains("buffers outstanding after the drain: 0 "), text);
        assertTrue(NetnsLab.sh("ip", "netns", "list").output().lines().noneMatch(l -> l.contains("demo" + ProcessHandle.current().pid())),
                "the demo removed its namespaces");
    }

    private static boolean ci() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    // ------------------------------------------------------------------ helpers

    private static void assertDrainedAndBalanced(String log) {
        assertTrue(log.contains("every pipeline drained"), log);
        assertTrue(log.contains("accounting egress:") && log.contains("accounting ingress:"), log);
        assertTrue(!log.contains("UNBALANCED"), log);
        assertTrue(log.contains("buffers outstanding after the drain: 0 "), log);
        assertTrue(log.contains("0 write errors"), "the TUN device took every packet:\n" + log);
    }

    /** The value of {@code counter} in the summary block of {@code pipeline}, 0 when absent. */
    private static long counter(String log, String pipeline, String counter) {
        int at = log.lastIndexOf(pipeline + ":");
        assertTrue(at >= 0, "no summary for " + pipeline + ":\n" + log);
        Matcher m = Pattern.compile("(?m)^  " + counter + "\\s+(\\d+)$").matcher(log);
        int end = log.indexOf("\npipeline ", at + 1);
        if (end < 0) {
            end = log.indexOf("\ntun ", at + 1);
        }
        m.region(at, end < 0 ? log.length() : end);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static void ping(String fromNs, String to) {
        NetnsLab.Result r = lab.exec(fromNs, 30, "ping", "-c", "3", "-i", "0.2", "-W", "2", to);
        assertEquals(0, r.code(), "ping " + to + " from " + fromNs + ":\n" + r.output() + "\ngateway A:\n" + log("a.log")
                + "\ngateway B:\n" + log("b.log"));
        assertTrue(r.output().contains("3 received"), r.output());
    }

    private static void transfer(String serverNs, String address, String clientNs, int megabytes, int port) throws Exception {
        Path serverLog = dir.resolve("serve-" + port + ".log");
        Process server = lab.spawn(serverNs, serverLog, "/usr/bin/python3", root.resolve(PYTHON + "/tcp_transfer.py").toString(),
                "serve", address, Integer.toString(port));
        NetnsLab.Result client = lab.exec(clientNs, 120, "/usr/bin/python3", root.resolve(PYTHON + "/tcp_transfer.py").toString(),
                "send", address, Integer.toString(port), Integer.toString(megabytes));
        assertTrue(server.waitFor(60, TimeUnit.SECONDS), "server ended");
        String received = Files.readString(serverLog).replace("listening", "").trim();
        assertEquals(0, client.code(), client.output());
        String sent = client.output().trim();
        assertEquals(((long) megabytes << 20) + " ", sent.substring(0, sent.indexOf(' ') + 1), sent);
        assertEquals(sent, received, "SHA-256 of the bytes sent and received");
    }

    private static String log(String name) {
        try {
            return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no " + name + ": " + e.getMessage() + ")";
        }
    }

    private static void requireTools() {
        String why = null;
        if (!"0".equals(NetnsLab.sh("id", "-u").output().trim())) {
            why = "needs root (network namespaces, TUN devices)";
        } else if (NetnsLab.sh("ping", "-V").code() != 0) {
            why = "needs ping (apt-get install -y iputils-ping)";
        } else if (NetnsLab.sh("/usr/bin/python3", "-c", "import scapy.layers.ipsec").code() != 0) {
            why = "needs /usr/bin/python3 with scapy (apt-get install -y python3-scapy)";
        }
        if (why != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(why + " (CI=true: this proof must run)");
            }
            Assumptions.abort(why);
        }
    }

    private static Path repoRoot() {
        Path d = Path.of("").toAbsolutePath();
        while (d != null && !Files.isDirectory(d.resolve(MODELS))) {
            d = d.getParent();
        }
        if (d == null) {
            fail("cannot find " + MODELS + " above " + Path.of("").toAbsolutePath());
        }
        return d;
    }
}
