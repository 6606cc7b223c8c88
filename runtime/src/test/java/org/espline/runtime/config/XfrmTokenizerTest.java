package org.espline.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/** Shell word splitting and positions; words shown as text@line:column. */
class XfrmTokenizerTest {
    private final List<ConfigProblem> problems = new ArrayList<>();

    private List<XfrmLine> lines(String text) {
        return new XfrmTokenizer(text, "t", problems).tokenize();
    }

    private String words(String text) {
        return lines(text).stream()
                .map(l -> l.tokens().stream().map(t -> t.text() + "@" + t.line() + ":" + t.column())
                        .collect(Collectors.joining(" ")))
                .collect(Collectors.joining(" | "));
    }

    @Test
    void blanksSeparateWordsAndColumnsAreOneBased() {
        assertEquals("ip@1:1 xfrm@1:4 state@1:9", words("ip xfrm\tstate"));
    }

    @Test
    void quotesJoinAndKeepTheirContentLiterally() {
        assertEquals("aead@1:1 rfc4106(gcm(aes))@1:6 a\"b@1:26 x'y@1:32 ab@1:38",
                words("aead 'rfc4106(gcm(aes))' 'a\"b' \"x'y\" a'b'"));
    }

    @Test
    void emptyQuotesAreAnEmptyWord() {
        List<XfrmLine> l = lines("enc cipher_null \"\" x ''");
        assertEquals(List.of("enc", "cipher_null", "", "x", ""),
                l.get(0).tokens().stream().map(XfrmToken::text).collect(Collectors.toList()));
        assertTrue(l.get(0).tokens().get(2).quoted());
    }

    @Test
    void backslashEscapesOutsideQuotesAndSomeInsideDoubleQuotes() {
        // \" \$ \\ lose their backslash inside double quotes; \x keeps it
        assertEquals("a b@1:1 \"$\\\\x@1:6", words("a\\ b \"\\\"\\$\\\\\\x\""));
    }

    @Test
    void continuationJoinsPhysicalLinesKeepingPositions() {
        assertEquals("ip@1:1 xfrm@2:3 state@3:1", words("ip \\\n  xfrm \\\r\nstate"));
    }

    @Test
    void commentsStartAWordOnly() {
        assertEquals("a#b@1:1 | c@2:1", words("a#b # comment \\\nc"));
    }

    @Test
    void indentationOfTheFirstPhysicalLine() {
        List<XfrmLine> l = lines("src 1\n\tproto esp\n  x\n");
        assertFalse(l.get(0).indented());
        assertTrue(l.get(1).indented());
        assertTrue(l.get(2).indented());
    }

    @Test
    void unterminatedQuoteBreaksTheLineOnly() {
        List<XfrmLine> l = lines("a 'b c\nd e");
        assertEquals(1, problems.size());
        assertEquals("t:1:3: unterminated ' quote (quotes must close on the same line)", problems.get(0).toString());
        assertTrue(l.get(0).broken());
        assertFalse(l.get(1).broken());
    }
}
