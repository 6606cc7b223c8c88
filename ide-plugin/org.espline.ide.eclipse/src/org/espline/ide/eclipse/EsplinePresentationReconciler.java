package org.espline.ide.eclipse;

import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.presentation.PresentationReconciler;
import org.eclipse.jface.text.rules.DefaultDamagerRepairer;

/** Syntax colouring of .espl files in the generic editor (see {@link EsplineTokenScanner}). */
public final class EsplinePresentationReconciler extends PresentationReconciler {

    public EsplinePresentationReconciler() {
        DefaultDamagerRepairer dr = new DefaultDamagerRepairer(new EsplineTokenScanner());
        setDamager(dr, IDocument.DEFAULT_CONTENT_TYPE);
        setRepairer(dr, IDocument.DEFAULT_CONTENT_TYPE);
    }
}
