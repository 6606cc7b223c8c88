package org.espline.runtime.port.linux;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * Network namespaces for tests: created with {@code ip netns add}, deleted (with everything in them) by
 * {@link #close()}. Needs root; without it the test is skipped with the reason, except under {@code CI=true},
 * where a skipped proof is a broken build.
 */
final class TestNamespaces implements AutoCloseable {
    private final List<String> names = new ArrayList<>();

    /** Skips (or fails under CI) unless this process is root and {@code ip} works. */
    static void requireRoot() {
        String why = null;
        if (!LibC.AVAILABLE) {
            why = LibC.UNAVAILABLE_REASON;
        } else if (!"0".equals(uid())) {
            why = "needs root (network namespaces, TUN devices); uid is " + uid();
        }
        if (why != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(why + " (CI=true: this proof must run)");
            }
            Assumptions.abort(why);
        }
    }

    private static String uid() {
        try {
            return new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /** A fresh namespace named {@code prefix}-PID with lo up. */
    String add(String prefix) {
        String name = prefix + "-" + ProcessHandle.current().pid();
        sh("ip", "netns", "del", name); // a leftover of a killed run
        run("ip", "netns", "add", name);
        names.add(name);
        run("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    /** Runs a command, failing the test with its output when it exits non-zero. */
    static String run(String... command) {
        Result r = exec(command);
        if (r.code != 0) {
            fail(String.join(" ", command) + " exited " + r.code + ": " + r.output);
        }
        return r.output;
    }

    /** Runs a command, ignoring failure. */
    static Result sh(String... command) {
        return exec(command);
    }

    record Result(int code, String output) {
    }

    private static Result exec(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    @Override
    public void close() {
        for (String n : names) {
            sh("ip", "netns", "del", n);
        }
        names.clear();
    }
}
