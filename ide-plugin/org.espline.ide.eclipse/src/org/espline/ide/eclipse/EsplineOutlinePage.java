package org.espline.ide.eclipse;

import java.util.List;
import org.eclipse.core.runtime.IProgressMonitor;
import org.eclipse.core.runtime.IStatus;
import org.eclipse.core.runtime.Status;
import org.eclipse.jface.text.DocumentEvent;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.IDocumentListener;
import org.eclipse.jface.viewers.IStructuredSelection;
import org.eclipse.jface.viewers.ITreeContentProvider;
import org.eclipse.jface.viewers.LabelProvider;
import org.eclipse.jface.viewers.SelectionChangedEvent;
import org.eclipse.jface.viewers.TreeViewer;
import org.eclipse.lsp4j.DocumentSymbol;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.ui.progress.UIJob;
import org.eclipse.ui.texteditor.ITextEditor;
import org.eclipse.ui.views.contentoutline.ContentOutlinePage;
import org.eclipse.xtext.ide.server.Document;

/**
 * The Outline view of an .espl editor: the language's document symbols (SAs, policies, engines, buffers, pipelines),
 * refreshed shortly after the text changes; selecting one selects its name in the editor.
 */
final class EsplineOutlinePage extends ContentOutlinePage {

    private static final int REFRESH_DELAY_MILLIS = 400;

    private final ITextEditor editor;
    private final IDocument document;
    private final IDocumentListener listener = new IDocumentListener() {
        @Override
        public void documentAboutToBeChanged(DocumentEvent event) {
        }

        @Override
        public void documentChanged(DocumentEvent event) {
            refresh.schedule(REFRESH_DELAY_MILLIS);
        }
    };
    private final UIJob refresh = new UIJob("Espline outline") {
        @Override
        public IStatus runInUIThread(IProgressMonitor monitor) {
            update();
            return Status.OK_STATUS;
        }
    };
    private Document parsedText;

    EsplineOutlinePage(ITextEditor editor) {
        this.editor = editor;
        this.document = editor.getDocumentProvider().getDocument(editor.getEditorInput());
        refresh.setSystem(true);
    }

    @Override
    public void createControl(Composite parent) {
        super.createControl(parent);
        TreeViewer viewer = getTreeViewer();
        viewer.setContentProvider(new SymbolContent());
        viewer.setLabelProvider(new LabelProvider() {
            @Override
            public String getText(Object element) {
                DocumentSymbol s = (DocumentSymbol) element;
                return s.getDetail() == null || s.getDetail().isBlank() ? s.getName() : s.getName() + " : " + s.getDetail();
            }
        });
        viewer.setAutoExpandLevel(TreeViewer.ALL_LEVELS);
        document.addDocumentListener(listener);
        update();
    }

    /** The symbols of the text as it is now. */
    void update() {
        TreeViewer viewer = getTreeViewer();
        if (viewer == null || viewer.getControl().isDisposed()) {
            return;
        }
        try {
            EsplineLanguage.Parsed parsed = EsplineLanguage.get().parse(ModelFiles.uriOf(document), document.get());
            parsedText = parsed.document();
            viewer.setInput(parsed.symbols());
        } catch (RuntimeException e) {
            EsplinePlugin.log("Espline outline failed", e);
        }
    }

    /** The names shown, depth first (tests read the outline through this). */
    List<String> names() {
        @SuppressWarnings("unchecked")
        List<DocumentSymbol> top = (List<DocumentSymbol>) getTreeViewer().getInput();
        return top == null ? List.of() : top.stream().map(DocumentSymbol::getName).toList();
    }

    @Override
    public void selectionChanged(SelectionChangedEvent event) {
        super.selectionChanged(event);
        Object first = ((IStructuredSelection) event.getSelection()).getFirstElement();
        if (first instanceof DocumentSymbol s && parsedText != null) {
            int start = parsedText.getOffSet(s.getSelectionRange().getStart());
            int end = parsedText.getOffSet(s.getSelectionRange().getEnd());
            editor.selectAndReveal(start, end - start);
        }
    }

    @Override
    public void dispose() {
        refresh.cancel();
        document.removeDocumentListener(listener);
        super.dispose();
    }

    private static final class SymbolContent implements ITreeContentProvider {
        @Override
        public Object[] getElements(Object input) {
            return input instanceof List<?> l ? l.toArray() : new Object[0];
        }

        @Override
        public Object[] getChildren(Object parent) {
            List<DocumentSymbol> children = ((DocumentSymbol) parent).getChildren();
            return children == null ? new Object[0] : children.toArray();
        }

        @Override
        public Object getParent(Object element) {
            return null;
        }

        @Override
        public boolean hasChildren(Object element) {
            List<DocumentSymbol> children = ((DocumentSymbol) element).getChildren();
            return children != null && !children.isEmpty();
        }
    }
}
