package org.espline.ide.eclipse;

import java.util.ArrayList;
import java.util.List;
import org.eclipse.core.resources.IFile;
import org.eclipse.core.resources.IMarker;
import org.eclipse.core.runtime.CoreException;
import org.eclipse.jface.text.BadLocationException;
import org.eclipse.lsp4j.CodeAction;
import org.eclipse.ui.IMarkerResolution;
import org.eclipse.ui.IMarkerResolution2;
import org.eclipse.ui.IMarkerResolutionGenerator2;
import org.eclipse.swt.graphics.Image;
import org.eclipse.xtext.validation.Issue;

/**
 * Quick fixes (Problems view, Ctrl+1 on a marker) from the language's code actions: the file's current text is
 * validated again, the issue behind the marker found by code and offset, and each fix the language proposes for it is
 * offered under the language's own label ("Set headroom of buffers 'wan' to 44").
 */
public final class EsplineMarkerResolutions implements IMarkerResolutionGenerator2 {

    @Override
    public boolean hasResolutions(IMarker marker) {
        return marker.getAttribute(ProblemMarkers.CODE, null) != null;
    }

    @Override
    public IMarkerResolution[] getResolutions(IMarker marker) {
        try {
            return resolutions(marker).toArray(IMarkerResolution[]::new);
        } catch (CoreException | RuntimeException e) {
            EsplinePlugin.log("cannot compute quick fixes", e);
            return new IMarkerResolution[0];
        }
    }

    static List<IMarkerResolution2> resolutions(IMarker marker) throws CoreException {
        String code = marker.getAttribute(ProblemMarkers.CODE, null);
        if (!(marker.getResource() instanceof IFile file) || code == null) {
            return List.of();
        }
        int start = marker.getAttribute(IMarker.CHAR_START, -1);
        EsplineLanguage.Parsed parsed = EsplineLanguage.get().parse(ModelFiles.uriOf(file), ModelFiles.text(file));
        List<IMarkerResolution2> fixes = new ArrayList<>();
        for (Issue issue : parsed.issues()) {
            if (code.equals(issue.getCode()) && (start < 0 || issue.getOffset() != null && issue.getOffset() == start)) {
                for (CodeAction action : parsed.quickFixes(issue)) {
                    fixes.add(new Fix(file, parsed, action));
                }
                break;
            }
        }
        return fixes;
    }

    private static final class Fix implements IMarkerResolution2 {
        private final IFile file;
        private final EsplineLanguage.Parsed parsed;
        private final CodeAction action;

        Fix(IFile file, EsplineLanguage.Parsed parsed, CodeAction action) {
            this.file = file;
            this.parsed = parsed;
            this.action = action;
        }

        @Override
        public String getLabel() {
            return action.getTitle();
        }

        @Override
        public String getDescription() {
            return action.getTitle();
        }

        @Override
        public Image getImage() {
            return null;
        }

        @Override
        public void run(IMarker marker) {
            try {
                TextEdits.apply(file, parsed.document(), parsed.edits(action));
            } catch (CoreException | BadLocationException e) {
                EsplinePlugin.log("cannot apply the quick fix '" + action.getTitle() + "'", e);
            }
        }
    }
}
