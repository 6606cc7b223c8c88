package org.espline.dsl.ide.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.eclipse.lsp4j.ClientCapabilities;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.CompletionList;
import org.eclipse.lsp4j.CompletionParams;
import org.eclipse.lsp4j.Diagnostic;
import org.eclipse.lsp4j.DiagnosticSeverity;
import org.eclipse.lsp4j.DidChangeTextDocumentParams;
import org.eclipse.lsp4j.DidOpenTextDocumentParams;
import org.eclipse.lsp4j.DocumentFormattingParams;
import org.eclipse.lsp4j.FormattingOptions;
import org.eclipse.lsp4j.Hover;
import org.eclipse.lsp4j.HoverParams;
import org.eclipse.lsp4j.InitializeParams;
import org.eclipse.lsp4j.InitializedParams;
import org.eclipse.lsp4j.MarkupContent;
import org.eclipse.lsp4j.MessageActionItem;
import org.eclipse.lsp4j.MessageParams;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.PublishDiagnosticsParams;
import org.eclipse.lsp4j.ShowMessageRequestParams;
import org.eclipse.lsp4j.TextDocumentContentChangeEvent;
import org.eclipse.lsp4j.TextDocumentIdentifier;
import org.eclipse.lsp4j.TextDocumentItem;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.VersionedTextDocumentIdentifier;
import org.eclipse.lsp4j.WorkspaceClientCapabilities;
import org.eclipse.lsp4j.WorkspaceFolder;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.lsp4j.services.LanguageServer;
import org.espline.dsl.ide.EsplineLanguageServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link EsplineLanguageServer} as an editor sees it: an LSP4J client talks to it over a pair of pipes. Every wait has a
 * timeout, so a server that does not answer fails the test instead of hanging the build.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EsplineLanguageServerTest {

    private static final long WAIT_SECONDS = 30;

    @TempDir
    Path workspace;

    private final RecordingClient client = new RecordingClient();
    private CompletableFuture<Integer> serverExit;
    private LanguageServer server;
    private Future<Void> clientListening;
    private PipedOutputStream toServer;
    private PipedOutputStream toClient;

    @BeforeEach
    void start() throws Exception {
        PipedInputStream serverIn = new PipedInputStream(1 << 16);
        toServer = new PipedOutputStream(serverIn);
        PipedInputStream clientIn = new PipedInputStream(1 << 16);
        toClient = new PipedOutputStream(clientIn);
        serverExit = CompletableFuture.supplyAsync(() -> EsplineLanguageServer.serve(serverIn, toClient));

        Launcher<LanguageServer> launcher = LSPLauncher.createClientLauncher(client, clientIn, toServer);
        server = launcher.getRemoteProxy();
        clientListening = launcher.startListening();
    }

    /** initialize and initialized, with the temporary folder as the workspace, or with no workspace at all. */
    private void initialize(boolean withWorkspace) throws Exception {
        InitializeParams initialize = new InitializeParams();
        initialize.setProcessId((int) ProcessHandle.current().pid());
        ClientCapabilities capabilities = new ClientCapabilities();
        if (withWorkspace) {
            initialize.setWorkspaceFolders(List.of(new WorkspaceFolder(workspace.toUri().toString(), "models")));
            WorkspaceClientCapabilities workspaceCapabilities = new WorkspaceClientCapabilities();
            workspaceCapabilities.setWorkspaceFolders(true);
            capabilities.setWorkspace(workspaceCapabilities);
        }
        initialize.setCapabilities(capabilities);
        server.initialize(initialize).get(WAIT_SECONDS, TimeUnit.SECONDS);
        server.initialized(new InitializedParams());
    }

    @AfterEach
    void stop() throws IOException {
        clientListening.cancel(true);
        toServer.close();
        toClient.close();
    }

    @Test
    void aSyntaxErrorArrivesAsDiagnostic() throws Exception {
        initialize(true);
        String uri = open("broken.espl", "sa a_to_b {\n\tspi\n}\n");
        List<Diagnostic> errors = client.diagnosticsFor(uri, diagnostics -> !diagnostics.isEmpty());
        Diagnostic error = errors.get(0);
        assertEquals(DiagnosticSeverity.Error, error.getSeverity());
        assertEquals(2, error.getRange().getStart().getLine(), error::toString);
        String message = error.getMessage().map(text -> text, MarkupContent::getValue);
        assertEquals("no viable alternative at input '}'", message);
    }

    /** An editor opened on a lone file names no workspace; the server takes the working directory instead of failing. */
    @Test
    void aClientWithoutWorkspaceIsServedToo() throws Exception {
        initialize(false);
        String uri = open("lone.espl", "engine e {\n\tqueue\n}\n");
        assertEquals(1, client.diagnosticsFor(uri, diagnostics -> !diagnostics.isEmpty()).size());
    }

    @Test
    void completionAfterAeadOffersOnlyAeadAlgorithms() throws Exception {
        initialize(true);
        String text = "sa a_to_b {\n\taead \n}\n";
        String uri = open("complete.espl", text);
        CompletionParams params = new CompletionParams(new TextDocumentIdentifier(uri), new Position(1, 6));
        Either<List<CompletionItem>, CompletionList> result =
                server.getTextDocumentService().completion(params).get(WAIT_SECONDS, TimeUnit.SECONDS);
        List<String> labels = (result.isLeft() ? result.getLeft() : result.getRight().getItems()).stream()
                .map(CompletionItem::getLabel)
                .sorted()
                .collect(Collectors.toList());
        assertTrue(labels.containsAll(List.of("aes128gcm16", "aes256gcm16", "aes128ccm8", "chacha20poly1305",
                "aes256gmac")), labels::toString);
        assertFalse(labels.contains("aes128"), labels::toString);
        assertFalse(labels.contains("sha256"), labels::toString);
    }

    @Test
    void formattingIsIdempotent() throws Exception {
        initialize(true);
        String messy = "engine crypto{workers 2   queue 1024}buffers wan{headroom 128\n\n\n tailroom 64}\n"
                + "sa a{spi 0x1001 aead aes128gcm16 key env:GCM_KEY}";
        String uri = open("format.espl", messy);
        String once = apply(messy, format(uri));
        assertEquals("engine crypto {\n    workers 2\n    queue 1024\n}\n\n"
                + "buffers wan {\n    headroom 128\n    tailroom 64\n}\n\n"
                + "sa a {\n    spi 0x1001\n    aead aes128gcm16 key env:GCM_KEY\n}\n", once);

        VersionedTextDocumentIdentifier document = new VersionedTextDocumentIdentifier(uri, 2);
        server.getTextDocumentService().didChange(
                new DidChangeTextDocumentParams(document, List.of(new TextDocumentContentChangeEvent(once))));
        String twice = apply(once, format(uri));
        assertEquals(once, twice);
    }

    /** The site-to-site example in a workspace: gateway A's policy names an SA of the file it imports. */
    @Test
    void hoverOnAnImportedSaShowsItsSummaryButNoKey() throws Exception {
        initialize(true);
        Path examples = Path.of(System.getProperty("espline.models.dir", "../../examples/models"));
        for (String name : List.of("site-to-site.espl", "site-to-site-gw-a.espl")) {
            Files.copy(examples.resolve(name), workspace.resolve(name));
        }
        String text = Files.readString(workspace.resolve("site-to-site-gw-a.espl"), StandardCharsets.UTF_8);
        String uri = open("site-to-site-gw-a.espl", text);
        int offset = text.indexOf("protect a_to_b") + "protect ".length() + 2;
        String before = text.substring(0, offset);
        Position position = new Position((int) before.chars().filter(c -> c == '\n').count(),
                offset - before.lastIndexOf('\n') - 1);
        Hover hover = server.getTextDocumentService().hover(new HoverParams(new TextDocumentIdentifier(uri), position))
                .get(WAIT_SECONDS, TimeUnit.SECONDS);
        String markdown = hover.getContents().getRight().getValue();
        assertTrue(markdown.startsWith("**sa** `a_to_b`\n\n- SPI 0x00001001 (4097)\n"), markdown);
        assertTrue(markdown.contains("- aead aes128gcm16, literal key of 20 bytes (hidden)"), markdown);
        assertFalse(markdown.contains("8a3f5e2c"), markdown);
    }

    @Test
    void shutdownThenExitEndsTheServerWithZero() throws Exception {
        initialize(true);
        server.shutdown().get(WAIT_SECONDS, TimeUnit.SECONDS);
        server.exit();
        assertEquals(0, serverExit.get(WAIT_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void exitWithoutShutdownEndsTheServerWithOne() throws Exception {
        initialize(true);
        server.exit();
        assertEquals(1, serverExit.get(WAIT_SECONDS, TimeUnit.SECONDS));
    }

    /** An editor that dies closes the pipe: the server returns instead of waiting for an exit that never comes. */
    @Test
    void theEndOfTheInputEndsTheServerWithOne() throws Exception {
        initialize(true);
        toServer.close();
        assertEquals(1, serverExit.get(WAIT_SECONDS, TimeUnit.SECONDS));
    }

    private String open(String name, String text) throws IOException {
        Path file = workspace.resolve(name);
        Files.writeString(file, text, StandardCharsets.UTF_8);
        String uri = file.toUri().toString();
        server.getTextDocumentService().didOpen(new DidOpenTextDocumentParams(new TextDocumentItem(uri, "espline", 1, text)));
        return uri;
    }

    private List<? extends TextEdit> format(String uri) throws Exception {
        DocumentFormattingParams params =
                new DocumentFormattingParams(new TextDocumentIdentifier(uri), new FormattingOptions(4, true));
        return server.getTextDocumentService().formatting(params).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** The text after the edits, applied from the last to the first so that earlier offsets stay valid. */
    private static String apply(String text, List<? extends TextEdit> edits) {
        StringBuilder result = new StringBuilder(text);
        edits.stream()
                .sorted(Comparator.comparing((TextEdit edit) -> offset(text, edit.getRange().getStart())).reversed())
                .forEach(edit -> result.replace(offset(text, edit.getRange().getStart()),
                        offset(text, edit.getRange().getEnd()), edit.getNewText()));
        return result.toString();
    }

    private static int offset(String text, Position position) {
        int offset = 0;
        for (int line = 0; line < position.getLine(); line++) {
            offset = text.indexOf('\n', offset) + 1;
        }
        return offset + position.getCharacter();
    }

    /** Keeps every {@code publishDiagnostics}; the rest of what a server may send a client is ignored. */
    private static final class RecordingClient implements LanguageClient {

        private final BlockingQueue<PublishDiagnosticsParams> diagnostics = new LinkedBlockingQueue<>();

        /** The first diagnostics published for {@code uri} that satisfy {@code wanted}. */
        List<Diagnostic> diagnosticsFor(String uri, java.util.function.Predicate<List<Diagnostic>> wanted)
                throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (System.nanoTime() < deadline) {
                PublishDiagnosticsParams published = diagnostics.poll(1, TimeUnit.SECONDS);
                if (published != null && sameFile(uri, published.getUri()) && wanted.test(published.getDiagnostics())) {
                    return published.getDiagnostics();
                }
            }
            throw new AssertionError("no diagnostics for " + uri + " within " + WAIT_SECONDS + " s");
        }

        private static boolean sameFile(String expected, String actual) {
            return Path.of(java.net.URI.create(expected)).equals(Path.of(java.net.URI.create(actual)));
        }

        @Override
        public void publishDiagnostics(PublishDiagnosticsParams params) {
            diagnostics.add(params);
        }

        @Override
        public void telemetryEvent(Object object) {
        }

        @Override
        public void showMessage(MessageParams message) {
        }

        @Override
        public CompletableFuture<MessageActionItem> showMessageRequest(ShowMessageRequestParams request) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void logMessage(MessageParams message) {
        }
    }
}
