package org.espline.generator;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Generated sources compiled in this JVM and loaded, so the demo and the benchmarks run the very code a user's
 * build would compile. The classes see the runtime through this class's loader. Needs a JDK (javax.tools).
 */
public final class CompiledModel implements AutoCloseable {
    /** The options the generated code must pass: it compiles without a single warning. */
    public static final List<String> JAVAC_OPTIONS = List.of("-Xlint:all", "-Werror", "--release", "17");

    private final URLClassLoader loader;
    private final Path classes;

    private CompiledModel(URLClassLoader loader, Path classes) {
        this.loader = loader;
        this.classes = classes;
    }

    /**
     * Writes {@code sources} (relative path to text) under {@code dir}/src, compiles them into {@code dir}/classes
     * against this JVM's class path, and loads them.
     *
     * @throws CompileException with javac's diagnostics when compilation fails or no compiler is present
     */
    public static CompiledModel compile(Map<String, String> sources, Path dir) throws IOException, CompileException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new CompileException("no Java compiler in this runtime (" + System.getProperty("java.home")
                    + "): run espline with a JDK, not a JRE");
        }
        Path src = dir.resolve("src");
        Path classes = dir.resolve("classes");
        Files.createDirectories(classes);
        List<File> files = new ArrayList<>();
        for (Map.Entry<String, String> f : sources.entrySet()) {
            Path p = src.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, f.getValue(), StandardCharsets.UTF_8);
            files.add(p.toFile());
        }
        StringWriter diagnostics = new StringWriter();
        List<String> options = new ArrayList<>(JAVAC_OPTIONS);
        options.addAll(List.of("-cp", System.getProperty("java.class.path"), "-d", classes.toString()));
        try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            Iterable<? extends JavaFileObject> units = fm.getJavaFileObjectsFromFiles(files);
            if (!javac.getTask(diagnostics, fm, null, options, null, units).call()) {
                throw new CompileException("generated code did not compile:\n" + diagnostics);
            }
        }
        URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, CompiledModel.class.getClassLoader());
        return new CompiledModel(loader, classes);
    }

    public Class<?> load(String className) throws ClassNotFoundException {
        return loader.loadClass(className);
    }

    /** The value of a public static field of a generated class. */
    public Object constant(String className, String field) throws ReflectiveOperationException {
        return load(className).getField(field).get(null);
    }

    public Path classes() { return classes; }

    @Override
    public void close() throws IOException {
        loader.close();
    }

    /** Generated code that did not compile, or no compiler to compile it with. */
    public static final class CompileException extends Exception {
        private static final long serialVersionUID = 1L;

        public CompileException(String message) {
            super(message);
        }
    }
}
