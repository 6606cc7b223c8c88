package org.espline.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.espline.dsl.runtime.ModelProblem;
import org.espline.generator.Generation;

/**
 * {@code espline generate MODEL|DIR... -o DIR}: validates each model, then writes its generated Java sources under
 * DIR (package directories included) and prints each file written ({@code wrote}) or already up to date
 * ({@code unchanged}: not rewritten). A directory stands for its {@code .espl} files, searched recursively; among
 * those, a model without {@code package} (shared elements that other models import) is validated and skipped, while
 * a model named on its own must have a package. Problems print as {@code file:line:col: severity: message}.
 * Exit 0 (generated), 1 (a model has errors), 2 (unusable arguments or output directory).
 */
final class GenerateCommand {
    static final String USAGE = "usage: espline generate MODEL.espl|DIR... -o DIR";

    private final PrintStream out;
    private final PrintStream err;

    GenerateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(List<String> args) {
        Map<Path, Boolean> models = new LinkedHashMap<>(); // model -> named on its own (package required)
        Path dir = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if ((a.equals("-o") || a.equals("--out")) && i + 1 < args.size()) {
                dir = Path.of(args.get(++i));
            } else if (a.startsWith("-")) {
                err.println("espline: unknown option " + a + "\n" + USAGE);
                return 2;
            } else if (Files.isDirectory(Path.of(a))) {
                try (Stream<Path> files = Files.walk(Path.of(a))) {
                    files.filter(f -> f.getFileName().toString().endsWith(".espl") && Files.isRegularFile(f)).sorted()
                            .forEach(f -> models.putIfAbsent(f, false));
                } catch (IOException | UncheckedIOException e) {
                    err.println("espline: cannot read " + a + ": " + e.getMessage());
                    return 2;
                }
            } else if (!Files.isRegularFile(Path.of(a))) {
                err.println("espline: no such file: " + a);
                return 2;
            } else {
                models.put(Path.of(a), true);
            }
        }
        if (models.isEmpty() || dir == null) {
            err.println(USAGE);
            return 2;
        }
        Generation generation = new Generation(dir, null);
        int printed = 0;
        try {
            for (Map.Entry<Path, Boolean> m : models.entrySet()) {
                Generation.ModelResult r = generation.generate(m.getKey(), m.getValue());
                List<ModelProblem> problems = generation.problems();
                problems.subList(printed, problems.size()).forEach(err::println);
                printed = problems.size();
                switch (r.outcome()) {
                    case NO_PACKAGE -> out.println("skipped " + r.model() + ": no package (a model for others to import)");
                    case FAILED -> { }
                    default -> r.files().forEach(f -> out.println((r.written().contains(f) ? "wrote " : "unchanged ") + f));
                }
            }
        } catch (UncheckedIOException e) {
            err.println("espline: " + e.getMessage());
            return 2;
        }
        return generation.hasErrors() ? 1 : 0;
    }
}
