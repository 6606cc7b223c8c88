package org.espline.runtime.config;

import java.util.List;

/**
 * One logical line: physical lines joined by {@code \} continuations, comments removed.
 * {@code indented} tells whether the first physical line began with a blank, which is how an
 * {@code ip xfrm state} listing marks the lines that continue an SA. {@code broken} lines had a
 * lexical error (already reported) and are not parsed further.
 */
record XfrmLine(List<XfrmToken> tokens, boolean indented, boolean broken) {

    XfrmToken first() {
        return tokens.get(0);
    }
}
