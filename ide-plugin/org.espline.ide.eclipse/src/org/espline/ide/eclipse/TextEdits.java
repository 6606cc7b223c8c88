package org.espline.ide.eclipse;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.eclipse.core.filebuffers.ITextFileBuffer;
import org.eclipse.core.filebuffers.ITextFileBufferManager;
import org.eclipse.core.filebuffers.LocationKind;
import org.eclipse.core.resources.IFile;
import org.eclipse.core.runtime.CoreException;
import org.eclipse.jface.text.BadLocationException;
import org.eclipse.jface.text.IDocument;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.xtext.ide.server.Document;

/** Applies the language's LSP text edits (formatting, quick fixes) to an Eclipse document or file. */
final class TextEdits {

    private TextEdits() {
    }

    /** Applies {@code edits}, computed on {@code parsed}, to {@code document}, last first so offsets stay valid. */
    static void apply(IDocument document, Document parsed, List<? extends TextEdit> edits) throws BadLocationException {
        List<TextEdit> sorted = new ArrayList<>(edits);
        sorted.sort(Comparator.comparing((TextEdit e) -> parsed.getOffSet(e.getRange().getStart())).reversed());
        for (TextEdit e : sorted) {
            int start = parsed.getOffSet(e.getRange().getStart());
            int end = parsed.getOffSet(e.getRange().getEnd());
            document.replace(start, end - start, e.getNewText());
        }
    }

    /**
     * Applies edits to a file: in its open editor's document when there is one (the user saves), else to the file
     * through a file buffer that is saved at once.
     */
    static void apply(IFile file, Document parsed, List<? extends TextEdit> edits) throws CoreException, BadLocationException {
        ITextFileBufferManager manager = ITextFileBufferManager.DEFAULT;
        manager.connect(file.getFullPath(), LocationKind.IFILE, null);
        try {
            ITextFileBuffer buffer = manager.getTextFileBuffer(file.getFullPath(), LocationKind.IFILE);
            boolean wasDirty = buffer.isDirty();
            apply(buffer.getDocument(), parsed, edits);
            if (!wasDirty && !buffer.isShared()) {
                buffer.commit(null, true);
            }
        } finally {
            manager.disconnect(file.getFullPath(), LocationKind.IFILE, null);
        }
    }
}
