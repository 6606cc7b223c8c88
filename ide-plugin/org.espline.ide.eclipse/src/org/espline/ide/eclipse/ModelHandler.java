package org.espline.ide.eclipse;

import org.eclipse.core.commands.AbstractHandler;
import org.eclipse.core.commands.ExecutionEvent;
import org.eclipse.core.commands.ExecutionException;
import org.eclipse.core.resources.IFile;
import org.eclipse.core.runtime.Adapters;
import org.eclipse.core.runtime.CoreException;
import org.eclipse.jface.dialogs.ErrorDialog;
import org.eclipse.jface.viewers.ISelection;
import org.eclipse.jface.viewers.IStructuredSelection;
import org.eclipse.swt.widgets.Shell;
import org.eclipse.ui.IEditorPart;
import org.eclipse.ui.IWorkbenchPart;
import org.eclipse.ui.handlers.HandlerUtil;

/**
 * A command on one model: the .espl file selected in a view, or the active editor's. A model open with unsaved changes
 * is saved first, since the generator and exports read the file.
 */
abstract class ModelHandler extends AbstractHandler {

    @Override
    public final Object execute(ExecutionEvent event) throws ExecutionException {
        IFile model = model(event);
        if (model == null) {
            throw new ExecutionException("select an ." + ModelFiles.EXTENSION + " file");
        }
        IWorkbenchPart part = HandlerUtil.getActivePart(event);
        if (part instanceof IEditorPart editor && editor.isDirty() && model.equals(editor.getEditorInput().getAdapter(IFile.class))) {
            editor.doSave(null);
        }
        Shell shell = HandlerUtil.getActiveShell(event);
        try {
            run(model, shell);
        } catch (CoreException e) {
            ErrorDialog.openError(shell, "Espline", null, e.getStatus());
        }
        return null;
    }

    abstract void run(IFile model, Shell shell) throws CoreException;

    static IFile model(ExecutionEvent event) {
        ISelection selection = HandlerUtil.getCurrentSelection(event);
        IWorkbenchPart part = HandlerUtil.getActivePart(event);
        if (part instanceof IEditorPart editor) {
            IFile f = editor.getEditorInput().getAdapter(IFile.class);
            if (ModelFiles.isModel(f)) {
                return f;
            }
        }
        if (selection instanceof IStructuredSelection s && !s.isEmpty()) {
            IFile f = Adapters.adapt(s.getFirstElement(), IFile.class);
            if (ModelFiles.isModel(f)) {
                return f;
            }
        }
        return null;
    }
}
