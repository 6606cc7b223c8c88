package org.espline.dsl.formatting2;

import java.util.List;
import org.eclipse.emf.ecore.EObject;
import org.eclipse.xtext.formatting2.AbstractFormatter2;
import org.eclipse.xtext.formatting2.IFormattableDocument;
import org.eclipse.xtext.formatting2.regionaccess.ISemanticRegion;
import org.eclipse.xtext.resource.XtextResource;
import org.espline.dsl.espline.Buffers;
import org.espline.dsl.espline.CipherIntegrity;
import org.espline.dsl.espline.Element;
import org.espline.dsl.espline.Engine;
import org.espline.dsl.espline.EnvironmentKey;
import org.espline.dsl.espline.FileKey;
import org.espline.dsl.espline.Import;
import org.espline.dsl.espline.Model;
import org.espline.dsl.espline.Offload;
import org.espline.dsl.espline.Pipeline;
import org.espline.dsl.espline.Policy;
import org.espline.dsl.espline.PortRange;
import org.espline.dsl.espline.SecurityAssociation;
import org.espline.dsl.espline.Stage;

/**
 * Lays an {@code .espl} model out the way the example models are written.
 *
 * <ul>
 * <li>a single space between tokens, none around the {@code :} of {@code env:NAME} / {@code file:"path"}, the
 * {@code -} of a port range (the package name is one token to the formatter: it stays as written);</li>
 * <li>{@code package}, then the imports one per line, then the elements, each group and each element separated by one
 * blank line;</li>
 * <li>inside {@code { }} one indentation level (the {@code indentation} preference: a tab by default, or what the
 * editor asks for, e.g. four spaces when a language client sends {@code insertSpaces}), one property per line; an
 * SA's {@code auth} has its own line below {@code enc}; a pipeline's stages are one per line;</li>
 * <li>the file ends with one line break.</li>
 * </ul>
 *
 * Comments stay where they are; the formatter only changes whitespace, and leaves a model with syntax errors alone.
 */
public class EsplineFormatter extends AbstractFormatter2 {

    /** Keywords that begin a line in an SA block (the other properties are objects of their own). */
    private static final String[] SA_PROPERTIES = {
        "spi", "dir", "mode", "esn", "replay-window", "replay-seq", "replay-oseq", "offload", "gro", "tfc-pad",
    };

    private static final String[] POLICY_PROPERTIES = {"dir", "src", "proto", "sport", "dport"};

    private static final String[] OFFLOAD_PROPERTIES = {
        "type", "tso", "algorithms", "sa-table", "fallback", "latency-us", "workers", "ring",
    };

    private static final String[] ENGINE_PROPERTIES = {"inline", "workers", "queue", "order"};

    private static final String[] BUFFERS_PROPERTIES = {
        "headroom", "tailroom", "mtu", "fragments", "reserve-trailer-slot", "pool",
    };

    private static final String[] PIPELINE_PROPERTIES = {"buffers", "batch", "from", "to"};

    @Override
    public void format(Object object, IFormattableDocument document) {
        if (object instanceof Model) {
            formatModel((Model) object, document);
        } else if (object instanceof SecurityAssociation) {
            formatSecurityAssociation((SecurityAssociation) object, document);
        } else if (object instanceof Policy) {
            formatBlock((Policy) object, POLICY_PROPERTIES, document);
            document.prepend(((Policy) object).getAction(), f -> f.newLine());
        } else if (object instanceof Offload) {
            formatBlock((Offload) object, OFFLOAD_PROPERTIES, document);
        } else if (object instanceof Engine) {
            formatBlock((Engine) object, ENGINE_PROPERTIES, document);
        } else if (object instanceof Buffers) {
            formatBlock((Buffers) object, BUFFERS_PROPERTIES, document);
        } else if (object instanceof Pipeline) {
            formatPipeline((Pipeline) object, document);
        } else if (object instanceof EnvironmentKey || object instanceof FileKey) {
            document.surround(textRegionExtensions.regionFor((EObject) object).keyword(":"), f -> f.noSpace());
        } else if (object instanceof PortRange) {
            document.surround(textRegionExtensions.regionFor((EObject) object).keyword("-"), f -> f.noSpace());
        } else if (object instanceof XtextResource) {
            _format((XtextResource) object, document);
        } else if (object instanceof EObject) {
            _format((EObject) object, document);
        } else if (object == null) {
            _format((Void) null, document);
        } else {
            _format(object, document);
        }
    }

    private void formatModel(Model model, IFormattableDocument document) {
        if (getTextRegionAccess().hasSyntaxError()) {
            // The parser's error recovery may have put tokens into the wrong element; formatting would rearrange text
            // the user is still typing. Nothing changes until the model parses.
            return;
        }
        // Everything not said otherwise below: one space. Low priority, so every rule below wins over it.
        for (ISemanticRegion region : textRegionExtensions.allSemanticRegions(model)) {
            document.append(region, f -> {
                f.oneSpace();
                f.lowPriority();
            });
        }
        // The first token keeps the leading comments; the last one ends the file with a line break.
        ISemanticRegion end = lastSemanticRegion(model);
        if (end != null) {
            document.append(end, f -> f.setNewLines(1));
        }

        boolean first = textRegionExtensions.regionFor(model).keyword("package") == null;
        List<Import> imports = model.getImports();
        for (int i = 0; i < imports.size(); i++) {
            int newLines = i > 0 ? 1 : first ? 0 : 2;
            document.prepend(imports.get(i), f -> f.setNewLines(newLines));
            first = false;
        }
        for (Element element : model.getElements()) {
            if (first) {
                document.prepend(element, f -> f.noSpace());
                first = false;
            } else {
                document.prepend(element, f -> f.setNewLines(2));
            }
            document.format(element);
        }
    }

    private void formatSecurityAssociation(SecurityAssociation sa, IFormattableDocument document) {
        formatBlock(sa, SA_PROPERTIES, document);
        for (EObject property : new EObject[] {sa.getEncap(), sa.getAlgorithm(), sa.getLifetime()}) {
            if (property != null) {
                document.prepend(property, f -> f.newLine());
            }
        }
        if (sa.getAlgorithm() instanceof CipherIntegrity) {
            document.prepend(textRegionExtensions.regionFor(sa.getAlgorithm()).keyword("auth"), f -> f.newLine());
        }
    }

    private void formatPipeline(Pipeline pipeline, IFormattableDocument document) {
        formatBlock(pipeline, PIPELINE_PROPERTIES, document);
        for (Stage stage : pipeline.getStages()) {
            document.prepend(stage, f -> f.newLine());
        }
    }

    /** {@code name {}} with the block's contents indented, each of the given keywords at the start of a line. */
    private void formatBlock(EObject block, String[] lineStarters, IFormattableDocument document) {
        ISemanticRegion open = textRegionExtensions.regionFor(block).keyword("{");
        ISemanticRegion close = textRegionExtensions.regionFor(block).keyword("}");
        document.prepend(open, f -> f.oneSpace());
        document.append(open, f -> f.newLine());
        document.prepend(close, f -> f.newLine());
        document.interior(open, close, f -> f.indent());
        for (ISemanticRegion keyword : textRegionExtensions.regionFor(block).keywords(lineStarters)) {
            document.prepend(keyword, f -> f.newLine());
        }
        for (EObject child : block.eContents()) {
            document.format(child);
        }
    }

    private ISemanticRegion lastSemanticRegion(Model model) {
        ISemanticRegion last = null;
        for (ISemanticRegion region : textRegionExtensions.allSemanticRegions(model)) {
            last = region;
        }
        return last;
    }
}
