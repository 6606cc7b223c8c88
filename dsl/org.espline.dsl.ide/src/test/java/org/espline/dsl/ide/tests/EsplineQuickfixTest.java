package org.espline.dsl.ide.tests;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.eclipse.lsp4j.CodeAction;
import org.eclipse.lsp4j.Command;
import org.eclipse.lsp4j.TextDocumentEdit;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.WorkspaceEdit;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.eclipse.xtext.ide.server.Document;
import org.eclipse.xtext.testing.AbstractLanguageServerTest;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * The quick fixes, through a language server's code actions as an LSP client gets them: model before, the fix's
 * label, model after. (Assertions are qualified: the base class has an assertEquals of its own.)
 */
class EsplineQuickfixTest extends AbstractLanguageServerTest {

    EsplineQuickfixTest() {
        super("espl");
    }

    @Test
    void reservedSpi() {
        String before = """
                sa a_to_b {
                	spi 0xff
                	mode tunnel src 192.0.2.1 dst 198.51.100.1
                	aead aes128gcm16 key env K
                }
                """;
        Assertions.assertEquals(before.replace("0xff", "0x100"),
                fix(before, "Change spi 0xff to the first non-reserved SPI 0x100"));
    }

    @Test
    void headroomWritten() {
        String before = """
                sa a_to_b { spi 0x1001 mode tunnel src 192.0.2.1 dst 198.51.100.1 encap udp 4500 4500 aead aes128gcm16 key env K }
                buffers wan { headroom 32 tailroom 64 }
                pipeline egress tx { buffers wan from link lan encrypt to link wan }
                """;
        Assertions.assertEquals(before.replace("headroom 32", "headroom 44"), fix(before, "Set headroom of buffers 'wan' to 44"));
    }

    @Test
    void headroomAbsentIsAddedAsFirstProperty() {
        String before = """
                sa a_to_b { spi 0x1001 mode tunnel src 192.0.2.1 dst 198.51.100.1 aead aes128gcm16 key env K }
                buffers wan {
                	tailroom 64
                }
                pipeline egress tx { buffers wan from link lan encrypt to link wan }
                """;
        Assertions.assertEquals(before.replace("\ttailroom 64", "\theadroom 36\n\ttailroom 64"),
                fix(before, "Set headroom of buffers 'wan' to 36"));
    }

    @Test
    void tailroom() {
        String before = """
                sa b_to_a { spi 0x1001 mode tunnel src 192.0.2.1 dst 198.51.100.1 enc aes128 key env E auth sha256 key env A }
                buffers wan { headroom 128 }
                pipeline egress tx { buffers wan from link lan encrypt to link wan }
                """;
        Assertions.assertEquals(before.replace("{ headroom 128 }", "{ tailroom 33 headroom 128 }"),
                fix(before, "Set tailroom of buffers 'wan' to 33"));
    }

    @Test
    void noBuffersFixWhenTheBuffersAreInAnotherFile() {
        String model = """
                import "shared.espl"
                sa a_to_b { spi 0x1001 mode tunnel src 192.0.2.1 dst 198.51.100.1 aead aes128gcm16 key env K }
                pipeline egress tx { buffers wan from link lan encrypt to link wan }
                """;
        List<String> titles = titles(model, Map.of("shared.espl", "buffers wan { headroom 16 tailroom 64 }"));
        Assertions.assertEquals(List.of(), titles);
    }

    @Test
    void addEsnOnItsOwnLine() {
        String before = """
                sa a_to_b {
                	spi 0x1001
                	mode tunnel src 192.0.2.1 dst 198.51.100.1
                	aead aes128gcm16 key env K
                	lifetime hard 5000000000 packets
                }
                """;
        Assertions.assertEquals(before.replace("\tspi 0x1001", "\tesn\n\tspi 0x1001"), fix(before, "Add esn to SA 'a_to_b'"));
    }

    @Test
    void addEsnOnOneLine() {
        String before = "sa a { spi 0x1001 lifetime soft 4294967296 packets }\n";
        Assertions.assertEquals("sa a { esn spi 0x1001 lifetime soft 4294967296 packets }\n", fix(before, "Add esn to SA 'a'"));
    }

    @Test
    void literalKeyToEnvironmentVariable() {
        String before = """
                sa a_to_b {
                	spi 0x1001
                	mode tunnel src 192.0.2.1 dst 198.51.100.1
                	aead aes128gcm16 key 0x000102030405060708090a0b0c0d0e0f10111213
                }
                """;
        Assertions.assertEquals(before.replace("0x000102030405060708090a0b0c0d0e0f10111213", "env:A_TO_B_KEY"),
                fix(before, "Replace the literal key with env:A_TO_B_KEY"));
    }

    @Test
    void gsoMss() {
        String before = """
                sa a_to_b { spi 0x1001 mode tunnel src 192.0.2.1 dst 198.51.100.1 encap udp 4500 4500 aead aes128gcm16 key env K }
                buffers wan { headroom 128 tailroom 64 mtu 1500 }
                pipeline egress tx { buffers wan from link lan gso mss 1400 encrypt to link wan }
                """;
        Assertions.assertEquals(before.replace("mss 1400", "mss 1395"), fix(before, "Set gso mss to 1395"));
    }

    // ------------------------------------------------------------------ helpers

    /** Opens {@code before}, applies the code action titled {@code label} and returns the text after it. */
    private String fix(String before, String label) {
        AtomicReference<String> after = new AtomicReference<>();
        testCodeAction(configuration -> {
            configuration.setModel(before);
            configuration.setAssertCodeActions(actions -> {
                CodeAction action = actions.stream()
                        .filter(Either::isRight)
                        .map(Either::getRight)
                        .filter(candidate -> label.equals(candidate.getTitle()))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError("no '" + label + "' in " + titlesOf(actions)));
                List<TextEdit> edits = edits(action.getEdit());
                Assertions.assertFalse(edits.isEmpty(), action::toString);
                after.set(new Document(1, before).applyChanges(edits).getContents());
            });
        });
        return after.get();
    }

    private List<String> titles(String model, Map<String, CharSequence> otherFiles) {
        AtomicReference<List<String>> titles = new AtomicReference<>();
        testCodeAction(configuration -> {
            configuration.setModel(model);
            configuration.setFilesInScope(otherFiles);
            configuration.setAssertCodeActions(actions -> titles.set(titlesOf(actions)));
        });
        return titles.get();
    }

    private static List<String> titlesOf(List<Either<Command, CodeAction>> actions) {
        return actions.stream()
                .map(action -> action.isRight() ? action.getRight().getTitle() : action.getLeft().getTitle())
                .collect(Collectors.toList());
    }

    /** The edits of a workspace edit, as changes per URI or as document changes (the client's capabilities decide). */
    private static List<TextEdit> edits(WorkspaceEdit edit) {
        List<TextEdit> edits = new ArrayList<>();
        if (edit.getChanges() != null) {
            edit.getChanges().values().forEach(edits::addAll);
        }
        if (edit.getDocumentChanges() != null) {
            for (Either<TextDocumentEdit, ?> change : edit.getDocumentChanges()) {
                if (change.isLeft()) {
                    change.getLeft().getEdits().stream().filter(Either::isLeft).map(Either::getLeft).forEach(edits::add);
                }
            }
        }
        return edits;
    }
}
