package org.espline.ide.eclipse;

import org.eclipse.core.resources.IProject;
import org.eclipse.core.runtime.Adapters;
import org.eclipse.swt.SWT;
import org.eclipse.swt.layout.GridData;
import org.eclipse.swt.layout.GridLayout;
import org.eclipse.swt.widgets.Button;
import org.eclipse.swt.widgets.Composite;
import org.eclipse.swt.widgets.Control;
import org.eclipse.swt.widgets.Label;
import org.eclipse.swt.widgets.Text;
import org.eclipse.ui.dialogs.PropertyPage;

/** Project properties, "Espline": the generated sources' folder and generation on save. */
public final class ProjectPropertyPage extends PropertyPage {

    private Text folder;
    private Button onSave;

    @Override
    protected Control createContents(Composite parent) {
        ProjectSettings settings = ProjectSettings.of(project());
        Composite c = new Composite(parent, SWT.NONE);
        c.setLayout(new GridLayout(2, false));
        new Label(c, SWT.NONE).setText("Generated sources folder:");
        folder = new Text(c, SWT.BORDER);
        folder.setText(settings.sourceFolder());
        folder.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false));
        onSave = new Button(c, SWT.CHECK);
        onSave.setText("Generate the data plane when a model is saved");
        onSave.setSelection(settings.generateOnSave());
        onSave.setLayoutData(new GridData(SWT.FILL, SWT.CENTER, true, false, 2, 1));
        return c;
    }

    @Override
    protected void performDefaults() {
        folder.setText(ProjectSettings.DEFAULT_SOURCE_FOLDER);
        onSave.setSelection(true);
        super.performDefaults();
    }

    @Override
    public boolean performOk() {
        ProjectSettings.of(project()).set(folder.getText(), onSave.getSelection());
        return true;
    }

    private IProject project() {
        return Adapters.adapt(getElement(), IProject.class);
    }
}
