package org.espline.ide.eclipse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.eclipse.core.filebuffers.ITextFileBuffer;
import org.eclipse.core.filebuffers.ITextFileBufferManager;
import org.eclipse.core.resources.IFile;
import org.eclipse.core.resources.ResourcesPlugin;
import org.eclipse.core.runtime.CoreException;
import org.eclipse.emf.common.util.URI;
import org.eclipse.jface.text.IDocument;

/** Where an editor's document lives: its workspace file and the URI the language reads it (and its imports) under. */
final class ModelFiles {

    static final String EXTENSION = "espl";

    private ModelFiles() {
    }

    /** The workspace file an editor's document belongs to, or null (a document not backed by a workspace file). */
    static IFile fileOf(IDocument document) {
        ITextFileBuffer buffer = ITextFileBufferManager.DEFAULT.getTextFileBuffer(document);
        if (buffer == null || buffer.getLocation() == null) {
            return null;
        }
        IFile file = ResourcesPlugin.getWorkspace().getRoot().getFile(buffer.getLocation());
        return file.exists() ? file : null;
    }

    /** A file URI (imports resolve on disk next to it), or a placeholder for a document without a file. */
    static URI uriOf(IFile file) {
        if (file != null && file.getLocation() != null) {
            return URI.createFileURI(file.getLocation().toOSString());
        }
        return URI.createURI("inmemory:/model." + EXTENSION);
    }

    static URI uriOf(IDocument document) {
        return uriOf(fileOf(document));
    }

    static boolean isModel(IFile file) {
        return file != null && EXTENSION.equals(file.getFileExtension());
    }

    /** The text the user sees: the open editor's document when there is one, else the file on disk. */
    static String text(IFile file) throws CoreException {
        ITextFileBuffer buffer = ITextFileBufferManager.DEFAULT.getTextFileBuffer(file.getFullPath(), org.eclipse.core.filebuffers.LocationKind.IFILE);
        if (buffer != null) {
            return buffer.getDocument().get();
        }
        try (InputStream in = file.getContents(true)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CoreException(org.eclipse.core.runtime.Status.error("cannot read " + file.getFullPath() + ": " + e.getMessage(), e));
        }
    }
}
