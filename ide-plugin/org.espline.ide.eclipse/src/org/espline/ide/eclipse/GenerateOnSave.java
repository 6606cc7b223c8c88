package org.espline.ide.eclipse;

import java.util.ArrayList;
import java.util.List;
import org.eclipse.core.resources.IFile;
import org.eclipse.core.resources.IResourceChangeEvent;
import org.eclipse.core.resources.IResourceChangeListener;
import org.eclipse.core.resources.IResourceDelta;
import org.eclipse.core.resources.WorkspaceJob;
import org.eclipse.core.runtime.CoreException;
import org.eclipse.core.runtime.IProgressMonitor;
import org.eclipse.core.runtime.IStatus;
import org.eclipse.core.runtime.Status;

/**
 * Generates a model when it is saved, in projects whose settings ask for it (the default). Runs as a job with the
 * project as its rule, after the save's resource change; problems are on the file as markers already.
 */
final class GenerateOnSave implements IResourceChangeListener {

    static final String JOB_FAMILY = EsplinePlugin.ID + ".generate";

    @Override
    public void resourceChanged(IResourceChangeEvent event) {
        if (event.getDelta() == null) {
            return;
        }
        List<IFile> saved = new ArrayList<>();
        try {
            event.getDelta().accept(delta -> {
                if (delta.getResource() instanceof IFile file && ModelFiles.isModel(file)
                        && (delta.getKind() == IResourceDelta.ADDED
                                || delta.getKind() == IResourceDelta.CHANGED && (delta.getFlags() & IResourceDelta.CONTENT) != 0)) {
                    saved.add(file);
                }
                return true;
            });
        } catch (CoreException e) {
            EsplinePlugin.log("cannot read a resource change", e);
        }
        for (IFile file : saved) {
            if (file.getProject().isOpen() && ProjectSettings.of(file.getProject()).generateOnSave()) {
                schedule(file);
            }
        }
    }

    private static void schedule(IFile file) {
        WorkspaceJob job = new WorkspaceJob("Generate data plane of " + file.getName()) {
            @Override
            public IStatus runInWorkspace(IProgressMonitor monitor) throws CoreException {
                if (file.exists()) {
                    ModelGeneration.generate(file, false, monitor);
                }
                return Status.OK_STATUS;
            }

            @Override
            public boolean belongsTo(Object family) {
                return JOB_FAMILY.equals(family);
            }
        };
        job.setRule(file.getProject());
        job.setSystem(true);
        job.schedule();
    }
}
