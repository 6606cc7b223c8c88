package org.espline.ide.eclipse;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.eclipse.core.resources.IFile;
import org.eclipse.jface.viewers.IStructuredSelection;
import org.eclipse.jface.wizard.Wizard;
import org.eclipse.ui.INewWizard;
import org.eclipse.ui.IWorkbench;
import org.eclipse.ui.PartInitException;
import org.eclipse.ui.dialogs.WizardNewFileCreationPage;
import org.eclipse.ui.ide.IDE;

/**
 * "New Espline model": a starter model (a transport-mode SA pair with its policies, an engine, buffers, an egress and
 * an ingress pipeline) that validates clean and generates, its package named after the file.
 */
public final class NewModelWizard extends Wizard implements INewWizard {

    private IWorkbench workbench;
    private IStructuredSelection selection;
    private WizardNewFileCreationPage page;
    private IFile created;

    @Override
    public void init(IWorkbench workbench, IStructuredSelection selection) {
        this.workbench = workbench;
        this.selection = selection;
        setWindowTitle("New Espline model");
        setNeedsProgressMonitor(true);
    }

    @Override
    public void addPages() {
        page = new WizardNewFileCreationPage("model", selection) {
            @Override
            protected InputStream getInitialContents() {
                return new ByteArrayInputStream(starterModel(getFileName()).getBytes(StandardCharsets.UTF_8));
            }
        };
        page.setTitle("Espline model");
        page.setDescription("Create an .espl model of an ESP data plane.");
        page.setFileExtension(ModelFiles.EXTENSION);
        page.setFileName("model." + ModelFiles.EXTENSION);
        addPage(page);
    }

    @Override
    public boolean performFinish() {
        created = page.createNewFile();
        if (created == null) {
            return false;
        }
        if (workbench != null && workbench.getActiveWorkbenchWindow() != null) {
            try {
                IDE.openEditor(workbench.getActiveWorkbenchWindow().getActivePage(), created);
            } catch (PartInitException e) {
                EsplinePlugin.log("cannot open " + created.getFullPath(), e);
            }
        }
        return true;
    }

    /** The file the last finish created. */
    public IFile created() {
        return created;
    }

    /** The page (tests fill it in as a user would). */
    public WizardNewFileCreationPage page() {
        return page;
    }

    /** The starter text for a file name: the package is the name in lower case, as a Java identifier. */
    public static String starterModel(String fileName) {
        String base = fileName.endsWith("." + ModelFiles.EXTENSION)
                ? fileName.substring(0, fileName.length() - ModelFiles.EXTENSION.length() - 1) : fileName;
        StringBuilder pkg = new StringBuilder();
        for (char c : base.toLowerCase(Locale.ROOT).toCharArray()) {
            pkg.append(Character.isLetterOrDigit(c) && c < 128 ? c : '_');
        }
        if (pkg.length() == 0 || !Character.isLetter(pkg.charAt(0))) {
            pkg.insert(0, "model_");
        }
        try (InputStream in = NewModelWizard.class.getResourceAsStream("/templates/starter.espl")) {
            if (in == null) {
                throw new IllegalStateException("the plugin lacks templates/starter.espl");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("${package}", pkg);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
