package org.espline.generator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.eclipse.emf.ecore.resource.Resource;
import org.espline.dsl.espline.Model;
import org.espline.dsl.runtime.ModelException;
import org.espline.dsl.runtime.ModelProblem;
import org.espline.dsl.runtime.ModelSas;

/**
 * One generation run over several models into one output directory, shared by {@code espline generate} and the
 * Maven plugin. Each model is loaded and validated on its own (an imported file is validated with every model that
 * imports it); a model with errors writes nothing and its problems are collected as {@code file:line:col} lines.
 * Generation is deterministic, so a file whose content would not change is not rewritten (its timestamp stays, and
 * incremental compilers see nothing new).
 *
 * <p>With a stamp directory, each model gets a stamp: the SHA-256 of the model, of every file it imports and of each
 * file it generated, plus a fingerprint of the generator's classes. A model whose stamp still matches is not even
 * loaded. A model without {@code package} (one that only holds elements other models import) is validated and then
 * skipped, or reported as an error when the caller names it as something to generate.
 */
public final class Generation {

    /** What happened to one model. */
    public enum Outcome {
        /** Generated; at least one file was written. */
        WRITTEN,
        /** Generated; every file already had that content. */
        UNCHANGED,
        /** Its stamp matched: not loaded. */
        UP_TO_DATE,
        /** Valid, but no {@code package}: nothing to generate (a model other models import). */
        NO_PACKAGE,
        /** Errors: nothing written. */
        FAILED
    }

    /** One model's outcome; {@code written} are the files written now, {@code files} all the files it generates. */
    public record ModelResult(Path model, Outcome outcome, List<Path> written, List<Path> files) {
    }

    private static final String STAMP_VERSION = "espline-stamp 1";

    private final Path outputDirectory;
    private final Path stampDirectory;
    private final List<ModelProblem> problems = new ArrayList<>();
    private final Map<String, Path> owners = new LinkedHashMap<>();

    /**
     * @param outputDirectory where the sources go (package directories below it)
     * @param stampDirectory where the per-model stamps go; null to load and generate every model every time
     */
    public Generation(Path outputDirectory, Path stampDirectory) {
        this.outputDirectory = outputDirectory;
        this.stampDirectory = stampDirectory;
    }

    /** Every problem so far, errors and warnings, in the order found, each once. */
    public List<ModelProblem> problems() {
        return List.copyOf(problems);
    }

    public boolean hasErrors() {
        return problems.stream().anyMatch(ModelProblem::isError);
    }

    /**
     * Generates one model.
     *
     * @param packageRequired true: a model without {@code package} is an error; false: it is skipped
     * @throws UncheckedIOException when the output or stamp cannot be written
     */
    public ModelResult generate(Path model, boolean packageRequired) {
        Path stamp = stampDirectory == null ? null : stampFile(model);
        Stamp old = stamp == null ? null : Stamp.read(stamp);
        if (old != null && old.isCurrent(outputDirectory) && (!old.noPackage || !packageRequired)) {
            if (!claim(model, old.outputs.keySet())) {
                return failed(model, stamp);
            }
            List<Path> files = old.outputs.keySet().stream().map(outputDirectory::resolve).toList();
            return new ModelResult(model, Outcome.UP_TO_DATE, List.of(), files);
        }
        ModelSas.Loaded loaded = ModelGenerator.load(model);
        report(loaded.problems());
        if (loaded.hasErrors() || loaded.models().isEmpty()) {
            return failed(model, stamp);
        }
        List<Model> models = loaded.models();
        Map<Path, String> inputs = inputs(models);
        if (models.get(models.size() - 1).getName() == null) {
            if (packageRequired) {
                problems.add(new ModelProblem(model.toString(), 1, 1, ModelProblem.Severity.ERROR,
                        "the model has no 'package NAME': generated code needs a Java package"));
                return failed(model, stamp);
            }
            deleteOutputs(old, Set.of());
            writeStamp(stamp, new Stamp(fingerprint(), inputs, Map.of(), true));
            return new ModelResult(model, Outcome.NO_PACKAGE, List.of(), List.of());
        }
        Map<String, String> sources;
        try {
            sources = new ModelGenerator().generate(loaded, model, ModelGenerator.placeholderEnvironment(models));
        } catch (ModelException e) {
            report(e.problems());
            return failed(model, stamp);
        } catch (IllegalArgumentException e) {
            problems.add(new ModelProblem(model.toString(), 1, 1, ModelProblem.Severity.ERROR, e.getMessage()));
            return failed(model, stamp);
        } catch (IOException e) {
            problems.add(new ModelProblem(model.toString(), 1, 1, ModelProblem.Severity.ERROR, "cannot read the model: " + e.getMessage()));
            return failed(model, stamp);
        }
        if (!claim(model, sources.keySet())) {
            return failed(model, stamp);
        }
        List<Path> written = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        Map<String, String> outputs = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> f : sources.entrySet()) {
                Path target = outputDirectory.resolve(f.getKey());
                byte[] bytes = f.getValue().getBytes(StandardCharsets.UTF_8);
                files.add(target);
                outputs.put(f.getKey(), sha256(bytes));
                if (Files.isRegularFile(target) && Arrays.equals(Files.readAllBytes(target), bytes)) {
                    continue;
                }
                Files.createDirectories(target.getParent());
                Files.write(target, bytes);
                written.add(target);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + outputDirectory + ": " + e.getMessage(), e);
        }
        deleteOutputs(old, outputs.keySet());
        writeStamp(stamp, new Stamp(fingerprint(), inputs, outputs, false));
        return new ModelResult(model, written.isEmpty() ? Outcome.UNCHANGED : Outcome.WRITTEN, written, files);
    }

    /**
     * Deletes the outputs and stamps of models that had a stamp but are not among {@code models} any more (a model
     * removed from the sources). Only with a stamp directory.
     *
     * @return the generated files deleted
     */
    public List<Path> removeStale(List<Path> models) {
        List<Path> deleted = new ArrayList<>();
        if (stampDirectory == null || !Files.isDirectory(stampDirectory)) {
            return deleted;
        }
        Set<Path> current = new LinkedHashSet<>();
        for (Path m : models) {
            current.add(stampFile(m));
        }
        try (var stamps = Files.list(stampDirectory)) {
            for (Path s : stamps.filter(p -> p.getFileName().toString().endsWith(".stamp")).sorted().toList()) {
                if (current.contains(s)) {
                    continue;
                }
                Stamp old = Stamp.read(s);
                if (old != null) {
                    for (String rel : old.outputs.keySet()) {
                        Path f = outputDirectory.resolve(rel);
                        if (Files.deleteIfExists(f)) {
                            deleted.add(f);
                        }
                    }
                }
                Files.deleteIfExists(s);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + stampDirectory + ": " + e.getMessage(), e);
        }
        return deleted;
    }

    /** A file imported by several models is validated with each: its problems are reported once. */
    private void report(List<ModelProblem> found) {
        for (ModelProblem p : found) {
            if (!problems.contains(p)) {
                problems.add(p);
            }
        }
    }

    /** Two models of one run must not generate the same file (same package and names). */
    private boolean claim(Path model, Set<String> relativePaths) {
        for (String rel : relativePaths) {
            Path owner = owners.get(rel);
            if (owner != null && !owner.equals(model)) {
                problems.add(new ModelProblem(model.toString(), 1, 1, ModelProblem.Severity.ERROR,
                        "generates " + rel + ", which " + owner + " generates too: give the models different packages"));
                return false;
            }
        }
        for (String rel : relativePaths) {
            owners.put(rel, model);
        }
        return true;
    }

    private ModelResult failed(Path model, Path stamp) {
        if (stamp != null) {
            try {
                Files.deleteIfExists(stamp);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new ModelResult(model, Outcome.FAILED, List.of(), List.of());
    }

    /** Files a previous run generated for this model that this run no longer generates. */
    private void deleteOutputs(Stamp old, Set<String> keep) {
        if (old == null) {
            return;
        }
        try {
            for (String rel : old.outputs.keySet()) {
                if (!keep.contains(rel)) {
                    Files.deleteIfExists(outputDirectory.resolve(rel));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<Path, String> inputs(List<Model> models) {
        Map<Path, String> inputs = new LinkedHashMap<>();
        for (Model m : models) {
            Resource r = m.eResource();
            if (r != null && r.getURI().isFile()) {
                Path p = Path.of(r.getURI().toFileString());
                try {
                    inputs.put(p, sha256(Files.readAllBytes(p)));
                } catch (IOException e) {
                    inputs.put(p, "unreadable");
                }
            }
        }
        return inputs;
    }

    private Path stampFile(Path model) {
        Path abs = model.toAbsolutePath().normalize();
        String name = abs.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
        return stampDirectory.resolve(name + "-" + sha256(abs.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 12) + ".stamp");
    }

    private static void writeStamp(Path stamp, Stamp s) {
        if (stamp == null) {
            return;
        }
        try {
            Files.createDirectories(stamp.getParent());
            Files.writeString(stamp, s.format(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + stamp + ": " + e.getMessage(), e);
        }
    }

    private static String fingerprintCache;

    /** The generator's code: a new template (or model loader) makes every stamp stale. */
    static synchronized String fingerprint() {
        if (fingerprintCache == null) {
            MessageDigest md = digest();
            for (Class<?> c : List.of(EsplineGenerator.class, EsplineGenerator.Input.class, ModelGenerator.class, ModelSas.class)) {
                String resource = c.getName().substring(c.getName().lastIndexOf('.') + 1) + ".class";
                try (InputStream in = c.getResourceAsStream(resource)) {
                    if (in != null) {
                        md.update(in.readAllBytes());
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            fingerprintCache = HexFormat.of().formatHex(md.digest());
        }
        return fingerprintCache;
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What a model's last successful run read and wrote. */
    private static final class Stamp {
        final String generator;
        final Map<Path, String> inputs;
        final Map<String, String> outputs;
        final boolean noPackage;

        Stamp(String generator, Map<Path, String> inputs, Map<String, String> outputs, boolean noPackage) {
            this.generator = generator;
            this.inputs = inputs;
            this.outputs = outputs;
            this.noPackage = noPackage;
        }

        boolean isCurrent(Path outputDirectory) {
            if (!generator.equals(fingerprint()) || inputs.isEmpty()) {
                return false;
            }
            try {
                for (Map.Entry<Path, String> in : inputs.entrySet()) {
                    if (!Files.isRegularFile(in.getKey()) || !sha256(Files.readAllBytes(in.getKey())).equals(in.getValue())) {
                        return false;
                    }
                }
                for (Map.Entry<String, String> out : outputs.entrySet()) {
                    Path f = outputDirectory.resolve(out.getKey());
                    if (!Files.isRegularFile(f) || !sha256(Files.readAllBytes(f)).equals(out.getValue())) {
                        return false;
                    }
                }
            } catch (IOException e) {
                return false;
            }
            return true;
        }

        String format() {
            StringBuilder sb = new StringBuilder(STAMP_VERSION).append('\n');
            sb.append("generator ").append(generator).append('\n');
            if (noPackage) {
                sb.append("no-package\n");
            }
            inputs.forEach((p, h) -> sb.append("input ").append(h).append(' ').append(p).append('\n'));
            outputs.forEach((p, h) -> sb.append("output ").append(h).append(' ').append(p).append('\n'));
            return sb.toString();
        }

        /** The stamp, or null when there is none or it cannot be read. */
        static Stamp read(Path file) {
            if (!Files.isRegularFile(file)) {
                return null;
            }
            try {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                if (lines.isEmpty() || !lines.get(0).equals(STAMP_VERSION)) {
                    return null;
                }
                String generator = null;
                boolean noPackage = false;
                Map<Path, String> inputs = new LinkedHashMap<>();
                Map<String, String> outputs = new LinkedHashMap<>();
                for (String line : lines.subList(1, lines.size())) {
                    String[] parts = line.split(" ", 3);
                    switch (parts[0]) {
                        case "generator" -> generator = parts[1];
                        case "no-package" -> noPackage = true;
                        case "input" -> inputs.put(Path.of(parts[2]), parts[1]);
                        case "output" -> outputs.put(parts[2], parts[1]);
                        default -> {
                            return null;
                        }
                    }
                }
                return generator == null ? null : new Stamp(generator, inputs, outputs, noPackage);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }
}
