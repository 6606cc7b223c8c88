package org.espline.ide.eclipse;

import org.eclipse.core.commands.AbstractHandler;
import org.eclipse.core.commands.ExecutionEvent;
import org.eclipse.core.commands.ExecutionException;
import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.IDocument;
import org.eclipse.ui.IEditorPart;
import org.eclipse.ui.handlers.HandlerUtil;
import org.eclipse.ui.texteditor.ITextEditor;

/** "Format": the language's formatter on the active .espl editor's text, as one undoable change per edit. */
public final class FormatHandler extends AbstractHandler {

    @Override
    public Object execute(ExecutionEvent event) throws ExecutionException {
        IEditorPart part = HandlerUtil.getActiveEditor(event);
        if (part instanceof ITextEditor editor) {
            format(editor.getDocumentProvider().getDocument(editor.getEditorInput()));
        }
        return null;
    }

    static void format(IDocument document) throws ExecutionException {
        EsplineLanguage.Parsed parsed = EsplineLanguage.get().parse(ModelFiles.uriOf(document), document.get());
        try {
            TextEdits.apply(document, parsed.document(), parsed.formatting());
        } catch (BadLocationException e) {
            throw new ExecutionException("cannot format: " + e.getMessage(), e);
        }
    }
}
