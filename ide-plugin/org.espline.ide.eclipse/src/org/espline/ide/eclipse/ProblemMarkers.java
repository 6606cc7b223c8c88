package org.espline.ide.eclipse;

import java.util.List;
import org.eclipse.core.resources.IFile;
import org.eclipse.core.resources.IMarker;
import org.eclipse.core.resources.IResource;
import org.eclipse.core.resources.IWorkspace;
import org.eclipse.core.resources.ResourcesPlugin;
import org.eclipse.core.runtime.CoreException;
import org.eclipse.xtext.diagnostics.Severity;
import org.eclipse.xtext.validation.Issue;

/**
 * The language's validation issues as problem markers on the model file (the Problems view and the editor's ruler
 * show them). Each marker keeps the issue code, which the quick fixes look up.
 */
final class ProblemMarkers {

    static final String TYPE = EsplinePlugin.ID + ".problem";
    static final String CODE = "issueCode";

    private ProblemMarkers() {
    }

    /** Replaces the file's markers with {@code issues}, in one workspace operation. */
    static void replace(IFile file, List<Issue> issues) throws CoreException {
        IWorkspace workspace = ResourcesPlugin.getWorkspace();
        workspace.run(monitor -> {
            if (!file.exists()) {
                return;
            }
            file.deleteMarkers(TYPE, false, IResource.DEPTH_ZERO);
            for (Issue issue : issues) {
                IMarker m = file.createMarker(TYPE);
                m.setAttribute(IMarker.MESSAGE, issue.getMessage());
                m.setAttribute(IMarker.SEVERITY, severity(issue.getSeverity()));
                if (issue.getLineNumber() != null) {
                    m.setAttribute(IMarker.LINE_NUMBER, issue.getLineNumber().intValue());
                }
                if (issue.getOffset() != null && issue.getLength() != null) {
                    m.setAttribute(IMarker.CHAR_START, issue.getOffset().intValue());
                    m.setAttribute(IMarker.CHAR_END, issue.getOffset().intValue() + issue.getLength().intValue());
                }
                if (issue.getCode() != null) {
                    m.setAttribute(CODE, issue.getCode());
                }
                m.setAttribute(IMarker.SOURCE_ID, "Espline");
            }
        }, workspace.getRuleFactory().markerRule(file), IWorkspace.AVOID_UPDATE, null);
    }

    private static int severity(Severity s) {
        switch (s) {
            case ERROR:
                return IMarker.SEVERITY_ERROR;
            case WARNING:
                return IMarker.SEVERITY_WARNING;
            default:
                return IMarker.SEVERITY_INFO;
        }
    }
}
