package org.espline.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.espline.cli.bench.Json;
import org.espline.cli.bench.PipelineBench;
import org.espline.dsl.espline.DecryptStage;
import org.espline.dsl.espline.EncryptStage;
import org.espline.dsl.espline.Engine;
import org.espline.dsl.espline.EngineRef;
import org.espline.dsl.espline.GroStage;
import org.espline.dsl.espline.GsoStage;
import org.espline.dsl.espline.Model;
import org.espline.dsl.espline.Pipeline;
import org.espline.dsl.espline.PipelineKind;
import org.espline.dsl.espline.Stage;
import org.espline.dsl.runtime.ModelException;
import org.espline.dsl.runtime.ModelProblem;
import org.espline.dsl.runtime.ModelSas;
import org.espline.generator.CompiledModel;
import org.espline.generator.EsplineGenerator;
import org.espline.generator.ModelGenerator;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.sa.Policy;
import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.sa.PolicyLookup;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.Selector;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code espline bench MODEL [--quick] [--json FILE] [--pipelines REGEX] [--sizes LIST] [--jvm JAVA] [--out DIR]
 * [--full-matrix]}: generates and compiles the model's pipelines, runs each (pipeline, cipher, size) row under JMH in a
 * fork of its own ({@link PipelineBench}) next to its limit (raw JCA seal/open or System.arraycopy of the same packet
 * sizes), prints a table and optionally writes the results as JSON. The cipher of a row is chosen by the inner traffic's
 * destination: one address inside each protect policy's destination prefix.
 */
final class BenchCommand {
    static final String USAGE = String.join("\n",
            "usage: espline bench MODEL.espl [--quick] [--json FILE] [--pipelines REGEX] [--sizes LIST] [--full-matrix]",
            "                     [--jvm PATH/bin/java] [--out DIR]",
            "  --quick        one size each (1400 B packets, 64000 B writes), short iterations, 1 fork: about 3 minutes",
            "                 (without it: every size, 3 forks a row, about 35 minutes on 2 cores)",
            "  --json FILE    write the results and comparisons as JSON (espline bench-report turns them into REPORT.md)",
            "  --pipelines R  only pipelines whose name matches the regular expression R",
            "  --sizes LIST   comma-separated sizes: below 2000 an inner packet (per-packet rows), else a TCP write (GSO/GRO)",
            "  --full-matrix  every engine with every cipher and size (default: non-inline engines with aes-128-gcm at 1400)",
            "  --jvm JAVA     run the forks on another JDK's java (e.g. /usr/lib/jvm/temurin-25-jdk-amd64/bin/java)",
            "  --ignore-lock  run even while another JMH run holds its machine-wide lock (default: wait for it)",
            "  --out DIR      working directory (generated code, JMH log, side files); default target/espline-bench");

    private static final int WRITE_THRESHOLD = 2000;
    private static final String GCM128 = "aes-128-gcm";

    private final PrintStream out;
    private final PrintStream err;
    private final EsplineGenerator names = new EsplineGenerator();

    BenchCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** JMH run settings. */
    record Settings(String name, int forks, int warmups, int warmupMillis, int iterations, int iterationMillis) {
        static final Settings FULL = new Settings("full", 3, 2, 1000, 3, 1000);
        static final Settings QUICK = new Settings("quick", 1, 2, 500, 3, 500);
        static final Settings SMOKE = new Settings("smoke", 1, 0, 100, 1, 100);
    }

    /** One measured row: a pipeline (or the interpreted one) with one cipher's traffic of one size. */
    record Row(String dir, String path, String engine, String cipher, int size, String pipeline, String className,
               String peer, boolean interpreted, String src, String dst, int mss, boolean engineInlineForNow) {
        String config() {
            return cipher + "/" + path + "/" + engine + (interpreted ? "/interpreted" : "");
        }

        /** TCP writes (GSO/GRO rows, and per-packet rows of the same writes) rather than single packets. */
        boolean tcp() { return size >= WRITE_THRESHOLD; }

        String baselineKind() {
            return cipher.equals("null") ? "arraycopy" : dir.equals("tx") ? "jca-seal" : dir.equals("rx") ? "jca-open" : "jca-seal-open";
        }

        String baselineKey() {
            return baselineKind() + "|" + (baselineKind().equals("arraycopy") ? "" : cipher) + "|" + tcp() + "|" + size + "|" + mss;
        }
    }

    /** A measured result: operations/s, B/op and the fork's side file. */
    record Measured(double opsPerSecond, double allocPerOp, Properties side) {
    }

    int run(List<String> args) {
        Path model = null;
        Path json = null;
        Path dir = Path.of("target", "espline-bench");
        Pattern only = null;
        List<Integer> sizes = null;
        Settings settings = Settings.FULL;
        boolean full = false;
        String jvm = null;
        boolean ignoreLock = false;
        try {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--quick" -> settings = Settings.QUICK;
                    case "--smoke" -> { // hidden: the tests' few-second JMH settings; their numbers mean nothing anyway
                        settings = Settings.SMOKE;
                        ignoreLock = true;
                    }
                    case "--ignore-lock" -> ignoreLock = true;
                    case "--full-matrix" -> full = true;
                    case "--json" -> json = Path.of(value(args, ++i, a));
                    case "--out" -> dir = Path.of(value(args, ++i, a));
                    case "--jvm" -> {
                        jvm = value(args, ++i, a);
                        if (!Files.isExecutable(Path.of(jvm))) {
                            throw new IllegalArgumentException("--jvm: " + jvm + " is not an executable java");
                        }
                    }
                    case "--pipelines" -> {
                        String r = value(args, ++i, a);
                        try {
                            only = Pattern.compile(r);
                        } catch (PatternSyntaxException e) {
                            throw new IllegalArgumentException("--pipelines: not a regular expression: " + r);
                        }
                    }
                    case "--sizes" -> sizes = sizes(value(args, ++i, a));
                    default -> {
                        if (a.startsWith("-")) {
                            throw new IllegalArgumentException("unknown option " + a);
                        }
                        if (model != null) {
                            throw new IllegalArgumentException("one model at a time (already have " + model + ")");
                        }
                        if (!Files.isRegularFile(Path.of(a))) {
                            throw new IllegalArgumentException("no such file: " + a);
                        }
                        model = Path.of(a);
                    }
                }
            }
            if (model == null) {
                throw new IllegalArgumentException("which model? expected MODEL.espl");
            }
        } catch (IllegalArgumentException e) {
            err.println("espline: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        if (ignoreLock) {
            System.setProperty("jmh.ignoreLock", "true");
        }
        try {
            return bench(model.toAbsolutePath(), dir.toAbsolutePath(), json, only, sizes, settings, full, jvm);
        } catch (ModelException e) {
            for (ModelProblem p : e.problems()) {
                err.println(p);
            }
            err.println("espline: " + model + " has errors");
            return 2;
        } catch (CompiledModel.CompileException e) {
            err.println("espline: " + e.getMessage());
            return 1;
        } catch (IOException | ReflectiveOperationException e) {
            err.println("espline: bench failed: " + e);
            return 1;
        }
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }

    private static List<Integer> sizes(String list) {
        List<Integer> l = new ArrayList<>();
        for (String s : list.split(",")) {
            try {
                int v = Integer.parseInt(s.strip());
                if (v < 28 || v > 65_495) {
                    throw new IllegalArgumentException("--sizes: " + v + " is outside 28..65495 (an IPv4 packet or TCP write)");
                }
                l.add(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--sizes: expected comma-separated whole numbers, not '" + list + "'");
            }
        }
        return l;
    }

    // ------------------------------------------------------------------ the run

    private int bench(Path model, Path dir, Path json, Pattern only, List<Integer> sizes, Settings settings, boolean full,
                      String jvm) throws IOException, ModelException, CompiledModel.CompileException, ReflectiveOperationException {
        long t0 = System.nanoTime();
        ModelSas.Loaded loaded = ModelGenerator.load(model);
        if (loaded.hasErrors()) {
            throw new ModelException(loaded.errors());
        }
        Model root = loaded.models().get(loaded.models().size() - 1);
        Map<String, String> sources = new ModelGenerator().generate(loaded, model, ModelGenerator.placeholderEnvironment(loaded.models()));
        Files.createDirectories(dir);
        String pkg = EsplineGenerator.javaPackage(root);
        String prefix = pkg.isEmpty() ? "" : pkg + ".";
        List<Row> rows;
        Path classes;
        try (CompiledModel code = CompiledModel.compile(sources, dir.resolve("generated"))) {
            classes = code.classes();
            PolicyLookup spd = (PolicyLookup) code.constant(prefix + names.policiesClassName(root), "SPD");
            rows = plan(root, prefix, sources, spd, model, only, sizes, settings, full);
        }
        if (rows.isEmpty()) {
            err.println("espline: nothing to benchmark: no pipeline" + (only != null ? " matching " + only : "")
                    + " with traffic a protect policy of " + model.getFileName() + " covers (IPv4)");
            return 2;
        }
        Map<String, Row> baselines = new LinkedHashMap<>();
        for (Row r : rows) {
            baselines.putIfAbsent(r.baselineKey(), r);
        }
        int total = rows.size() + baselines.size();
        out.printf(Locale.ROOT, "espline bench %s: %d pipeline rows + %d baselines, %s settings (%d fork%s, %d x %d ms warmup, "
                        + "%d x %d ms measurement); generated and compiled in %.1f s%n", model.getFileName(), rows.size(),
                baselines.size(), settings.name, settings.forks, settings.forks == 1 ? "" : "s", settings.warmups, settings.warmupMillis, settings.iterations,
                settings.iterationMillis, (System.nanoTime() - t0) / 1e9);
        Path log = dir.resolve("jmh");
        Files.createDirectories(log);
        out.println("JMH's own output goes to " + log + "/N.log, one file per benchmark");

        String sasClass = prefix + names.saClassName(root);
        int[] n = {0};
        Map<String, Measured> baseResults = new LinkedHashMap<>();
        boolean failed = false;
        for (Map.Entry<String, Row> e : baselines.entrySet()) {
            Row r = e.getValue();
            String label = r.baselineKind() + (r.baselineKind().equals("arraycopy") ? "" : " " + r.cipher) + " " + shape(r);
            Measured m = measure(++n[0], total, label, "", "baseline", workload(r, sasClass) + ";baseline=" + r.baselineKind()
                    + ";cipher=" + r.cipher, dir, log, settings, jvm);
            if (m != null) {
                baseResults.put(e.getKey(), m);
            } else {
                failed = true; // its rows report no limit and no ratio
            }
        }
        List<Map<String, Object>> results = new ArrayList<>();
        List<String> table = new ArrayList<>();
        Set<String> notes = new LinkedHashSet<>();
        Map<String, Double> gbpsByKey = new LinkedHashMap<>();
        String forkJdk = null;
        for (Row r : rows) {
            String pipelineParam = r.interpreted ? "interpreted:" + r.pipeline : r.className;
            String workload = workload(r, sasClass) + ";model=" + model;
            Measured m = measure(++n[0], total, r.dir + " " + r.config() + " " + r.size + " B", r.interpreted ? "" : classes.toString(),
                    pipelineParam, workload, dir, log, settings, jvm);
            if (m == null) {
                failed = true;
                continue;
            }
            int packetsPerOp = Integer.parseInt(m.side.getProperty("packets_per_op", "1"));
            long innerBytes = innerBytesPerOp(r);
            double gbps = m.opsPerSecond * innerBytes * 8 / 1e9;
            double pps = m.opsPerSecond * packetsPerOp;
            Measured b = baseResults.get(r.baselineKey());
            double baseGbps = b == null ? Double.NaN : b.opsPerSecond * innerBytes * 8 / 1e9;
            double ratio = gbps / baseGbps;
            long esp = Long.parseLong(m.side.getProperty("esp_packets", "0"));
            long copies = Long.parseLong(m.side.getProperty("copies", "0")) + Long.parseLong(m.side.getProperty("linearisations", "0"));
            double copiesPerPacket = esp == 0 ? Double.NaN : (double) copies / esp;
            double allocPerPacket = m.allocPerOp / packetsPerOp;
            forkJdk = m.side.getProperty("jdk", forkJdk);
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("pipeline", r.dir);
            res.put("config", r.config());
            res.put("payload_bytes", r.size);
            res.put("gbps", gbps);
            res.put("pps", pps);
            res.put("baseline", r.baselineKind());
            res.put("baseline_gbps", baseGbps);
            res.put("ratio", ratio);
            res.put("alloc_bytes_per_packet", allocPerPacket);
            res.put("copies_per_packet", copiesPerPacket);
            results.add(res);
            gbpsByKey.put(r.dir + "|" + r.config() + "|" + r.size, gbps);
            List<String> rowNotes = new ArrayList<>();
            if (r.engineInlineForNow) {
                rowNotes.add("inline until the engine lands");
                notes.add(r.engine + ": this release runs engine '" + r.engine + "' inline on the pipeline's thread; its rows "
                        + "measure the inline path until the asynchronous engine lands");
            }
            long ooo = Long.parseLong(m.side.getProperty("out_of_order", "0"));
            if (ooo > 0) {
                rowNotes.add(ooo + " packets out of order");
            }
            if (r.dir.equals("rx") && r.tcp()) {
                notes.add("rx rows of TCP writes: the sink verifies the TCP checksum of each packet it is handed, as the host "
                        + "behind the gateway would, except for packets GRO marked verified (it checks every segment it coalesces)");
            }
            String sideNote = m.side.getProperty("note", "");
            if (!sideNote.isEmpty()) {
                notes.add(sideNote.startsWith("rx:") ? "rx rows: the SAs are installed with the anti-replay window off, "
                        + "since the ring of pre-encrypted ESP packets (consecutive sequence numbers) repeats" : sideNote);
            }
            if (m.side.getProperty("error") != null) {
                rowNotes.add("ERROR " + m.side.getProperty("error"));
                failed = true;
            }
            table.add(String.format(Locale.ROOT, "%-5s %-44s %6d %8.2f %8.3f %-13s %8.2f %6.2f %8.1f %7.3f  %s", r.dir, r.config(),
                    r.size, gbps, pps / 1e6, r.baselineKind(), baseGbps, ratio, allocPerPacket, copiesPerPacket,
                    String.join("; ", rowNotes)));
        }

        List<Map<String, Object>> comparisons = comparisons(rows, gbpsByKey);
        out.println();
        out.printf("%-5s %-44s %6s %8s %8s %-13s %8s %6s %8s %7s  %s%n", "", "config", "size", "Gbit/s", "Mpps", "limit",
                "Gbit/s", "ratio", "B/pkt", "cp/pkt", "note");
        table.forEach(out::println);
        out.println("size: inner IPv4 packet (per-packet rows) or TCP write (gso/gro rows) in bytes; Gbit/s of inner IPv4 "
                + "packets; Mpps of ESP packets; limit: raw JCA seal/open or System.arraycopy of the same packet sizes, "
                + "with the same per-packet copy from the source; B/pkt: gc.alloc.rate.norm per ESP packet; cp/pkt: buffer "
                + "copies and linearisations per ESP packet");
        for (Map<String, Object> c : comparisons) {
            out.printf(Locale.ROOT, "%-46s %.2f%n", c.get("name"), (Double) c.get("ratio"));
        }
        notes.forEach(s -> out.println("note: " + s));
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("jdk", forkJdk != null ? forkJdk : Runtime.version().toString());
            doc.put("cpu", cpu());
            doc.put("results", results);
            doc.put("comparisons", comparisons);
            if (!notes.isEmpty()) {
                doc.put("notes", new ArrayList<>(notes));
            }
            if (json.toAbsolutePath().getParent() != null) {
                Files.createDirectories(json.toAbsolutePath().getParent());
            }
            Files.writeString(json, Json.write(doc));
            out.println("wrote " + json);
        }
        out.printf(Locale.ROOT, "in %.0f s%n", (System.nanoTime() - t0) / 1e9);
        return failed ? 1 : 0;
    }

    private static String shape(Row r) {
        return r.tcp() ? r.size + " B writes in " + r.mss + " B segments" : r.size + " B";
    }

    /** Inner IPv4 bytes one operation puts through ESP: the packet, or every segment GSO makes of the write. */
    static long innerBytesPerOp(Row r) {
        if (!r.tcp()) {
            return r.size;
        }
        int segments = (r.size + r.mss - 1) / r.mss;
        return r.size + 40L * segments;
    }

    private static String workload(Row r, String sasClass) {
        return "dir=" + r.dir + ";traffic=" + (r.tcp() ? "tcp" : "udp") + ";size=" + r.size + ";mss=" + r.mss + ";src=" + r.src
                + ";dst=" + r.dst + ";sas=" + sasClass + (r.peer != null ? (r.dir.equals("tx-rx") ? ";rx=" : ";peer=") + r.peer : "")
                + (r.dir.equals("tx") && r.tcp() && r.path.equals("per-packet") ? ";source=stack" : "");
    }

    /** One JMH run in a fork: null (after saying why) when it failed. */
    private Measured measure(int i, int total, String label, String classes, String pipeline, String workload, Path dir, Path log,
                             Settings s, String jvm) throws IOException {
        Path side = dir.resolve("side-" + i + ".properties");
        Path jmhLog = log.resolve(i + ".log");
        Files.deleteIfExists(side);
        err.printf(Locale.ROOT, "[%d/%d] %-60s ", i, total, label);
        err.flush();
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(Pattern.quote(PipelineBench.class.getName()) + "\\.run$")
                .param("classes", classes)
                .param("pipeline", pipeline)
                .param("workload", workload)
                .param("side", side.toString())
                .forks(s.forks)
                .warmupIterations(s.warmups)
                .warmupTime(TimeValue.milliseconds(s.warmupMillis))
                .measurementIterations(s.iterations)
                .measurementTime(TimeValue.milliseconds(s.iterationMillis))
                .addProfiler(GCProfiler.class)
                // The parallel collector, as a data plane is best run: G1's write barrier on every flyweight re-pointed at
                // a packet's array costs about 30 ns per packet (AES-GCM tx at 1400 B: 0.81 of raw JCA under G1, 0.85
                // here); the raw-JCA limits run under the same collector.
                .jvmArgsAppend("-Xms512m", "-Xmx1g", "-XX:+UseParallelGC")
                .shouldFailOnError(true)
                .output(jmhLog.toString());
        if (jvm != null) {
            o.jvm(jvm);
        }
        long t = System.nanoTime();
        try {
            Collection<RunResult> rr = runWaitingForTheLock(o);
            if (rr.isEmpty()) {
                throw new RunnerException("JMH ran nothing");
            }
            RunResult r = rr.iterator().next();
            double ops = r.getPrimaryResult().getScore();
            Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
            Properties p = new Properties();
            if (Files.exists(side)) {
                try (var in = Files.newBufferedReader(side)) {
                    p.load(in);
                }
            }
            err.printf(Locale.ROOT, "%10.0f ops/s  (%.0f s)%n", ops, (System.nanoTime() - t) / 1e9);
            return new Measured(ops, alloc == null ? Double.NaN : alloc.getScore(), p);
        } catch (RunnerException | RuntimeException e) {
            err.println("FAILED (see " + jmhLog + "): " + e.getMessage());
            return null;
        }
    }

    /**
     * JMH holds a machine-wide lock (/tmp/jmh.lock) while it runs, so two benchmark runs on one machine do not skew
     * each other: wait for another run to finish (up to an hour), unless --ignore-lock.
     */
    private Collection<RunResult> runWaitingForTheLock(ChainedOptionsBuilder o) throws RunnerException {
        long deadline = System.nanoTime() + 3_600_000_000_000L;
        boolean said = false;
        while (true) {
            try {
                return new Runner(o.build()).run();
            } catch (RunnerException e) {
                if (String.valueOf(e.getMessage()).contains("JMH lock") && System.nanoTime() < deadline) {
                    if (!said) {
                        err.print("(waiting: another JMH run holds /tmp/jmh.lock) ");
                        err.flush();
                        said = true;
                    }
                    try {
                        Thread.sleep(5000);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                } else {
                    throw e;
                }
            }
        }
    }

    // ------------------------------------------------------------------ what to run

    /** The model's pipelines in the model, with what the bench needs to know about each. */
    private record Info(Pipeline p, String className, String engine, boolean engineInlineForNow, int mss, boolean gro) {
    }

    private List<Row> plan(Model root, String prefix, Map<String, String> sources, PolicyLookup spd, Path model, Pattern only,
                           List<Integer> sizes, Settings settings, boolean full) {
        List<Info> infos = new ArrayList<>();
        for (var e : root.getElements()) {
            if (e instanceof Pipeline p) {
                int mss = 0;
                boolean gro = false;
                Engine engine = null;
                for (Stage s : p.getStages()) {
                    if (s instanceof GsoStage g) {
                        mss = g.getMss();
                    } else if (s instanceof GroStage) {
                        gro = true;
                    } else if (s instanceof EncryptStage en && en.getCrypto() instanceof EngineRef ref) {
                        engine = ref.getEngine();
                    } else if (s instanceof DecryptStage de && de.getCrypto() instanceof EngineRef ref) {
                        engine = ref.getEngine();
                    }
                }
                String label = engine == null || engine.isInline() ? "inline"
                        : engine.getWorkers() > 0 ? "async-" + engine.getWorkers() : "async";
                String className = prefix + names.pipelineClassName(p);
                String source = sources.getOrDefault(className.replace('.', '/') + ".java", "");
                boolean inlineForNow = !label.equals("inline") && source.contains("runs it inline");
                infos.add(new Info(p, className, label, inlineForNow, mss, gro));
            }
        }
        // Ciphers: one IPv4 destination per protect policy, first policy per cipher.
        Map<String, InetAddress[]> traffic = new LinkedHashMap<>();
        for (Policy pol : spd.all()) {
            if (pol.action() != PolicyAction.PROTECT || pol.selector().isIpv6() || pol.sa() == null) {
                continue;
            }
            Selector s = pol.selector();
            InetAddress src = hostIn(s.sourceAddress(), s.sourcePrefix(), 10);
            InetAddress dst = hostIn(s.destinationAddress(), s.destinationPrefix(), 20);
            if (src != null && dst != null && (s.protocol() == 0 || s.protocol() == 17 || s.protocol() == 6)) {
                traffic.putIfAbsent(cipher(pol.sa().config()), new InetAddress[] {src, dst});
            }
        }
        List<Integer> packets = new ArrayList<>();
        List<Integer> writes = new ArrayList<>();
        List<Integer> chosen = sizes != null ? sizes
                : settings == Settings.FULL ? List.of(64, 512, 1400, 16_384, 64_000)
                : settings == Settings.QUICK ? List.of(1400, 64_000) : List.of(512, 16_384);
        for (int s : new TreeSet<>(chosen)) {
            (s < WRITE_THRESHOLD ? packets : writes).add(s);
        }
        int reference = packets.contains(1400) ? 1400 : packets.isEmpty() ? 0 : packets.get(packets.size() - 1);
        Info txPer = infos.stream().filter(i -> i.p.getKind() == PipelineKind.TX && i.mss == 0 && i.engine.equals("inline")).findFirst().orElse(null);
        Info txGso = infos.stream().filter(i -> i.p.getKind() == PipelineKind.TX && i.mss > 0 && i.engine.equals("inline")).findFirst().orElse(null);

        List<Row> rows = new ArrayList<>();
        for (Info i : infos) {
            if (only != null && !only.matcher(i.p.getName()).find()) {
                continue;
            }
            boolean tx = i.p.getKind() == PipelineKind.TX;
            boolean segmented = tx ? i.mss > 0 : i.gro;
            String path = !segmented ? "per-packet" : tx ? "gso" : "gro";
            // Writes go through the per-packet pipelines too (the same bytes as GSO/GRO, as MSS-sized packets: on tx
            // the source cuts them as a host stack without GSO does, on rx they are the GSO pipeline's ESP packets),
            // so the talk's comparison is made on the same bytes.
            boolean writesPerPacket = !segmented && i.engine.equals("inline") && txGso != null;
            for (Map.Entry<String, InetAddress[]> c : traffic.entrySet()) {
                String cipher = c.getKey();
                List<Integer> shapes = segmented ? writes : new ArrayList<>(packets);
                if (writesPerPacket && (cipher.equals("null") || cipher.equals(GCM128))) {
                    shapes.addAll(writes);
                }
                for (int size : shapes) {
                    boolean write = size >= WRITE_THRESHOLD;
                    Info peer = tx ? null : write ? txGso : txPer;
                    if (!tx && peer == null) {
                        continue; // nothing in the model makes its ESP packets
                    }
                    int mss = write ? txGso.mss : 0;
                    boolean inline = i.engine.equals("inline");
                    if (!full && !inline && !(cipher.equals(GCM128) && size == reference && !segmented)) {
                        continue; // engines are compared on AES-128-GCM at 1400 bytes unless --full-matrix
                    }
                    if (!full && settings != Settings.FULL && segmented && !cipher.equals("null") && !cipher.equals(GCM128)) {
                        continue; // quick: GSO/GRO with the null cipher (the talk's stack-only case) and AES-128-GCM
                    }
                    rows.add(new Row(tx ? "tx" : "rx", path, i.engine, cipher, size, i.p.getName(), i.className,
                            peer == null ? null : peer.className, false, c.getValue()[0].getHostAddress(),
                            c.getValue()[1].getHostAddress(), mss, i.engineInlineForNow));
                }
            }
        }
        // tx -> rx end to end: the per-packet inline pipelines back to back over an in-memory wire, null and AES-128-GCM.
        Info rxPer = infos.stream().filter(i -> i.p.getKind() == PipelineKind.RX && !i.gro && i.engine.equals("inline")).findFirst().orElse(null);
        if (txPer != null && rxPer != null && (only == null || only.matcher(txPer.p.getName()).find() || only.matcher(rxPer.p.getName()).find())) {
            for (Map.Entry<String, InetAddress[]> c : traffic.entrySet()) {
                if (!c.getKey().equals("null") && !c.getKey().equals(GCM128) && !full) {
                    continue;
                }
                if (c.getKey().equals("chacha20-poly1305")) {
                    continue; // JDK 17's ChaCha20 will not open with the nonce it just sealed with: no baseline
                }
                for (int size : packets) {
                    rows.add(new Row("tx-rx", "per-packet", "inline", c.getKey(), size, txPer.p.getName() + "+" + rxPer.p.getName(),
                            txPer.className, rxPer.className, false, c.getValue()[0].getHostAddress(),
                            c.getValue()[1].getHostAddress(), 0, false));
                }
            }
        }
        // generated versus interpreted: the per-packet tx pipeline with AES-128-GCM at 1400 bytes, interpreted too.
        for (Row r : List.copyOf(rows)) {
            if (r.dir.equals("tx") && r.path.equals("per-packet") && r.engine.equals("inline")
                    && r.cipher.equals(GCM128) && r.size == 1400 && txPer != null && r.pipeline.equals(txPer.p.getName())) {
                rows.add(new Row(r.dir, r.path, r.engine, r.cipher, r.size, r.pipeline, r.className, null, true, r.src, r.dst,
                        r.mss, false));
            }
        }
        return rows;
    }

    static String cipher(SaConfig c) {
        EncryptionAlgorithm e = c.encryption();
        int keyBits = (c.encryptionKey().length() - e.saltLength()) * 8;
        String base = switch (e) {
            case NULL -> "null";
            case AES_GCM -> "aes-" + keyBits + "-gcm";
            case AES_CCM -> "aes-" + keyBits + "-ccm";
            case AES_GMAC -> "aes-" + keyBits + "-gmac";
            case CHACHA20_POLY1305 -> "chacha20-poly1305";
            case AES_CBC -> "aes-" + keyBits + "-cbc";
            default -> e.name().toLowerCase(Locale.ROOT);
        };
        if (c.integrity() != null && c.integrity() != IntegrityAlgorithm.NONE) {
            base += "-hmac-" + switch (c.integrity()) {
                case HMAC_SHA256_128 -> "sha-256";
                case HMAC_SHA384_192 -> "sha-384";
                case HMAC_SHA512_256 -> "sha-512";
                default -> "sha-1";
            };
        }
        return base;
    }

    /** Host number {@code host} inside an IPv4 prefix, or null when it does not fit. */
    private static InetAddress hostIn(InetAddress net, int prefix, int host) {
        byte[] a = net.getAddress();
        int free = a.length * 8 - prefix;
        if (free <= 0) {
            return net;
        }
        long h = free >= 24 ? ((long) host << 16) | host : host;
        if (free < 63 && h >= (1L << free)) {
            h = 1;
        }
        long v = 0;
        for (byte b : a) {
            v = v << 8 | (b & 0xFF);
        }
        v |= h;
        for (int i = a.length - 1; i >= 0; i--) {
            a[i] = (byte) v;
            v >>>= 8;
        }
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** The issue's four comparisons, each only when both of its rows were measured in this run. */
    private static List<Map<String, Object>> comparisons(List<Row> rows, Map<String, Double> gbps) {
        List<Map<String, Object>> l = new ArrayList<>();
        int maxWrite = rows.stream().filter(Row::tcp).mapToInt(Row::size).max().orElse(0);
        // On the same bytes: the largest write through GSO (GRO) and through the per-packet pipeline as MSS segments.
        compare(l, "gso-vs-per-packet/null/tx", gbps.get("tx|null/gso/inline|" + maxWrite), gbps.get("tx|null/per-packet/inline|" + maxWrite));
        compare(l, "gro-vs-per-packet/null/rx", gbps.get("rx|null/gro/inline|" + maxWrite), gbps.get("rx|null/per-packet/inline|" + maxWrite));
        compare(l, "async-2-vs-1/aes-128-gcm/1400", gbps.get("tx|aes-128-gcm/per-packet/async-2|1400"),
                gbps.get("tx|aes-128-gcm/per-packet/async-1|1400"));
        compare(l, "generated-vs-interpreted/aes-128-gcm/1400", gbps.get("tx|aes-128-gcm/per-packet/inline|1400"),
                gbps.get("tx|aes-128-gcm/per-packet/inline/interpreted|1400"));
        return l;
    }

    private static void compare(List<Map<String, Object>> l, String name, Double a, Double b) {
        if (a != null && b != null && b > 0) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("ratio", a / b);
            l.add(m);
        }
    }

    static String cpu() {
        String name = System.getProperty("os.arch");
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    name = line.substring(line.indexOf(':') + 1).strip();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // keep the architecture
        }
        return name + ", " + Runtime.getRuntime().availableProcessors() + " cores";
    }
}
