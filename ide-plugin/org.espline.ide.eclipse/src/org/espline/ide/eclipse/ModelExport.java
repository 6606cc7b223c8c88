package org.espline.ide.eclipse;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.eclipse.core.resources.IFile;
import org.eclipse.core.runtime.CoreException;
import org.eclipse.core.runtime.IProgressMonitor;
import org.eclipse.core.runtime.Status;
import org.espline.cli.Main;

/**
 * {@code espline export xfrm|wireshark} on a saved model, run in-process, written next to the model: NAME.xfrm.sh
 * (ip xfrm commands) or NAME.esp_sa (Wireshark's ESP SA table). Both hold the keys as literals, as the CLI's output does.
 */
public final class ModelExport {

    public enum Format {
        XFRM("xfrm", ".xfrm.sh"), WIRESHARK("wireshark", ".esp_sa");

        final String command;
        final String suffix;

        Format(String command, String suffix) {
            this.command = command;
            this.suffix = suffix;
        }
    }

    /** The written file and what the export said on stderr besides (SAs Wireshark cannot decrypt, for one). */
    public record Result(IFile file, String notes) {
    }

    private ModelExport() {
    }

    /** @throws CoreException with the model's problems as the CLI prints them, when the model has errors */
    public static Result export(IFile model, Format format, IProgressMonitor monitor) throws CoreException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Main.run(new String[] { "export", format.command, model.getLocation().toOSString() }, o, e);
        }
        String notes = err.toString(StandardCharsets.UTF_8).strip();
        if (status != 0) {
            throw new CoreException(Status.error("espline export " + format.command + " failed:\n" + notes));
        }
        String base = model.getName().substring(0, model.getName().length() - model.getFileExtension().length() - 1);
        IFile target = model.getParent().getFile(new org.eclipse.core.runtime.Path(base + format.suffix));
        ByteArrayInputStream contents = new ByteArrayInputStream(out.toByteArray());
        if (target.exists()) {
            target.setContents(contents, true, true, monitor);
        } else {
            target.create(contents, true, monitor);
        }
        return new Result(target, notes);
    }
}
