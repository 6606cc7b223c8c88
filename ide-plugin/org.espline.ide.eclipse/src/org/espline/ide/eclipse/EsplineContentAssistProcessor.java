package org.espline.ide.eclipse;

import java.util.ArrayList;
import java.util.List;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.ITextViewer;
import org.eclipse.jface.text.contentassist.CompletionProposal;
import org.eclipse.jface.text.contentassist.ICompletionProposal;
import org.eclipse.jface.text.contentassist.IContentAssistProcessor;
import org.eclipse.jface.text.contentassist.IContextInformation;
import org.eclipse.jface.text.contentassist.IContextInformationValidator;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.xtext.ide.server.Document;

/**
 * Content assist from the language's IDE-neutral proposal provider (keywords, the algorithm names valid at the cursor,
 * the names of SAs, engines, offloads and buffers in scope), as {@code espline lsp} offers them.
 */
public final class EsplineContentAssistProcessor implements IContentAssistProcessor {

    private String errorMessage;

    @Override
    public ICompletionProposal[] computeCompletionProposals(ITextViewer viewer, int offset) {
        errorMessage = null;
        IDocument document = viewer.getDocument();
        try {
            return proposals(document, offset).toArray(ICompletionProposal[]::new);
        } catch (RuntimeException e) {
            errorMessage = "Espline content assist failed: " + e;
            EsplinePlugin.log(errorMessage, e);
            return new ICompletionProposal[0];
        }
    }

    /** The proposals at {@code offset}, each replacing the prefix the language server's edit names. */
    static List<ICompletionProposal> proposals(IDocument document, int offset) {
        EsplineLanguage.Parsed parsed = EsplineLanguage.get().parse(ModelFiles.uriOf(document), document.get());
        Document text = parsed.document();
        List<ICompletionProposal> proposals = new ArrayList<>();
        for (CompletionItem item : parsed.completions(offset)) {
            String insert = item.getInsertText() != null ? item.getInsertText() : item.getLabel();
            int start = offset;
            int length = 0;
            if (item.getTextEdit() != null && item.getTextEdit().isLeft()) {
                TextEdit edit = item.getTextEdit().getLeft();
                start = text.getOffSet(edit.getRange().getStart());
                length = text.getOffSet(edit.getRange().getEnd()) - start;
                insert = edit.getNewText();
            }
            String display = item.getDetail() == null || item.getDetail().isBlank() ? item.getLabel()
                    : item.getLabel() + " - " + item.getDetail();
            String info = item.getDocumentation() == null ? null
                    : item.getDocumentation().isLeft() ? item.getDocumentation().getLeft() : item.getDocumentation().getRight().getValue();
            proposals.add(new CompletionProposal(insert, start, length, insert.length(), null, display, null, info));
        }
        return proposals;
    }

    @Override
    public IContextInformation[] computeContextInformation(ITextViewer viewer, int offset) {
        return null;
    }

    @Override
    public char[] getCompletionProposalAutoActivationCharacters() {
        return null;
    }

    @Override
    public char[] getContextInformationAutoActivationCharacters() {
        return null;
    }

    @Override
    public String getErrorMessage() {
        return errorMessage;
    }

    @Override
    public IContextInformationValidator getContextInformationValidator() {
        return null;
    }
}
