package org.espline.cli;

import java.io.InputStream;
import java.io.OutputStream;

import org.espline.dsl.ide.EsplineLanguageServer;

/**
 * {@code espline lsp}: the Xtext language server for {@code .espl} on stdin/stdout (see
 * {@link EsplineLanguageServer}). Returns 0 after the client's {@code shutdown} and {@code exit}, 1 when the
 * stream ends without them — never Xtext's {@code System.exit}.
 */
final class LspCommand {
    private LspCommand() {
    }

    static int run(InputStream in, OutputStream out) {
        return EsplineLanguageServer.serve(in, out);
    }
}
