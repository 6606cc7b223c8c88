package org.espline.ide.eclipse;

import java.nio.file.Path;
import java.util.List;
import org.eclipse.core.resources.IFile;
import org.eclipse.core.resources.IFolder;
import org.eclipse.core.resources.IProject;
import org.eclipse.core.resources.IResource;
import org.eclipse.core.runtime.CoreException;
import org.eclipse.core.runtime.IProgressMonitor;
import org.espline.dsl.runtime.ModelProblem;
import org.espline.generator.Generation;

/**
 * Generates a model's data plane into its project's generated-sources folder with the generator that
 * {@code espline generate} and the Maven plugin use (same code, same stamps: an unchanged model is not even loaded).
 * Reads the saved file.
 */
public final class ModelGeneration {

    /** What a run did: the generator's outcome for the model, and every problem it reported. */
    public record Result(Generation.ModelResult model, List<ModelProblem> problems) {
        public boolean failed() {
            return model.outcome() == Generation.Outcome.FAILED;
        }
    }

    private ModelGeneration() {
    }

    /**
     * @param packageRequired true when the user asked for this model (no {@code package} is then an error); false on
     *        save, where a model that only holds shared elements is skipped
     */
    public static Result generate(IFile model, boolean packageRequired, IProgressMonitor monitor) throws CoreException {
        IProject project = model.getProject();
        IFolder out = project.getFolder(ProjectSettings.of(project).sourceFolder());
        Path stamps = project.getWorkingLocation(EsplinePlugin.ID).append("stamps").toFile().toPath();
        Generation generation = new Generation(out.getLocation().toFile().toPath(), stamps);
        Generation.ModelResult result;
        try {
            result = generation.generate(model.getLocation().toFile().toPath(), packageRequired);
        } catch (java.io.UncheckedIOException e) {
            throw new CoreException(org.eclipse.core.runtime.Status.error(e.getMessage(), e));
        }
        out.refreshLocal(IResource.DEPTH_INFINITE, monitor);
        return new Result(result, generation.problems());
    }
}
