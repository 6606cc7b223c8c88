package org.espline.dsl.ide.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.CompletionList;
import org.eclipse.lsp4j.CompletionParams;
import org.eclipse.lsp4j.DocumentSymbol;
import org.eclipse.lsp4j.DocumentSymbolParams;
import org.eclipse.lsp4j.Hover;
import org.eclipse.lsp4j.HoverParams;
import org.eclipse.lsp4j.InsertTextFormat;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.SymbolInformation;
import org.eclipse.lsp4j.TextDocumentIdentifier;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.eclipse.xtext.testing.AbstractLanguageServerTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/** Content assist, hover and document symbols through Xtext's language server, as an editor asks for them. */
class EsplineIdeServicesTest extends AbstractLanguageServerTest {

    private static final String GCM_KEY = "0x8a3f5e2c91d04b7e6f1a2b3c4d5e6f70c0ffee01";
    private static final String CBC_KEY = "0x5b2e8f1a7c3d9e4f0a6b1c2d3e4f5a6b";
    private static final String HMAC_KEY = "0x3c6e0b8a2f4d7e9c1b5a3f8e6d2c4b0a9e7f5d3c1b2a4f6e8d0c2b4a6f8e0d2c";

    private static final String MODEL = ""
            + "sa a_to_b {\n"                                                   // 0
            + "\tspi 0x00001001\n"                                              // 1
            + "\tdir out\n"                                                     // 2
            + "\tmode tunnel src 192.0.2.1 dst 198.51.100.1\n"                  // 3
            + "\tencap udp 4500 4500\n"                                         // 4
            + "\taead aes128gcm16 key " + GCM_KEY + "\n"                        // 5
            + "\tesn\n"                                                         // 6
            + "\treplay-window 1024\n"                                          // 7
            + "}\n"                                                             // 8
            + "\n"                                                              // 9
            + "sa b_to_a {\n"                                                   // 10
            + "\tspi 8193\n"                                                    // 11
            + "\tmode transport\n"                                              // 12
            + "\tenc aes128 key " + CBC_KEY + "\n"                              // 13
            + "\tauth sha256 key " + HMAC_KEY + "\n"                            // 14
            + "}\n"                                                             // 15
            + "\n"                                                              // 16
            + "policy site_b {\n"                                               // 17
            + "\tdir out\n"                                                     // 18
            + "\tsrc 10.1.0.0/16 dst 10.2.0.0/16\n"                             // 19
            + "\tprotect a_to_b\n"                                              // 20
            + "}\n"                                                             // 21
            + "\n"                                                              // 22
            + "engine crypto {\n"                                               // 23
            + "\tworkers 2\n"                                                   // 24
            + "\tqueue 1024\n"                                                  // 25
            + "\torder per-sa\n"                                                // 26
            + "}\n"                                                             // 27
            + "\n"                                                              // 28
            + "offload card {\n"                                                // 29
            + "\ttype nic\n"                                                    // 30
            + "\talgorithms aes128gcm16 aes256gcm16\n"                          // 31
            + "\tfallback sw\n"                                               // 32
            + "}\n"                                                             // 33
            + "\n"                                                              // 34
            + "offload sw {\n"                                                // 35
            + "\ttype software\n"                                               // 36
            + "}\n"                                                             // 37
            + "\n"                                                              // 38
            + "buffers wan {\n"                                                 // 39
            + "\theadroom 128\n"                                                // 40
            + "\ttailroom 64\n"                                                 // 41
            + "\treserve-trailer-slot\n"                                        // 42
            + "}\n"                                                             // 43
            + "\n"                                                              // 44
            + "pipeline egress tx {\n"                                          // 45
            + "\tbuffers wan\n"                                                 // 46
            + "\tfrom tun \"esp0\"\n"                                           // 47
            + "\tclassify\n"                                                    // 48
            + "\tencrypt engine crypto\n"                                       // 49
            + "\tto udp 192.0.2.1 port 4500\n"                                  // 50
            + "}\n";                                                            // 51

    private boolean initialized;

    EsplineIdeServicesTest() {
        super("espl");
    }

    // ---------------------------------------------------------------- content assist

    @Test
    void afterAeadOnlyAeadNames() throws Exception {
        List<String> labels = labels("sa a {\n\taead \n}\n", 1, 6);
        Assertions.assertEquals(22, labels.size(), labels::toString);
        assertTrue(labels.containsAll(List.of("aes128gcm16", "aes256ccm8", "chacha20poly1305", "aes192gmac")),
                labels::toString);
    }

    @Test
    void afterEncOnlyCipherNames() throws Exception {
        Assertions.assertEquals(List.of("aes128", "aes192", "aes256", "null"), labels("sa a {\n\tenc \n}\n", 1, 5));
    }

    @Test
    void afterAuthOnlyIntegrityNames() throws Exception {
        Assertions.assertEquals(List.of("sha1", "sha256", "sha384", "sha512"),
                labels("sa a {\n\tenc aes128 key env:K auth \n}\n", 1, 27));
    }

    @Test
    void crossReferencesOfEachKind() throws Exception {
        String model = "sa a_to_b { }\nsa b_to_a { }\nengine crypto { }\noffload card { }\nbuffers wan { }\n"
                + "policy p { src any dst any protect <sa> }\n"
                + "pipeline tx1 tx { buffers <buffers> from tun \"t\" encrypt engine <engine> encrypt offload <offload>"
                + " to tun \"u\" }\n";
        Assertions.assertEquals(List.of("a_to_b", "b_to_a"), labelsAt(model, "<sa>"));
        Assertions.assertEquals(List.of("wan"), labelsAt(model, "<buffers>"));
        Assertions.assertEquals(List.of("crypto"), labelsAt(model, "<engine>"));
        Assertions.assertEquals(List.of("card"), labelsAt(model, "<offload>"));
    }

    @Test
    void keywordsOfAnSaBlockWithoutPunctuation() throws Exception {
        List<String> labels = labels("sa a {\n\t\n}\n", 1, 1);
        assertTrue(labels.containsAll(List.of("spi", "dir", "mode", "encap", "aead", "enc", "esn", "replay-window",
                "lifetime", "offload", "gro")), labels::toString);
        assertFalse(labels.contains("}"), labels::toString);
        assertFalse(labels.contains("policy"), labels::toString);
    }

    @Test
    void snippetsWhereAnElementBegins() throws Exception {
        List<CompletionItem> items = complete("sa a { spi 300 }\n\n", 2, 0);
        Map<String, CompletionItem> byLabel = new LinkedHashMap<>();
        items.forEach(item -> byLabel.put(item.getLabel(), item));
        assertTrue(byLabel.keySet().containsAll(List.of("sa", "policy", "offload", "engine", "buffers", "pipeline",
                "sa (aead)", "sa (enc + auth)", "policy (protect)", "pipeline (tx)", "pipeline (rx)")),
                byLabel.keySet()::toString);
        CompletionItem sa = byLabel.get("sa (aead)");
        Assertions.assertEquals(InsertTextFormat.Snippet, sa.getInsertTextFormat());
        String inserted = sa.getTextEdit() != null ? sa.getTextEdit().getLeft().getNewText() : sa.getInsertText();
        assertTrue(inserted.startsWith("sa ${1:name} {\n\tspi ${2:0x1000}\n"), inserted);
        assertTrue(inserted.contains("key env:${7:GCM_KEY}"), inserted);
    }

    // ---------------------------------------------------------------- hover

    @Test
    void hoverOnAnSaNameSummarizesItWithoutTheKey() throws Exception {
        String hover = hover(MODEL, 0, 5);
        Assertions.assertEquals("**sa** `a_to_b`\n\n"
                + "- SPI 0x00001001 (4097)\n"
                + "- dir out\n"
                + "- tunnel 192.0.2.1 → 198.51.100.1, ESP in UDP 4500 → 4500\n"
                + "- aead aes128gcm16, literal key of 20 bytes (hidden)\n"
                + "- ESN on, replay window 1024", hover);
        assertNoKeyMaterial(hover);
    }

    @Test
    void hoverOnAnSaReferenceSummarizesTheSa() throws Exception {
        Assertions.assertEquals(hover(MODEL, 0, 5), hover(MODEL, 20, 12));
    }

    @Test
    void hoverOnACipherIntegritySaShowsNeitherKey() throws Exception {
        String hover = hover(MODEL, 10, 4);
        Assertions.assertEquals("**sa** `b_to_a`\n\n"
                + "- SPI 8193\n"
                + "- dir not set (decided by the gateway's address)\n"
                + "- transport\n"
                + "- enc aes128, literal key of 16 bytes (hidden); auth sha256, literal key of 32 bytes (hidden)\n"
                + "- ESN off, replay window not set", hover);
        assertNoKeyMaterial(hover);
    }

    @Test
    void hoverOnKeyReferencesNamesTheirSource() throws Exception {
        String model = "sa a {\n\tenc aes256 key env:CBC_KEY\n\tauth sha512 key file:\"/etc/espline/hmac.key\"\n}\n";
        assertTrue(hover(model, 0, 3).contains(
                "- enc aes256, key from env CBC_KEY; auth sha512, key from file \"/etc/espline/hmac.key\""));
    }

    @Test
    void hoverOnEngineOffloadBuffersIsOneLine() throws Exception {
        Assertions.assertEquals("**engine** `crypto`: 2 workers, queue 1024, order per-sa", hover(MODEL, 49, 18));
        Assertions.assertEquals("**offload** `card`: nic, algorithms aes128gcm16 aes256gcm16, fallback sw", hover(MODEL, 29, 9));
        Assertions.assertEquals("**buffers** `wan`: headroom 128, tailroom 64, trailer slot reserved", hover(MODEL, 46, 10));
    }

    @Test
    void hoverOnPolicyAndPipeline() throws Exception {
        Assertions.assertEquals("**policy** `site_b`: dir out, 10.1.0.0/16 → 10.2.0.0/16, protect a_to_b", hover(MODEL, 17, 9));
        Assertions.assertEquals("**pipeline** `egress`: tx, classify → encrypt, buffers wan", hover(MODEL, 45, 11));
    }

    /** Hover anywhere in models the user is still typing answers (or not) without an internal error. */
    @Test
    void hoverEverywhereInBrokenModels() throws Exception {
        for (String broken : List.of("sa a {\n\tspi\n\tenc aes128 auth sha1 key\n\tmode tunnel src\n}\n",
                "policy p { src 10.0.0.0/8 protect }\nsa s { lifetime soft hard }\noffload o { fallback }\n",
                "engine e { workers }\nbuffers b { headroom pool }\npipeline p tx { from to }\n")) {
            String[] lines = broken.split("\n", -1);
            for (int line = 0; line < lines.length; line++) {
                for (int column = 0; column <= lines[line].length(); column++) {
                    String uri = openModel(broken);
                    languageServer.hover(new HoverParams(new TextDocumentIdentifier(uri), new Position(line, column)))
                            .get();
                }
            }
        }
    }

    // ---------------------------------------------------------------- document symbols

    /** One symbol per element, each once (the package is no symbol of its own), with the kind of its element. */
    @Test
    void documentSymbolsWithTheirKinds() throws Exception {
        initialize();
        String uri = writeFile("symbols.espl", "package gw\n\n" + MODEL);
        open(uri, "package gw\n\n" + MODEL);
        List<Either<SymbolInformation, DocumentSymbol>> symbols = languageServer
                .documentSymbol(new DocumentSymbolParams(new TextDocumentIdentifier(uri))).get();
        String outline = symbols.stream()
                .flatMap(symbol -> symbol.isLeft() ? Stream.of(symbol.getLeft().getName() + " " + symbol.getLeft().getKind())
                        : flatten(symbol.getRight()))
                .collect(Collectors.joining(", "));
        Assertions.assertEquals("a_to_b Key, b_to_a Key, site_b Event, crypto Class, card Interface,"
                + " sw Interface, wan Struct, egress Function", outline);
    }

    // ---------------------------------------------------------------- helpers

    private static Stream<String> flatten(DocumentSymbol symbol) {
        String children = symbol.getChildren() == null || symbol.getChildren().isEmpty() ? ""
                : symbol.getChildren().stream().flatMap(c -> flatten(c)).collect(Collectors.joining(", ", " [", "]"));
        return Stream.of(symbol.getName() + " " + symbol.getKind() + children);
    }

    /** No run of 8 or more hex digits of any key of MODEL appears in {@code text}. */
    private static void assertNoKeyMaterial(String text) {
        for (String key : List.of(GCM_KEY, CBC_KEY, HMAC_KEY)) {
            String hex = key.substring(2).toLowerCase();
            Matcher runs = Pattern.compile("[0-9a-fA-F]{8,}").matcher(text);
            while (runs.find()) {
                String run = runs.group().toLowerCase();
                assertFalse(hex.contains(run) || run.contains(hex.substring(0, 8)), () -> "key material in: " + text);
            }
        }
    }

    private String hover(String model, int line, int column) throws Exception {
        String uri = openModel(model);
        Hover hover = languageServer.hover(new HoverParams(new TextDocumentIdentifier(uri), new Position(line, column)))
                .get();
        assertNotNull(hover.getContents(), "no hover");
        return hover.getContents().getRight().getValue();
    }

    /** The labels at {@code marker} in {@code model}, every marker removed from the text. */
    private List<String> labelsAt(String model, String marker) throws Exception {
        String before = model.substring(0, model.indexOf(marker)).replaceAll("<[a-z]+>", "");
        int line = (int) before.chars().filter(c -> c == '\n').count();
        int column = before.length() - before.lastIndexOf('\n') - 1;
        return labels(model.replaceAll("<[a-z]+>", ""), line, column);
    }

    private List<String> labels(String model, int line, int column) throws Exception {
        return complete(model, line, column).stream().map(CompletionItem::getLabel).sorted().collect(Collectors.toList());
    }

    private List<CompletionItem> complete(String model, int line, int column) throws Exception {
        String uri = openModel(model);
        Either<List<CompletionItem>, CompletionList> result = languageServer
                .completion(new CompletionParams(new TextDocumentIdentifier(uri), new Position(line, column))).get();
        return result.isLeft() ? result.getLeft() : result.getRight().getItems();
    }

    private String openModel(String model) {
        if (!initialized) {
            initialize();
            initialized = true;
        }
        String uri = writeFile("model.espl", model);
        open(uri, model);
        return uri;
    }
}
