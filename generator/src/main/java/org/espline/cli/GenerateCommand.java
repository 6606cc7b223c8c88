package org.espline.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.espline.dsl.runtime.ModelException;
import org.espline.dsl.runtime.ModelProblem;
import org.espline.dsl.runtime.ModelSas;
import org.espline.generator.ModelGenerator;

/**
 * {@code espline generate MODEL... -o DIR}: validates each model, then writes its generated Java sources under
 * DIR (package directories included) and prints each file written. Exit 0 (written), 1 (a model has errors),
 * 2 (unusable arguments).
 */
final class GenerateCommand {
    static final String USAGE = "usage: espline generate MODEL.espl... -o DIR";

    private final PrintStream out;
    private final PrintStream err;

    GenerateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(List<String> args) {
        List<Path> models = new ArrayList<>();
        Path dir = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if ((a.equals("-o") || a.equals("--out")) && i + 1 < args.size()) {
                dir = Path.of(args.get(++i));
            } else if (a.startsWith("-")) {
                err.println("espline: unknown option " + a + "\n" + USAGE);
                return 2;
            } else if (!Files.isRegularFile(Path.of(a))) {
                err.println("espline: no such file: " + a);
                return 2;
            } else {
                models.add(Path.of(a));
            }
        }
        if (models.isEmpty() || dir == null) {
            err.println(USAGE);
            return 2;
        }
        int status = 0;
        for (Path model : models) {
            status = Math.max(status, generate(model, dir));
        }
        return status;
    }

    private int generate(Path model, Path dir) {
        ModelSas.Loaded loaded = ModelGenerator.load(model);
        for (ModelProblem p : loaded.problems()) {
            err.println(p);
        }
        if (loaded.hasErrors()) {
            return 1;
        }
        try {
            Map<String, String> files = new ModelGenerator().generate(loaded, model,
                    ModelGenerator.placeholderEnvironment(loaded.models()));
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path target = dir.resolve(f.getKey());
                Files.createDirectories(target.getParent());
                Files.writeString(target, f.getValue(), StandardCharsets.UTF_8);
                out.println("wrote " + target);
            }
            return 0;
        } catch (ModelException e) {
            for (ModelProblem p : e.problems()) {
                err.println(p);
            }
            return 1;
        } catch (IllegalArgumentException e) {
            err.println(model + ": " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("espline: cannot write " + dir + ": " + e.getMessage());
            return 2;
        }
    }
}
