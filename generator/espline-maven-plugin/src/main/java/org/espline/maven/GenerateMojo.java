package org.espline.maven;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;
import org.espline.dsl.runtime.ModelProblem;
import org.espline.generator.Generation;

/**
 * Validates the {@code .espl} models under {@link #sourceDirectory} and generates their Java data planes into
 * {@link #outputDirectory}, which becomes a compile source root. A model whose stamp (its file, its imports, its
 * outputs and the generator) still matches is not loaded again, and a generated file whose content would not change
 * is not rewritten, so an unchanged model triggers no recompilation. Models without {@code package} (elements
 * that other models import) are validated and skipped. Errors fail the build with {@code file:line:col: message}
 * lines.
 */
@Mojo(name = "generate", defaultPhase = LifecyclePhase.GENERATE_SOURCES, threadSafe = true)
public class GenerateMojo extends AbstractMojo {
    /** Xtext's injector and EMF's registries are shared by the whole plugin realm: one generation at a time. */
    private static final Object LOCK = new Object();

    /** Where the models are. */
    @Parameter(property = "espline.sourceDirectory", defaultValue = "${project.basedir}/src/main/espline")
    File sourceDirectory;

    /** Ant-style patterns, relative to {@link #sourceDirectory}, of the models to generate. Default: every .espl file. */
    @Parameter
    List<String> includes;

    /** Ant-style patterns of models not to generate (they can still be imported). */
    @Parameter
    List<String> excludes;

    /** Where the generated Java sources go; added to the project's compile source roots. */
    @Parameter(property = "espline.outputDirectory", defaultValue = "${project.build.directory}/generated-sources/espline")
    File outputDirectory;

    /** One stamp per model: what it read and wrote last time, to skip unchanged models. */
    @Parameter(defaultValue = "${project.build.directory}/espline-stamps")
    File stampDirectory;

    /** Skip generation (the output directory is still added as a source root if it exists). */
    @Parameter(property = "espline.skip", defaultValue = "false")
    boolean skip;

    @Parameter(defaultValue = "${project}", readonly = true, required = true)
    MavenProject project;

    /** The last run's outcome per model (for tests). */
    List<Generation.ModelResult> results = List.of();

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("espline: generation skipped");
            addSourceRoot(Files.isDirectory(outputDirectory.toPath()));
            return;
        }
        Path sources = sourceDirectory.toPath();
        if (!Files.isDirectory(sources)) {
            getLog().info("espline: no models: " + sourceDirectory + " does not exist");
            return;
        }
        List<Path> models = models(sources);
        if (models.isEmpty()) {
            getLog().warn("espline: no models in " + sourceDirectory + " match " + patterns(includes, "**/*.espl"));
        }
        synchronized (LOCK) {
            run(models);
        }
        addSourceRoot(true);
    }

    private void run(List<Path> models) throws MojoExecutionException, MojoFailureException {
        Generation generation = new Generation(outputDirectory.toPath(), stampDirectory.toPath());
        List<Generation.ModelResult> done = new ArrayList<>();
        int written = 0;
        int upToDate = 0;
        try {
            for (Path model : models) {
                Generation.ModelResult r = generation.generate(model, false);
                done.add(r);
                written += r.written().size();
                switch (r.outcome()) {
                    case UP_TO_DATE -> upToDate++;
                    case NO_PACKAGE -> getLog().info("espline: " + model + " has no package (a model for others to import): not generated");
                    default -> r.written().forEach(f -> getLog().debug("espline: wrote " + f));
                }
            }
            if (!generation.hasErrors()) {
                for (Path f : generation.removeStale(models)) {
                    getLog().info("espline: deleted " + f + " (its model is gone)");
                }
            }
        } catch (UncheckedIOException e) {
            throw new MojoExecutionException("espline: " + e.getMessage(), e);
        } finally {
            results = List.copyOf(done);
        }
        List<String> errors = new ArrayList<>();
        for (ModelProblem p : generation.problems()) {
            if (p.isError()) {
                getLog().error(p.toString());
                errors.add(p.toString());
            } else {
                getLog().warn(p.toString());
            }
        }
        if (!errors.isEmpty()) {
            throw new MojoFailureException("espline: " + errors.size() + (errors.size() == 1 ? " error" : " errors")
                    + " in the models:\n" + String.join("\n", errors));
        }
        getLog().info("espline: " + models.size() + (models.size() == 1 ? " model" : " models") + " (" + upToDate
                + " up to date), " + written + " generated " + (written == 1 ? "file" : "files") + " written to " + outputDirectory);
    }

    private void addSourceRoot(boolean add) {
        if (add && project != null) {
            project.addCompileSourceRoot(outputDirectory.getPath());
        }
    }

    /** The models under the source directory that the includes take and the excludes leave, in path order. */
    private List<Path> models(Path sources) throws MojoExecutionException {
        List<Pattern> in = patterns(includes, "**/*.espl").stream().map(GenerateMojo::antPattern).toList();
        List<Pattern> out = patterns(excludes, null).stream().map(GenerateMojo::antPattern).toList();
        try (Stream<Path> files = Files.walk(sources)) {
            return files.filter(Files::isRegularFile).filter(f -> {
                String rel = sources.relativize(f).toString().replace(File.separatorChar, '/');
                return in.stream().anyMatch(p -> p.matcher(rel).matches()) && out.stream().noneMatch(p -> p.matcher(rel).matches());
            }).sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            throw new MojoExecutionException("espline: cannot read " + sources + ": " + e.getMessage(), e);
        }
    }

    private static List<String> patterns(List<String> configured, String fallback) {
        if (configured != null && !configured.isEmpty()) {
            return configured;
        }
        return fallback == null ? List.of() : List.of(fallback);
    }

    /** An Ant/Maven pattern: {@code **} any directories (also none), {@code *} and {@code ?} within one name. */
    static Pattern antPattern(String pattern) {
        String p = pattern.trim().replace('\\', '/');
        if (p.endsWith("/")) {
            p += "**";
        }
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '*' && i + 1 < p.length() && p.charAt(i + 1) == '*') {
                if (i + 2 < p.length() && p.charAt(i + 2) == '/') {
                    re.append("(?:.*/)?");
                    i += 2;
                } else {
                    re.append(".*");
                    i++;
                }
            } else if (c == '*') {
                re.append("[^/]*");
            } else if (c == '?') {
                re.append("[^/]");
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}
