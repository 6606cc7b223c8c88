package org.espline.cli.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The independent ESP implementations the interop tests run against, and how to run them.
 *
 * <ul>
 *   <li>scapy 2.5 through Debian's {@code /usr/bin/python3}: only the system interpreter imports
 *       Debian's {@code python3-scapy}; a pyenv {@code python3} earlier on PATH does not.
 *   <li>{@code tshark} (Wireshark 4.0) from PATH.
 * </ul>
 *
 * <p>A missing tool aborts the test with the reason on a developer's machine, and fails it when the
 * environment variable {@code CI} is {@code true}: there, a skipped interop proof is a broken build.
 *
 * <p>Not thread safe; the tests call it from one thread.
 */
final class ExternalTools {
    static final String INSTALL_HINT = "apt-get install -y python3-scapy tshark";
    static final long TIMEOUT_SECONDS = 600;

    private static final Path SYSTEM_PYTHON = Path.of("/usr/bin/python3");
    private static final String SCRIPT = "generator/src/test/python/esp_interop.py";

    private static Path scapyPython;
    private static Path tshark;

    private ExternalTools() {
    }

    /** {@code /usr/bin/python3}, after proving it imports scapy's IPsec layer and pyca cryptography. */
    static Path scapyPython() {
        if (scapyPython == null) {
            if (!Files.isExecutable(SYSTEM_PYTHON)) {
                missing(SYSTEM_PYTHON + " not found");
            }
            Result probe = run(List.of(SYSTEM_PYTHON.toString(), "-c",
                    "import scapy, scapy.layers.ipsec, cryptography.hazmat.primitives.ciphers.aead;"
                            + " print(scapy.VERSION)"), null, Map.of());
            if (probe.exitCode() != 0) {
                missing(SYSTEM_PYTHON + " cannot import scapy.layers.ipsec: " + lastLine(probe.stderr()));
            }
            scapyPython = SYSTEM_PYTHON;
        }
        return scapyPython;
    }

    /** The first executable {@code tshark} on PATH (then {@code /usr/bin}), after {@code tshark -v} ran. */
    static Path tshark() {
        if (tshark == null) {
            List<Path> candidates = new ArrayList<>();
            String path = System.getenv("PATH");
            if (path != null) {
                for (String dir : path.split(java.io.File.pathSeparator)) {
                    if (!dir.isEmpty()) {
                        candidates.add(Path.of(dir, "tshark"));
                    }
                }
            }
            candidates.add(Path.of("/usr/bin/tshark"));
            Path found = candidates.stream().filter(Files::isExecutable).findFirst().orElse(null);
            if (found == null) {
                missing("tshark not found on PATH");
            }
            Result probe = run(List.of(found.toString(), "-v"), null, Map.of());
            if (probe.exitCode() != 0) {
                missing(found + " -v exited " + probe.exitCode() + ": " + lastLine(probe.stderr()));
            }
            tshark = found;
        }
        return tshark;
    }

    /**
     * The harness script: under {@code espline.repo.root} (set by surefire), else found by walking up
     * from the working directory. Its absence is a broken checkout, so this fails rather than aborts.
     */
    static Path interopScript() {
        String root = System.getProperty("espline.repo.root");
        if (root != null && !root.isBlank() && Files.isRegularFile(Path.of(root, SCRIPT))) {
            return Path.of(root, SCRIPT);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(SCRIPT))) {
                return dir.resolve(SCRIPT);
            }
        }
        return fail("cannot find " + SCRIPT + " (espline.repo.root=" + root + ", working directory "
                + Path.of("").toAbsolutePath() + ")");
    }

    /**
     * Where a test class keeps its generated files: under {@code tempDir} (deleted afterwards), or
     * under the directory named by system property {@code espline.interop.dir} when set, so the pcaps
     * of a failing cell can be opened after the run.
     */
    static Path workDir(Path tempDir, String name) {
        String keep = System.getProperty("espline.interop.dir");
        Path dir = keep == null || keep.isBlank() ? tempDir.resolve(name) : Path.of(keep, name);
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Aborts (developer machine) or fails (CI=true) naming what is missing and how to install it. */
    static void missing(String what) {
        String message = what + ". The ESP interop tests need scapy 2.5 under /usr/bin/python3 and tshark: "
                + INSTALL_HINT;
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(message);
        }
        Assumptions.abort(message);
    }

    /** Exit code and both output streams of a finished process. */
    record Result(int exitCode, String stdout, String stderr) {
        String describe() {
            return "exit " + exitCode + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
        }
    }

    /** Runs {@code command} to completion (output to temporary files, so no pipe can fill up). */
    static Result run(List<String> command, Path workDir, Map<String, String> extraEnv) {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("espline-interop", ".out");
            err = Files.createTempFile("espline-interop", ".err");
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            if (workDir != null) {
                builder.directory(workDir.toFile());
            }
            builder.environment().putAll(extraEnv);
            Process process = builder.start();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return fail(String.join(" ", command) + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while running " + String.join(" ", command));
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a leftover temporary file is harmless
            }
        }
    }

    /** A Python traceback's last line names the error; tshark's only line is its message. */
    private static String lastLine(String text) {
        String trimmed = text.strip();
        return trimmed.substring(trimmed.lastIndexOf('\n') + 1);
    }
}
