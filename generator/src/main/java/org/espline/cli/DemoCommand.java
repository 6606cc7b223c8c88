package org.espline.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.espline.cli.demo.GatewayDemo;
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
    static final String USAGE = "usage: espline demo [TX_MODEL.espl [RX_MODEL.espl]] [--megabytes N] [--flows N] [--out DIR]";
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
        try {
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                switch (a) {
                    case "--out" -> dir = Path.of(value(args, ++i, a));
                    case "--megabytes" -> options.megabytes = positive(value(args, ++i, a), a);
                    case "--flows" -> options.tcpFlows = (int) positive(value(args, ++i, a), a);
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
        } catch (IllegalArgumentException e) {
            err.println("espline: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        try {
            Files.createDirectories(dir);
            if (models.isEmpty()) {
                Path bundled = dir.resolve("models");
                extractBundledModels(bundled);
                models.add(bundled.resolve("site-to-site-gw-a.espl"));
                models.add(bundled.resolve("site-to-site-gw-b.espl"));
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
