package org.espline.dsl.runtime;

import java.util.Objects;

/**
 * One problem of a model: the file as the user named it (or relative to the working directory for an imported
 * file), the 1-based line and column, the severity and a message. Printed the way compilers print, so editors and
 * CI logs can jump to it.
 */
public record ModelProblem(String file, int line, int column, Severity severity, String message) {

    /** Errors make a model unusable; warnings do not. */
    public enum Severity {
        ERROR, WARNING;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public ModelProblem {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(message, "message");
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** {@code file:line:col: error|warning: message}. */
    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + severity + ": " + message;
    }
}
