package org.espline.dsl.ide.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Injector;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.eclipse.emf.common.util.URI;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.CompletionParams;
import org.eclipse.lsp4j.TextDocumentIdentifier;
import org.eclipse.xtext.ISetup;
import org.eclipse.xtext.ide.server.Document;
import org.eclipse.xtext.ide.server.contentassist.ContentAssistService;
import org.eclipse.xtext.resource.XtextResource;
import org.eclipse.xtext.resource.XtextResourceSet;
import org.eclipse.xtext.util.CancelIndicator;
import org.espline.dsl.ide.EsplineIdeSetup;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The generated IDE part is wired: a language server finds the language, and content assist answers. */
class EsplineIdeSetupTest {

    private static Injector injector;

    @BeforeAll
    static void setUp() {
        injector = new EsplineIdeSetup().createInjectorAndDoEMFRegistration();
    }

    @Test
    void languageServerFindsTheLanguageThroughTheServiceLoader() {
        List<String> setups = ServiceLoader.load(ISetup.class).stream()
                .map(provider -> provider.type().getName())
                .collect(Collectors.toList());
        assertTrue(setups.contains(EsplineIdeSetup.class.getName()), setups::toString);
    }

    @Test
    void completionAfterAeadOffersTheAeadAlgorithms() throws IOException {
        List<String> proposals = complete("sa a_to_b {\n\taead ");
        assertEquals(22, proposals.size(), proposals::toString);
        assertTrue(proposals.containsAll(List.of("aes128gcm16", "aes256ccm8", "chacha20poly1305", "aes128gmac")),
                proposals::toString);
    }

    @Test
    void completionAfterProtectOffersTheSas() throws IOException {
        List<String> proposals = complete("sa a_to_b { }\nsa b_to_a { }\npolicy p { src any dst any protect ");
        assertEquals(List.of("a_to_b", "b_to_a"), proposals);
    }

    /** The labels of the completion proposals at the end of {@code text}. */
    private static List<String> complete(String text) throws IOException {
        XtextResourceSet resourceSet = injector.getInstance(XtextResourceSet.class);
        XtextResource resource = (XtextResource) resourceSet.createResource(URI.createURI("inmemory:/test.espl"));
        resource.load(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), null);
        Document document = new Document(1, text);
        CompletionParams params = new CompletionParams(new TextDocumentIdentifier("inmemory:/test.espl"),
                document.getPosition(text.length()));
        return injector.getInstance(ContentAssistService.class)
                .createCompletionList(document, resource, params, CancelIndicator.NullImpl)
                .getItems().stream()
                .map(CompletionItem::getLabel)
                .sorted()
                .collect(Collectors.toList());
    }
}
