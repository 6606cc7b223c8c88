package org.espline.dsl.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.inject.Inject;
import com.google.inject.Provider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.antlr.runtime.ANTLRStringStream;
import org.antlr.runtime.Token;
import org.eclipse.xtext.parser.antlr.ITokenDefProvider;
import org.eclipse.xtext.parser.antlr.Lexer;
import org.eclipse.xtext.testing.InjectWith;
import org.eclipse.xtext.testing.extensions.InjectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The terminals HEX, IPV4 and IPV6 beside INT, ID and the {@code .} of qualified names: each input lexes to the
 * tokens written as {@code TYPE:text}, separated by spaces; whitespace tokens are left out.
 */
@ExtendWith(InjectionExtension.class)
@InjectWith(EsplineInjectorProvider.class)
class EsplineLexerTest {

    @Inject
    private Provider<Lexer> lexers;

    @Inject
    private ITokenDefProvider tokenDefs;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "10.1.0.0/16          | IPV4:10.1.0.0/16",
        "192.0.2.1            | IPV4:192.0.2.1",
        "0.0.0.0/0            | IPV4:0.0.0.0/0",
        "2001:db8::1          | IPV6:2001:db8::1",
        "::1                  | IPV6:::1",
        "::                   | IPV6:::",
        "fe80::1/64           | IPV6:fe80::1/64",
        "2001:DB8:0:0:8:800:200C:417A | IPV6:2001:DB8:0:0:8:800:200C:417A",
        "::ffff:192.0.2.128   | IPV6:::ffff:192.0.2.128",
        "2001:db8::/32        | IPV6:2001:db8::/32",
        "0x00001001           | HEX:0x00001001",
        "0xDEADbeef           | HEX:0xDEADbeef",
        "1400                 | INT:1400",
        "0                    | INT:0",
        "4500 4500            | INT:4500 INT:4500",
        "1024-65535           | INT:1024 '-' INT:65535",
        "package a.b.c        | 'package' ID:a '.' ID:b '.' ID:c",
        "package dead.beef    | 'package' ID:dead '.' ID:beef",
        "package org.example2 | 'package' ID:org '.' ID:example2",
        "fe80                 | ID:fe80",
        "cafe                 | ID:cafe",
        "a_to_b               | ID:a_to_b",
        "aead aes128gcm16     | 'aead' 'aes128gcm16'",
        "replay-window 64     | 'replay-window' INT:64",
        "gw-a                 | ID:gw '-' ID:a",
        "src 10.0.0.0/8 dst ::/0 | 'src' IPV4:10.0.0.0/8 'dst' IPV6:::/0",
        // The terminals check the shape, not the value: validation has to reject these.
        "999.1.1.1/99         | IPV4:999.1.1.1/99",
        "1::2::3              | IPV6:1::2::3",
    })
    void lexes(String input, String expected) {
        assertEquals(expected, tokens(input));
    }

    @Test
    void commentsAfterAddressesAreComments() {
        assertEquals("IPV4:192.0.2.1 SL_COMMENT:// gw-b\n IPV6:2001:db8::1 ML_COMMENT:/* b */",
                tokens("192.0.2.1 // gw-b\n2001:db8::1 /* b */"));
    }

    private String tokens(String input) {
        Lexer lexer = lexers.get();
        lexer.setCharStream(new ANTLRStringStream(input));
        Map<Integer, String> names = tokenDefs.getTokenDefMap();
        List<String> out = new ArrayList<>();
        for (Token token = lexer.nextToken(); token.getType() != Token.EOF; token = lexer.nextToken()) {
            String name = names.getOrDefault(token.getType(), "<" + token.getType() + ">");
            if (name.equals("RULE_WS")) {
                continue;
            }
            if (name.startsWith("RULE_")) {
                out.add(name.substring("RULE_".length()) + ":" + token.getText());
            } else {
                out.add(name);
            }
        }
        return String.join(" ", out);
    }
}
