package org.espline.runtime.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits text into words the way a POSIX shell would for an {@code ip} command line: blanks separate
 * words; {@code '...'} is literal; {@code "..."} honours {@code \" \\ \$ \`}; a backslash outside quotes
 * escapes the next character; backslash-newline continues the line; {@code #} at the start of a word
 * comments out the rest of the physical line. Empty quotes give an empty word (an empty key).
 *
 * <p>Not thread-safe; one instance per text.
 */
final class XfrmTokenizer {
    private final String text;
    private final String file;
    private final List<ConfigProblem> problems;

    private int pos;
    private int line = 1;
    private int column = 1;
    /** Offset of the first character of each physical line; index 0 is line 1. */
    private final List<Integer> lineStarts = new ArrayList<>(List.of(0));

    private final List<XfrmLine> lines = new ArrayList<>();
    private List<XfrmToken> words = new ArrayList<>();
    private boolean broken;
    private StringBuilder word;
    private int wordLine;
    private int wordColumn;
    private boolean wordQuoted;

    XfrmTokenizer(String text, String file, List<ConfigProblem> problems) {
        this.text = text;
        this.file = file;
        this.problems = problems;
    }

    List<XfrmLine> tokenize() {
        final int n = text.length();
        while (pos < n) {
            char c = text.charAt(pos);
            if (c == '\n') {
                endWord();
                endLine();
                advance();
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
                endWord();
                advance();
            } else if (c == '#' && word == null) {
                skipComment();
            } else if (c == '\\') {
                backslash();
            } else if (c == '\'') {
                singleQuoted();
            } else if (c == '"') {
                doubleQuoted();
            } else {
                startWord();
                word.append(c);
                advance();
            }
        }
        endWord();
        endLine();
        return lines;
    }

    private void skipComment() {
        while (pos < text.length() && text.charAt(pos) != '\n') {
            advance();
        }
    }

    private void backslash() {
        if (continuesLine(pos + 1)) {
            skipContinuation();
            return;
        }
        advance();
        if (pos < text.length()) {
            startWord();
            word.append(text.charAt(pos));
            advance();
        }
    }

    /** A backslash at {@code at - 1} followed by a newline (LF or CRLF) joins two physical lines. */
    private boolean continuesLine(int at) {
        return at < text.length() && (text.charAt(at) == '\n'
                || (text.charAt(at) == '\r' && at + 1 < text.length() && text.charAt(at + 1) == '\n'));
    }

    private void skipContinuation() {
        advance(); // the backslash
        if (text.charAt(pos) == '\r') {
            advance();
        }
        advance(); // the newline
    }

    private void singleQuoted() {
        startWord();
        wordQuoted = true;
        int quoteLine = line;
        int quoteColumn = column;
        advance();
        while (pos < text.length() && text.charAt(pos) != '\'') {
            if (text.charAt(pos) == '\n') {
                unterminated('\'', quoteLine, quoteColumn);
                return;
            }
            word.append(text.charAt(pos));
            advance();
        }
        if (pos >= text.length()) {
            unterminated('\'', quoteLine, quoteColumn);
            return;
        }
        advance();
    }

    private void doubleQuoted() {
        startWord();
        wordQuoted = true;
        int quoteLine = line;
        int quoteColumn = column;
        advance();
        while (pos < text.length() && text.charAt(pos) != '"') {
            char c = text.charAt(pos);
            if (c == '\n') {
                unterminated('"', quoteLine, quoteColumn);
                return;
            }
            if (c == '\\' && continuesLine(pos + 1)) {
                skipContinuation();
                continue;
            }
            if (c == '\\' && pos + 1 < text.length() && "\"\\$`".indexOf(text.charAt(pos + 1)) >= 0) {
                advance();
                c = text.charAt(pos);
            }
            word.append(c);
            advance();
        }
        if (pos >= text.length()) {
            unterminated('"', quoteLine, quoteColumn);
            return;
        }
        advance();
    }

    private void unterminated(char quote, int quoteLine, int quoteColumn) {
        problems.add(new ConfigProblem(file, quoteLine, quoteColumn, XfrmIssueCodes.SYNTAX,
                "unterminated " + quote + " quote (quotes must close on the same line)"));
        broken = true;
    }

    private void startWord() {
        if (word == null) {
            word = new StringBuilder();
            wordLine = line;
            wordColumn = column;
            wordQuoted = false;
        }
    }

    private void endWord() {
        if (word != null) {
            words.add(new XfrmToken(word.toString(), wordLine, wordColumn, wordQuoted));
            word = null;
        }
    }

    private void endLine() {
        if (!words.isEmpty()) {
            lines.add(new XfrmLine(List.copyOf(words), startsIndented(words.get(0).line()), broken));
            words = new ArrayList<>();
        }
        broken = false;
    }

    /** Whether physical line {@code lineNo} begins with a blank. */
    private boolean startsIndented(int lineNo) {
        int at = lineStarts.get(lineNo - 1);
        return at < text.length() && (text.charAt(at) == ' ' || text.charAt(at) == '\t');
    }

    private void advance() {
        if (text.charAt(pos) == '\n') {
            line++;
            column = 1;
            lineStarts.add(pos + 1);
        } else {
            column++;
        }
        pos++;
    }
}
