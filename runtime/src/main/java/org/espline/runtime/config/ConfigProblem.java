package org.espline.runtime.config;

import java.io.Serializable;
import java.util.Objects;

/**
 * One error in a configuration file: the file, the 1-based line and column of the offending token,
 * an issue code for tools and tests ({@link XfrmIssueCodes}) and a message for people.
 *
 * <p>Columns count characters from 1; a tab counts as one column. Messages never contain key material.
 */
public record ConfigProblem(String file, int line, int column, String code, String message) implements Serializable {

    public ConfigProblem {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
        if (line < 1 || column < 1) {
            throw new IllegalArgumentException("position must be 1-based: line=" + line + " column=" + column);
        }
    }

    /** {@code file:line:col: message}, the form compilers print, so editors and CI logs can jump to it. */
    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + message;
    }
}
