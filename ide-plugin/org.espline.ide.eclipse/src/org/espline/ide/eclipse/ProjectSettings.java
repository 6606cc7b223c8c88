package org.espline.ide.eclipse;

import org.eclipse.core.resources.IProject;
import org.eclipse.core.resources.ProjectScope;
import org.eclipse.core.runtime.preferences.IEclipsePreferences;
import org.osgi.service.prefs.BackingStoreException;

/**
 * A project's generation settings, kept in its .settings (so they travel with the project): the source folder the
 * generated Java goes to, and whether saving a model generates it.
 */
public final class ProjectSettings {

    public static final String SOURCE_FOLDER = "generatedSourceFolder";
    public static final String GENERATE_ON_SAVE = "generateOnSave";
    public static final String DEFAULT_SOURCE_FOLDER = "src-gen";

    private final IEclipsePreferences node;

    private ProjectSettings(IProject project) {
        this.node = new ProjectScope(project).getNode(EsplinePlugin.ID);
    }

    public static ProjectSettings of(IProject project) {
        return new ProjectSettings(project);
    }

    /** Project-relative path of the generated sources' folder. */
    public String sourceFolder() {
        String f = node.get(SOURCE_FOLDER, DEFAULT_SOURCE_FOLDER).strip();
        return f.isEmpty() ? DEFAULT_SOURCE_FOLDER : f;
    }

    public boolean generateOnSave() {
        return node.getBoolean(GENERATE_ON_SAVE, true);
    }

    public void set(String sourceFolder, boolean generateOnSave) {
        node.put(SOURCE_FOLDER, sourceFolder.strip());
        node.putBoolean(GENERATE_ON_SAVE, generateOnSave);
        try {
            node.flush();
        } catch (BackingStoreException e) {
            EsplinePlugin.log("cannot store the Espline settings", e);
        }
    }
}
