package org.espline.ide.eclipse;

import org.eclipse.jface.text.IRegion;
import org.eclipse.jface.text.ITextHover;
import org.eclipse.jface.text.ITextViewer;
import org.eclipse.jface.text.Region;

/**
 * Hover on an element's name: the language's summary of it (for an SA its mode, algorithm and SPI; the documentation
 * provider never prints key material).
 */
public final class EsplineTextHover implements ITextHover {

    @Override
    public String getHoverInfo(ITextViewer viewer, IRegion region) {
        try {
            String text = viewer.getDocument().get();
            return EsplineLanguage.get().parse(ModelFiles.uriOf(viewer.getDocument()), text).hover(region.getOffset());
        } catch (RuntimeException e) {
            EsplinePlugin.log("Espline hover failed", e);
            return null;
        }
    }

    /** The word under the mouse. */
    @Override
    public IRegion getHoverRegion(ITextViewer viewer, int offset) {
        String text = viewer.getDocument().get();
        int start = Math.min(offset, text.length());
        while (start > 0 && isNamePart(text.charAt(start - 1))) {
            start--;
        }
        int end = Math.min(offset, text.length());
        while (end < text.length() && isNamePart(text.charAt(end))) {
            end++;
        }
        return new Region(start, end - start);
    }

    private static boolean isNamePart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '^';
    }
}
