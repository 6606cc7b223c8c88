package org.espline.ide.eclipse;

import com.google.inject.Injector;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.emf.common.util.URI;
import org.eclipse.lsp4j.CodeAction;
import org.eclipse.lsp4j.CodeActionContext;
import org.eclipse.lsp4j.CodeActionParams;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.CompletionParams;
import org.eclipse.lsp4j.Diagnostic;
import org.eclipse.lsp4j.DiagnosticSeverity;
import org.eclipse.lsp4j.DocumentFormattingParams;
import org.eclipse.lsp4j.DocumentSymbol;
import org.eclipse.lsp4j.FormattingOptions;
import org.eclipse.lsp4j.Hover;
import org.eclipse.lsp4j.HoverParams;
import org.eclipse.lsp4j.MarkupContent;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.TextDocumentIdentifier;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.eclipse.xtext.diagnostics.Severity;
import org.eclipse.xtext.ide.server.Document;
import org.eclipse.xtext.ide.server.codeActions.ICodeActionService2;
import org.eclipse.xtext.ide.server.contentassist.ContentAssistService;
import org.eclipse.xtext.ide.server.formatting.FormattingService;
import org.eclipse.xtext.ide.server.hover.IHoverService;
import org.eclipse.xtext.ide.server.symbol.HierarchicalDocumentSymbolService;
import org.eclipse.xtext.resource.IResourceFactory;
import org.eclipse.xtext.resource.XtextResource;
import org.eclipse.xtext.resource.XtextResourceSet;
import org.eclipse.xtext.util.CancelIndicator;
import org.eclipse.xtext.validation.CheckMode;
import org.eclipse.xtext.validation.IResourceValidator;
import org.eclipse.xtext.validation.Issue;
import org.espline.dsl.ide.EsplineIdeSetup;

/**
 * The Espline language in this Eclipse: one Guice injector of the DSL's runtime and IDE-neutral modules (the same
 * services {@code espline lsp} serves), asked in-process. Each {@link #parse} reads the text into a fresh resource set,
 * so imported files are read as they are on disk now, and .espl files are read with this injector's resource factory
 * whatever EMF's global registry says: the generator's {@code ModelSas} registers its own standalone injector there
 * when it is first used, and a resource made by that injector has another grammar instance, against which content
 * assist finds nothing. Calls are serialised by one lock, as a language server serialises its requests (the reconciler
 * validates in the background while content assist, hover and the outline ask from the UI thread); each takes
 * milliseconds on a model.
 */
public final class EsplineLanguage {

    private static final String EXTENSION = "espl";

    private static EsplineLanguage instance;

    private final Injector injector;

    private EsplineLanguage(Injector injector) {
        this.injector = injector;
    }

    /** The language, set up on first use (Xtext's EMF registrations happen once). */
    public static synchronized EsplineLanguage get() {
        if (instance == null) {
            instance = new EsplineLanguage(new EsplineIdeSetup().createInjectorAndDoEMFRegistration());
        }
        return instance;
    }

    /** One of the language's services, from its injector. */
    public <T> T service(Class<T> type) {
        return injector.getInstance(type);
    }

    /** Parses {@code text} as the model at {@code location} (a file URI: imports resolve relative to it). */
    public synchronized Parsed parse(URI location, String text) {
        XtextResourceSet set = injector.getInstance(XtextResourceSet.class);
        set.getResourceFactoryRegistry().getExtensionToFactoryMap().put(EXTENSION, injector.getInstance(IResourceFactory.class));
        XtextResource resource = (XtextResource) set.createResource(location);
        try (InputStream in = new java.io.ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))) {
            resource.load(in, set.getLoadOptions());
        } catch (IOException e) {
            throw new IllegalStateException("cannot read an in-memory model: " + e.getMessage(), e);
        }
        return new Parsed(resource, new Document(1, text));
    }

    /** One parsed text and the questions an editor asks about it. */
    public final class Parsed {
        private final XtextResource resource;
        private final Document document;

        Parsed(XtextResource resource, Document document) {
            this.resource = resource;
            this.document = document;
        }

        public Document document() {
            return document;
        }

        /** Every validation issue (syntax, linking, the validator's rules with CheckMode.ALL), as the CLI reports them. */
        public List<Issue> issues() {
            synchronized (EsplineLanguage.this) {
                return injector.getInstance(IResourceValidator.class).validate(resource, CheckMode.ALL, CancelIndicator.NullImpl);
            }
        }

        public List<CompletionItem> completions(int offset) {
            synchronized (EsplineLanguage.this) {
                CompletionParams params = new CompletionParams(id(), document.getPosition(offset));
                return injector.getInstance(ContentAssistService.class)
                        .createCompletionList(document, resource, params, CancelIndicator.NullImpl).getItems();
            }
        }

        /** The hover text at {@code offset} (markdown or plain), or null when there is none. */
        public String hover(int offset) {
            synchronized (EsplineLanguage.this) {
                Hover hover = injector.getInstance(IHoverService.class)
                        .hover(document, resource, new HoverParams(id(), document.getPosition(offset)), CancelIndicator.NullImpl);
                if (hover == null || hover.getContents() == null) {
                    return null;
                }
                if (hover.getContents().isRight()) {
                    MarkupContent m = hover.getContents().getRight();
                    return m.getValue() == null || m.getValue().isBlank() ? null : m.getValue();
                }
                StringBuilder s = new StringBuilder();
                for (var part : hover.getContents().getLeft()) {
                    s.append(part.isLeft() ? part.getLeft() : part.getRight().getValue()).append('\n');
                }
                return s.toString().isBlank() ? null : s.toString().strip();
            }
        }

        public List<DocumentSymbol> symbols() {
            synchronized (EsplineLanguage.this) {
                return injector.getInstance(HierarchicalDocumentSymbolService.class).getSymbols(resource, CancelIndicator.NullImpl);
            }
        }

        /** The formatter's edits for the whole text (tabs, as the DSL's formatter and the examples use). */
        public List<? extends TextEdit> formatting() {
            synchronized (EsplineLanguage.this) {
                DocumentFormattingParams params = new DocumentFormattingParams(id(), new FormattingOptions(4, false));
                return injector.getInstance(FormattingService.class).format(document, resource, params, CancelIndicator.NullImpl);
            }
        }

        /** The quick fixes the language offers for one issue, each with the edits to this text. */
        public List<CodeAction> quickFixes(Issue issue) {
            synchronized (EsplineLanguage.this) {
                Diagnostic diagnostic = diagnostic(issue);
                ICodeActionService2.Options options = new ICodeActionService2.Options();
                options.setDocument(document);
                options.setResource(resource);
                options.setURI(resource.getURI().toString());
                options.setCancelIndicator(CancelIndicator.NullImpl);
                options.setLanguageServerAccess(new SingleDocumentAccess(resource, document));
                options.setCodeActionParams(new CodeActionParams(id(), diagnostic.getRange(), new CodeActionContext(List.of(diagnostic))));
                List<CodeAction> actions = new ArrayList<>();
                for (Either<org.eclipse.lsp4j.Command, CodeAction> a : injector.getInstance(ICodeActionService2.class).getCodeActions(options)) {
                    if (a.isRight()) {
                        actions.add(a.getRight());
                    }
                }
                return actions;
            }
        }

        /** The edits of {@code action} to this text (a fix never edits another file: the provider does not offer those). */
        public List<TextEdit> edits(CodeAction action) {
            List<TextEdit> edits = new ArrayList<>();
            if (action.getEdit() == null) {
                return edits;
            }
            if (action.getEdit().getChanges() != null) {
                action.getEdit().getChanges().values().forEach(edits::addAll);
            }
            if (action.getEdit().getDocumentChanges() != null) {
                for (var change : action.getEdit().getDocumentChanges()) {
                    if (change.isLeft()) {
                        for (var edit : change.getLeft().getEdits()) {
                            if (edit.isLeft()) {
                                edits.add(edit.getLeft());
                            }
                        }
                    }
                }
            }
            return edits;
        }

        private TextDocumentIdentifier id() {
            return new TextDocumentIdentifier(resource.getURI().toString());
        }

        /** The issue as the language server would publish it: the quick-fix provider reads code and data from it. */
        private Diagnostic diagnostic(Issue issue) {
            int start = Math.max(0, issue.getOffset() == null ? 0 : issue.getOffset());
            int end = Math.min(document.getContents().length(), start + Math.max(0, issue.getLength() == null ? 0 : issue.getLength()));
            Range range = new Range(document.getPosition(start), document.getPosition(end));
            Diagnostic d = new Diagnostic(range, issue.getMessage(), severity(issue.getSeverity()), "espline", issue.getCode());
            if (issue.getData() != null) {
                d.setData(issue.getData());
            }
            return d;
        }
    }

    private static DiagnosticSeverity severity(Severity s) {
        switch (s) {
            case ERROR:
                return DiagnosticSeverity.Error;
            case WARNING:
                return DiagnosticSeverity.Warning;
            default:
                return DiagnosticSeverity.Information;
        }
    }
}
