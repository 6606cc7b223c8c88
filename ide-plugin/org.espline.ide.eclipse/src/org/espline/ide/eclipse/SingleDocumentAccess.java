package org.espline.ide.eclipse;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.eclipse.emf.common.util.URI;
import org.eclipse.emf.ecore.resource.ResourceSet;
import org.eclipse.lsp4j.InitializeParams;
import org.eclipse.lsp4j.InitializeResult;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.xtext.ide.server.Document;
import org.eclipse.xtext.ide.server.ILanguageServerAccess;
import org.eclipse.xtext.resource.IResourceDescriptions;
import org.eclipse.xtext.resource.XtextResource;
import org.eclipse.xtext.resource.impl.ResourceDescriptionsProvider;
import org.eclipse.xtext.util.CancelIndicator;

/**
 * What Xtext's quick-fix code action service asks a language server for (a read of the document under fix, the index),
 * answered from the one parsed text and its resource set: in Eclipse there is no server, and a fix never reads another
 * document.
 */
final class SingleDocumentAccess implements ILanguageServerAccess {

    private final XtextResource resource;
    private final Document document;

    SingleDocumentAccess(XtextResource resource, Document document) {
        this.resource = resource;
        this.document = document;
    }

    @Override
    public <T> T doSyncRead(String uri, Function<Context, T> function) {
        if (!resource.getURI().toString().equals(uri)) {
            throw new IllegalArgumentException("a quick fix asked for " + uri + ", not the document it fixes: " + resource.getURI());
        }
        return function.apply(new Context(resource, document, true, CancelIndicator.NullImpl));
    }

    @Override
    public <T> CompletableFuture<T> doRead(String uri, Function<Context, T> function) {
        return CompletableFuture.completedFuture(doSyncRead(uri, function));
    }

    /** The index of what the document's resource set holds: the model and the models it imports. */
    @Override
    public <T> CompletableFuture<T> doReadIndex(Function<? super IndexContext, ? extends T> function) {
        IResourceDescriptions index = resource.getResourceServiceProvider().get(ResourceDescriptionsProvider.class)
                .getResourceDescriptions(resource.getResourceSet());
        return CompletableFuture.completedFuture(function.apply(new IndexContext(index, CancelIndicator.NullImpl)));
    }

    @Override
    public void addBuildListener(IBuildListener listener) {
    }

    @Override
    public LanguageClient getLanguageClient() {
        return null;
    }

    @Override
    public ResourceSet newLiveScopeResourceSet(URI uri) {
        return resource.getResourceSet();
    }

    @Override
    public InitializeParams getInitializeParams() {
        return new InitializeParams();
    }

    @Override
    public InitializeResult getInitializeResult() {
        return new InitializeResult();
    }
}
