package org.espline.ide.eclipse;

import org.eclipse.core.resources.IFile;
import org.eclipse.core.runtime.CoreException;
import org.eclipse.core.runtime.IProgressMonitor;
import org.eclipse.jface.text.IDocument;
import org.eclipse.jface.text.IRegion;
import org.eclipse.jface.text.reconciler.DirtyRegion;
import org.eclipse.jface.text.reconciler.IReconcilingStrategy;
import org.eclipse.jface.text.reconciler.IReconcilingStrategyExtension;
import org.eclipse.jface.text.reconciler.MonoReconciler;

/**
 * Validates the editor's text as the user types (after a short pause, off the UI thread) and puts the issues on the
 * file as problem markers: the text being edited, not the saved file, is what the markers describe.
 */
public final class EsplineReconciler extends MonoReconciler {

    /** How long typing must pause before the text is validated again. */
    static final int DELAY_MILLIS = 300;

    public EsplineReconciler() {
        super(new ValidationStrategy(), false);
        setDelay(DELAY_MILLIS);
    }

    private static final class ValidationStrategy implements IReconcilingStrategy, IReconcilingStrategyExtension {
        private IDocument document;

        @Override
        public void setDocument(IDocument document) {
            this.document = document;
        }

        @Override
        public void setProgressMonitor(IProgressMonitor monitor) {
        }

        @Override
        public void initialReconcile() {
            validate();
        }

        @Override
        public void reconcile(DirtyRegion dirtyRegion, IRegion subRegion) {
            validate();
        }

        @Override
        public void reconcile(IRegion partition) {
            validate();
        }

        private void validate() {
            IDocument d = document;
            IFile file = d == null ? null : ModelFiles.fileOf(d);
            if (file == null) {
                return;
            }
            try {
                ProblemMarkers.replace(file, EsplineLanguage.get().parse(ModelFiles.uriOf(file), d.get()).issues());
            } catch (CoreException | RuntimeException e) {
                EsplinePlugin.log("cannot validate " + file.getFullPath(), e);
            }
        }
    }
}
