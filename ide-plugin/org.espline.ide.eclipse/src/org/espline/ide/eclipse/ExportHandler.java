package org.espline.ide.eclipse;

import org.eclipse.core.resources.IFile;
import org.eclipse.core.runtime.CoreException;
import org.eclipse.core.runtime.NullProgressMonitor;
import org.eclipse.jface.dialogs.MessageDialog;
import org.eclipse.swt.widgets.Shell;

/** "Export to ip xfrm" and "Export Wireshark esp_sa": one handler class per format, for plugin.xml. */
abstract class ExportHandler extends ModelHandler {

    private final ModelExport.Format format;

    ExportHandler(ModelExport.Format format) {
        this.format = format;
    }

    @Override
    void run(IFile model, Shell shell) throws CoreException {
        ModelExport.Result r = ModelExport.export(model, format, new NullProgressMonitor());
        if (shell != null && !Boolean.getBoolean("espline.ide.quiet")) {
            MessageDialog.openInformation(shell, "Espline", "Wrote " + r.file().getFullPath()
                    + " (it holds the keys: keep it out of version control)." + (r.notes().isEmpty() ? "" : "\n\n" + r.notes()));
        }
    }

    public static final class Xfrm extends ExportHandler {
        public Xfrm() {
            super(ModelExport.Format.XFRM);
        }
    }

    public static final class Wireshark extends ExportHandler {
        public Wireshark() {
            super(ModelExport.Format.WIRESHARK);
        }
    }
}
