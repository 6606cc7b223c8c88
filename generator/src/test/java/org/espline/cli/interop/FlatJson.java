package org.espline.cli.interop;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the top-level scalar members of a JSON object into a map, key to text; nested objects and
 * arrays are parsed and skipped. Enough for {@code cell.json} and the run totals of Espline's
 * {@code --stats-json} (whose per-SA detail sits in a nested {@code "sas"} array), and it keeps the
 * tests free of a JSON dependency.
 */
final class FlatJson {
    private final String text;
    private int pos;
    private int depth;
    private final Map<String, String> scalars = new LinkedHashMap<>();

    private FlatJson(String text) {
        this.text = text;
    }

    static Map<String, String> parse(String json) {
        FlatJson p = new FlatJson(json);
        p.value(null);
        p.skipSpace();
        if (p.pos != json.length()) {
            throw p.error("trailing text");
        }
        return p.scalars;
    }

    private void value(String key) {
        skipSpace();
        char c = peek();
        if (c == '{') {
            pos++;
            depth++;
            skipSpace();
            if (peek() == '}') {
                pos++;
                depth--;
                return;
            }
            while (true) {
                skipSpace();
                String member = string();
                skipSpace();
                expect(':');
                value(member);
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else {
                    expect('}');
                    depth--;
                    return;
                }
            }
        } else if (c == '[') {
            pos++;
            depth++;
            skipSpace();
            if (peek() == ']') {
                pos++;
                depth--;
                return;
            }
            while (true) {
                value(null);
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else {
                    expect(']');
                    depth--;
                    return;
                }
            }
        } else if (c == '"') {
            put(key, string());
        } else {
            int start = pos;
            while (pos < text.length() && "{}[],: \t\r\n".indexOf(text.charAt(pos)) < 0) {
                pos++;
            }
            if (start == pos) {
                throw error("value expected");
            }
            put(key, text.substring(start, pos));
        }
    }

    private void put(String key, String value) {
        if (key != null && depth == 1) {
            scalars.put(key, value);
        }
    }

    private String string() {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            char c = peek();
            pos++;
            if (c == '"') {
                return sb.toString();
            }
            if (c == '\\') {
                char e = peek();
                pos++;
                switch (e) {
                    case 'n': sb.append('\n'); break;
                    case 't': sb.append('\t'); break;
                    case 'r': sb.append('\r'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'u':
                        sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                        pos += 4;
                        break;
                    default: sb.append(e);
                }
            } else {
                sb.append(c);
            }
        }
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private char peek() {
        if (pos >= text.length()) {
            throw error("unexpected end");
        }
        return text.charAt(pos);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "' but was '" + peek() + "'");
        }
        pos++;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("JSON: " + what + " at offset " + pos + " of " + text.length());
    }
}
