package org.espline.ide.eclipse;

import java.util.stream.Collectors;
import org.eclipse.core.resources.IFile;
import org.eclipse.core.runtime.CoreException;
import org.eclipse.core.runtime.NullProgressMonitor;
import org.eclipse.core.runtime.Status;
import org.eclipse.jface.dialogs.MessageDialog;
import org.eclipse.swt.widgets.Shell;
import org.espline.generator.Generation;

/** "Generate data plane": the model's Java into the project's generated-sources folder. */
public final class GenerateHandler extends ModelHandler {

    @Override
    void run(IFile model, Shell shell) throws CoreException {
        ModelGeneration.Result r = ModelGeneration.generate(model, true, new NullProgressMonitor());
        if (r.failed()) {
            throw new CoreException(Status.error("Nothing generated: " + model.getName() + " has errors\n"
                    + r.problems().stream().map(Object::toString).collect(Collectors.joining("\n"))));
        }
        String folder = ProjectSettings.of(model.getProject()).sourceFolder();
        String what = r.model().outcome() == Generation.Outcome.WRITTEN ? r.model().written().size() + " file(s) written"
                : "already up to date";
        if (shell != null && !Boolean.getBoolean("espline.ide.quiet")) {
            MessageDialog.openInformation(shell, "Espline", "Generated " + model.getName() + " into " + folder + ": " + what
                    + " (" + r.model().files().size() + " Java files).");
        }
    }
}
