package org.espline.ide.eclipse;

import org.eclipse.core.resources.IResourceChangeEvent;
import org.eclipse.core.resources.ResourcesPlugin;
import org.eclipse.core.runtime.IStatus;
import org.eclipse.core.runtime.Status;
import org.eclipse.ui.plugin.AbstractUIPlugin;
import org.osgi.framework.BundleContext;

/** The bundle's life: generation on save listens to the workspace while the bundle is active. */
public final class EsplinePlugin extends AbstractUIPlugin {

    public static final String ID = "org.espline.ide.eclipse";

    private static EsplinePlugin plugin;

    private GenerateOnSave generateOnSave;

    @Override
    public void start(BundleContext context) throws Exception {
        super.start(context);
        plugin = this;
        generateOnSave = new GenerateOnSave();
        ResourcesPlugin.getWorkspace().addResourceChangeListener(generateOnSave, IResourceChangeEvent.POST_CHANGE);
    }

    @Override
    public void stop(BundleContext context) throws Exception {
        ResourcesPlugin.getWorkspace().removeResourceChangeListener(generateOnSave);
        plugin = null;
        super.stop(context);
    }

    public static EsplinePlugin getDefault() {
        return plugin;
    }

    static void log(String message, Throwable t) {
        EsplinePlugin p = plugin;
        if (p != null) {
            p.getLog().log(new Status(IStatus.ERROR, ID, message, t));
        }
    }
}
