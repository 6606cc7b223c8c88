package org.espline.runtime.config;

import java.util.List;

/**
 * A configuration file could not be used. Carries every problem found (not only the first), in file
 * order; the message lists them one per line as {@code file:line:col: message}.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final List<ConfigProblem> problems;

    public ConfigException(List<ConfigProblem> problems) {
        super(joinOnePerLine(problems));
        this.problems = List.copyOf(problems);
    }

    /** All problems, in the order they occur in the file; never empty. */
    public List<ConfigProblem> problems() {
        return problems;
    }

    private static String joinOnePerLine(List<ConfigProblem> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        StringBuilder sb = new StringBuilder();
        for (ConfigProblem p : problems) {
            if (sb.length() > 0) {
                sb.append('\n');
            }
            sb.append(p);
        }
        return sb.toString();
    }
}
