package org.espline.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.espline.dsl.espline.Buffers;
import org.espline.dsl.espline.Element;
import org.espline.dsl.espline.EsplinePackage;
import org.espline.dsl.espline.Model;
import org.espline.dsl.espline.Pipeline;
import org.espline.dsl.espline.Port;
import org.espline.dsl.espline.TunPort;
import org.espline.dsl.espline.UdpPort;
import org.espline.dsl.runtime.ModelException;
import org.espline.dsl.runtime.ModelPipelines;
import org.espline.dsl.runtime.ModelProblem;
import org.espline.dsl.runtime.ModelSas;
import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.engine.EngineStage;
import org.espline.runtime.gateway.GatewayRunner;
import org.espline.runtime.pipeline.DecryptStage;
import org.espline.runtime.pipeline.GroStage;
import org.espline.runtime.pipeline.GsoStage;
import org.espline.runtime.pipeline.Stage;
import org.espline.runtime.port.linux.TunDevice;
import org.espline.runtime.port.linux.UdpEspSocket;

/**
 * {@code espline run MODEL [--gateway NAME] [--quiet] [--status-seconds N] [--duration SECONDS] [--no-offload]}: runs a
 * model's pipelines as a gateway on this host's (or this network namespace's) TUN devices and UDP sockets until
 * SIGINT/SIGTERM (or the duration), then drains and prints the counters. MODEL is a model file, or a directory with
 * {@code --gateway NAME} picking {@code NAME.espl} (or the model whose package ends in {@code .NAME}). Tap files go to
 * {@code --out DIR} (default: the model's directory) and record the first {@code --tap-limit} packets (default 10000).
 *
 * <p>{@code --no-offload} turns the kernel's offloads off (no TSO super-packets from the TUN device, no UDP GSO or
 * GRO on the socket) and makes the model's {@code gro} stages coalesce nothing: every packet is MTU-sized end to end,
 * the baseline the offloads are measured against ({@code espline demo --netns} runs both).
 *
 * <p>The TUN devices are created here; their addresses, MTU and routes are the administrator's ({@code ip addr},
 * {@code ip route}), as with any VPN daemon. Exit 0 after a clean stop, 1 when a pipeline failed or did not drain,
 * 2 for unusable arguments, models or ports.
 */
final class RunCommand {
    static final String USAGE = "usage: espline run MODEL.espl|DIR [--gateway NAME] [--quiet] [--status-seconds N] [--duration SECONDS] [--no-offload]"
            + " [--out DIR] [--tap-limit PACKETS]";
    /** Buffers for TUN reads: enough for two batches of 64 KB super-packets per device, and then some. */
    private static final int TUN_POOL = 256;
    private static final int TUN_BUFFER = 0xFFFF + 64;
    private static final long DRAIN_SECONDS = 10;

    private final PrintStream out;
    private final PrintStream err;
    private final List<BufferPool> portPools = new ArrayList<>();

    RunCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(List<String> args) {
        Path model = null;
        String gateway = null;
        boolean quiet = false;
        boolean offload = true;
        long statusSeconds = 5;
        long duration = 0;
        long tapLimit = 10_000;
        Path outDir = null;
        try {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--gateway" -> gateway = value(args, ++i, a);
                    case "--quiet" -> quiet = true;
                    case "--no-offload" -> offload = false;
                    case "--status-seconds" -> statusSeconds = positive(value(args, ++i, a), a);
                    case "--duration" -> duration = positive(value(args, ++i, a), a);
                    case "--tap-limit" -> tapLimit = positive(value(args, ++i, a), a);
                    case "--out" -> outDir = Path.of(value(args, ++i, a));
                    default -> {
                        if (a.startsWith("-") || model != null) {
                            throw new IllegalArgumentException(a.startsWith("-") ? "unknown option " + a : "one model only");
                        }
                        model = Path.of(a);
                    }
                }
            }
            if (model == null) {
                throw new IllegalArgumentException("no model");
            }
            model = pick(model, gateway);
            if (outDir == null) {
                outDir = model.toAbsolutePath().getParent();
            }
        } catch (IllegalArgumentException e) {
            err.println("espline: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }

        ModelSas sas = new ModelSas();
        ModelSas.Loaded loaded = sas.load(model);
        if (loaded.hasErrors()) {
            loaded.errors().forEach(err::println);
            return 2;
        }
        Model root = loaded.models().get(loaded.models().size() - 1);
        List<Pipeline> pipelines = new ArrayList<>();
        for (Element e : root.getElements()) {
            if (e instanceof Pipeline p) {
                pipelines.add(p);
            }
        }
        if (pipelines.isEmpty()) {
            err.println("espline: " + model + " has no pipeline to run");
            return 2;
        }

        GatewayRunner runner = new GatewayRunner();
        Map<String, TunDevice> tuns = new LinkedHashMap<>();
        Map<String, UdpEspSocket> sockets = new LinkedHashMap<>();
        ModelPipelines mp = new ModelPipelines(sas).outputDirectory(outDir).tapLimit(tapLimit).coalescing(offload);
        ModelPipelines.Built built;
        try {
            for (Pipeline p : pipelines) {
                Object source = gatewayPort(p, p.getSource(), tuns, sockets, offload);
                Object sink = gatewayPort(p, p.getSink(), tuns, sockets, offload);
                if (source instanceof org.espline.runtime.port.SourcePort s) {
                    mp.withSource(p.getName(), s);
                }
                if (sink instanceof org.espline.runtime.port.SinkPort s) {
                    mp.withSink(p.getName(), s);
                }
            }
            built = mp.build(loaded);
        } catch (IOException e) {
            err.println("espline: " + e.getMessage());
            closeAll(tuns, sockets);
            return 2;
        } catch (ModelException e) {
            e.problems().forEach(err::println);
            closeAll(tuns, sockets);
            return 2;
        }
        for (ModelProblem n : built.notes()) {
            err.println(n);
        }
        tuns.values().forEach(runner::port);
        sockets.values().forEach(runner::port);
        for (Pipeline p : pipelines) {
            runner.lane(p.getName(), built.pipeline(p.getName()), built.stats(p.getName()));
        }
        for (TunDevice t : tuns.values()) {
            out.println("tun " + t.name() + ": offloads " + t.offloadNames());
        }
        for (UdpEspSocket s : sockets.values()) {
            out.println("udp port " + s.localPort() + ": gro " + s.groEnabled() + ", gso " + s.gsoEnabled());
        }
        out.println("espline gateway " + model.getFileName() + ": running " + String.join(", ", built.pipelines().keySet())
                + " until SIGINT/SIGTERM" + (duration > 0 ? " or " + duration + " s" : ""));
        out.flush();

        final ModelPipelines.Built b = built;
        tuns.values().forEach(t -> portPools.add(t.pool()));
        sockets.values().forEach(u -> portPools.add(u.pool()));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            runner.stop();
            boolean drained;
            try {
                drained = runner.awaitFinished(DRAIN_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                drained = false;
            }
            out.print(runner.summary(drained));
            if (drained) {
                for (Pipeline p : pipelines) {
                    out.println(accounting(p.getName(), b));
                }
            }
            b.close();
            runner.close();
            long outstanding = 0;
            for (BufferPool pool : portPools) {
                outstanding += pool.outstanding();
            }
            for (BufferPool pool : b.pools().values()) {
                outstanding += pool.outstanding();
            }
            out.println("buffers outstanding after the drain: " + outstanding + (outstanding == 0 ? " (every buffer came back)" : " (LEAKED)"));
            out.flush();
            err.flush();
            // A signal would make the JVM exit 143 after the hooks; a clean drain is a clean stop, so say so.
            Runtime.getRuntime().halt(drained && outstanding == 0 && runner.failures().isEmpty() ? 0 : 1);
        }, "espline-shutdown"));
        runner.start();
        long start = System.nanoTime();
        long nextStatus = start + TimeUnit.SECONDS.toNanos(statusSeconds);
        try {
            while (!runner.awaitFinished(200, TimeUnit.MILLISECONDS)) {
                long now = System.nanoTime();
                if (duration > 0 && now - start >= TimeUnit.SECONDS.toNanos(duration)) {
                    break;
                }
                if (!quiet && now >= nextStatus) {
                    err.println(runner.statusLine());
                    nextStatus = now + TimeUnit.SECONDS.toNanos(statusSeconds);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Duration over or a pipeline ended on its own (a failure): exit runs the hook, which drains and reports.
        return runner.failures().isEmpty() ? 0 : 1;
    }

    /**
     * The pipeline's books after the drain: every packet received ended delivered, dropped under a counter or
     * consumed (IKE, keepalives), GSO adding the segments it made and GRO removing the segments it merged.
     */
    static String accounting(String name, ModelPipelines.Built b) {
        org.espline.runtime.pipeline.Pipeline p = b.pipeline(name);
        long drops = b.stats(name).totalDrops();
        long consumed = 0;
        long made = 0;
        long merged = 0;
        for (Stage s : b.stages(name)) {
            if (s instanceof DecryptStage d) {
                consumed += d.consumed();
            } else if (s instanceof EngineStage e) {
                consumed += e.consumed();
            } else if (s instanceof GsoStage g) {
                made += g.segments() - g.segmented();
            } else if (s instanceof GroStage g) {
                merged += g.merged();
            }
        }
        long expected = p.received() + made - merged - drops - consumed - p.pending() - p.inFlight();
        return String.format("accounting %s: received %d + made by GSO %d - merged by GRO %d - dropped %d - consumed %d = %d, delivered %d: %s",
                name, p.received(), made, merged, drops, consumed, expected, p.delivered(),
                expected == p.delivered() ? "balanced" : "UNBALANCED");
    }

    /** A TUN device or UDP socket for a gateway port (opened once per device / address and port), or null. */
    private static Object gatewayPort(Pipeline p, Port port, Map<String, TunDevice> tuns, Map<String, UdpEspSocket> sockets,
                                      boolean offload) throws IOException {
        if (port instanceof TunPort t) {
            TunDevice d = tuns.get(t.getDevice());
            if (d == null) {
                BufferPool pool = new BufferPool(TUN_POOL, headroom(p), TUN_BUFFER, tailroom(p), fragments(p));
                d = TunDevice.open(t.getDevice(), pool, offload, mtu(p));
                tuns.put(t.getDevice(), d);
            }
            return d;
        }
        if (port instanceof UdpPort u) {
            String key = u.getAddress() + ":" + u.getPort();
            UdpEspSocket s = sockets.get(key);
            if (s == null) {
                InetAddress address;
                try {
                    address = InetAddress.getByName(u.getAddress());
                } catch (UnknownHostException e) {
                    throw new IOException("udp " + u.getAddress() + ": not an address");
                }
                BufferPool pool = new BufferPool(poolSize(p), headroom(p), mtu(p), tailroom(p), fragments(p));
                s = UdpEspSocket.open(address, u.getPort(), pool, offload, offload);
                sockets.put(key, s);
            }
            return s;
        }
        return null;
    }

    private static int headroom(Pipeline p) { return value(p.getBuffers(), EsplinePackage.Literals.BUFFERS__HEADROOM, ModelPipelines.DEFAULT_HEADROOM); }

    private static int tailroom(Pipeline p) { return value(p.getBuffers(), EsplinePackage.Literals.BUFFERS__TAILROOM, ModelPipelines.DEFAULT_TAILROOM); }

    private static int fragments(Pipeline p) { return value(p.getBuffers(), EsplinePackage.Literals.BUFFERS__MAX_FRAGMENTS, ModelPipelines.DEFAULT_FRAGMENTS); }

    private static int mtu(Pipeline p) { return value(p.getBuffers(), EsplinePackage.Literals.BUFFERS__MTU, ModelPipelines.DEFAULT_MTU); }

    private static int poolSize(Pipeline p) { return value(p.getBuffers(), EsplinePackage.Literals.BUFFERS__POOL_SIZE, ModelPipelines.DEFAULT_POOL_SIZE); }

    private static int value(Buffers b, org.eclipse.emf.ecore.EAttribute f, int fallback) {
        return b == null || !b.eIsSet(f) ? fallback : (Integer) b.eGet(f);
    }

    private static void closeAll(Map<String, TunDevice> tuns, Map<String, UdpEspSocket> sockets) {
        tuns.values().forEach(TunDevice::close);
        sockets.values().forEach(UdpEspSocket::close);
    }

    /** The model file: MODEL itself, or in a directory the one --gateway names. */
    private static Path pick(Path model, String gateway) {
        if (Files.isRegularFile(model)) {
            if (gateway != null && !matches(model, gateway)) {
                throw new IllegalArgumentException(model + " is not gateway " + gateway + " (name a directory to choose among models)");
            }
            return model;
        }
        if (!Files.isDirectory(model)) {
            throw new IllegalArgumentException("no such file: " + model);
        }
        if (gateway == null) {
            throw new IllegalArgumentException(model + " is a directory: say which gateway with --gateway NAME");
        }
        try (Stream<Path> s = Files.list(model)) {
            List<Path> found = s.filter(f -> f.toString().endsWith(".espl") && matches(f, gateway)).toList();
            if (found.size() != 1) {
                throw new IllegalArgumentException(found.isEmpty() ? "no model for gateway " + gateway + " in " + model
                        : "several models for gateway " + gateway + ": " + found);
            }
            return found.get(0);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list " + model + ": " + e.getMessage());
        }
    }

    /** NAME.espl, *-NAME.espl, or a package ending in .NAME (with - and _ alike). */
    private static boolean matches(Path file, String gateway) {
        String base = file.getFileName().toString().replaceFirst("\\.espl$", "").replace('_', '-');
        String g = gateway.replace('_', '-');
        if (base.equals(g) || base.endsWith("-" + g)) {
            return true;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                String t = line.trim();
                if (t.startsWith("package ")) {
                    String pkg = t.substring(8).trim().replace('_', '-');
                    return pkg.equals(g) || pkg.endsWith("." + g);
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
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
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": expected a positive number, was '" + s + "'");
        }
    }
}
