package org.espline.dsl.ide.quickfix;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.inject.Inject;
import com.google.inject.Provider;
import java.util.List;
import java.util.Set;
import org.eclipse.emf.ecore.EObject;
import org.eclipse.emf.ecore.EStructuralFeature;
import org.eclipse.lsp4j.Diagnostic;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.xtext.EcoreUtil2;
import org.eclipse.xtext.ide.editor.quickfix.DiagnosticResolution;
import org.eclipse.xtext.ide.editor.quickfix.DiagnosticResolutionAcceptor;
import org.eclipse.xtext.ide.editor.quickfix.IQuickFixProvider;
import org.eclipse.xtext.ide.editor.quickfix.ITextModification;
import org.eclipse.xtext.ide.server.Document;
import org.eclipse.xtext.ide.server.codeActions.ICodeActionService2;
import org.eclipse.xtext.nodemodel.ICompositeNode;
import org.eclipse.xtext.nodemodel.ILeafNode;
import org.eclipse.xtext.nodemodel.INode;
import org.eclipse.xtext.nodemodel.util.NodeModelUtils;
import org.eclipse.xtext.resource.EObjectAtOffsetHelper;
import org.eclipse.xtext.resource.XtextResource;
import org.espline.dsl.espline.Buffers;
import org.espline.dsl.espline.EsplinePackage.Literals;
import org.espline.dsl.espline.Pipeline;
import org.espline.dsl.espline.SecurityAssociation;
import org.espline.dsl.validation.EsplineIssueCodes;

/**
 * Quick fixes of Espline issues, offered through the editor-neutral code action service (so any LSP client gets them),
 * keyed by issue code and labelled with the element and value. The value a fix writes comes from the issue data
 * ({@link EsplineIssueCodes}); a fix that would have to edit another file (buffers in an imported model) is not offered.
 */
public class EsplineQuickfixProvider implements IQuickFixProvider {

    private static final Set<String> CODES = Set.of(EsplineIssueCodes.SPI_RESERVED, EsplineIssueCodes.HEADROOM_TOO_SMALL,
            EsplineIssueCodes.TAILROOM_TOO_SMALL, EsplineIssueCodes.GSO_EXCEEDS_MTU,
            EsplineIssueCodes.LIFETIME_NEEDS_ESN, EsplineIssueCodes.LITERAL_KEY);

    /** The first SPI outside RFC 4303's reserved range. */
    static final String FIRST_SPI = "0x100";

    @Inject
    private Provider<DiagnosticResolutionAcceptor> acceptors;

    @Inject
    private EObjectAtOffsetHelper objectAtOffset;

    @Override
    public boolean handlesDiagnostic(Diagnostic diagnostic) {
        return diagnostic.getCode() != null && diagnostic.getCode().isLeft() && CODES.contains(diagnostic.getCode().getLeft());
    }

    @Override
    public List<DiagnosticResolution> getResolutions(ICodeActionService2.Options options, Diagnostic diagnostic) {
        DiagnosticResolutionAcceptor acceptor = acceptors.get();
        EObject target = target(options, diagnostic);
        String value = data(diagnostic);
        if (value.isEmpty() && !EsplineIssueCodes.LIFETIME_NEEDS_ESN.equals(diagnostic.getCode().getLeft())) {
            return List.of(); // every other fix writes the value the validator computed
        }
        switch (diagnostic.getCode().getLeft()) {
            case EsplineIssueCodes.SPI_RESERVED:
                acceptor.accept("Change spi " + value + " to the first non-reserved SPI " + FIRST_SPI,
                        replace(FIRST_SPI));
                break;
            case EsplineIssueCodes.GSO_EXCEEDS_MTU:
                acceptor.accept("Set gso mss to " + value, replace(value));
                break;
            case EsplineIssueCodes.LITERAL_KEY:
                acceptor.accept("Replace the literal key with env:" + value, replace("env:" + value));
                break;
            case EsplineIssueCodes.HEADROOM_TOO_SMALL:
                acceptBuffersFix(acceptor, target, Literals.BUFFERS__HEADROOM, "headroom", value);
                break;
            case EsplineIssueCodes.TAILROOM_TOO_SMALL:
                acceptBuffersFix(acceptor, target, Literals.BUFFERS__TAILROOM, "tailroom", value);
                break;
            case EsplineIssueCodes.LIFETIME_NEEDS_ESN:
                SecurityAssociation sa = EcoreUtil2.getContainerOfType(target, SecurityAssociation.class);
                if (sa != null) {
                    acceptor.accept("Add esn to SA '" + sa.getName() + "'", (diag, object, document) -> addEsn(object, document));
                }
                break;
            default:
                break;
        }
        return acceptor.getDiagnosticResolutions(options, diagnostic);
    }

    /** Set headroom or tailroom of the pipeline's buffers, when they are in the same file. */
    private static void acceptBuffersFix(DiagnosticResolutionAcceptor acceptor, EObject target, EStructuralFeature feature,
            String keyword, String value) {
        Pipeline pipeline = EcoreUtil2.getContainerOfType(target, Pipeline.class);
        if (pipeline == null || pipeline.getBuffers() == null || pipeline.getBuffers().eIsProxy()
                || pipeline.getBuffers().eResource() != pipeline.eResource()) {
            return;
        }
        acceptor.accept("Set " + keyword + " of buffers '" + pipeline.getBuffers().getName() + "' to " + value,
                (ITextModification) (diagnostic, object, document) -> {
                    Pipeline context = EcoreUtil2.getContainerOfType(object, Pipeline.class);
                    return context == null ? List.of() : setProperty(context.getBuffers(), feature, keyword, value, document);
                });
    }

    /** Replace the value if it is written, else add {@code keyword value} as the first property. */
    private static List<TextEdit> setProperty(Buffers buffers, EStructuralFeature feature, String keyword, String value,
            Document document) {
        List<INode> nodes = NodeModelUtils.findNodesForFeature(buffers, feature);
        if (!nodes.isEmpty()) {
            INode node = nodes.get(0);
            return List.of(new TextEdit(range(document, node.getOffset(), node.getOffset() + node.getLength()), value));
        }
        return insertFirst(buffers, keyword + " " + value, document);
    }

    private static List<TextEdit> addEsn(EObject object, Document document) {
        SecurityAssociation sa = EcoreUtil2.getContainerOfType(object, SecurityAssociation.class);
        return sa == null ? List.of() : insertFirst(sa, "esn", document);
    }

    /**
     * Inserts {@code property} right after the element's '{': on a line of its own, indented like the next line, when
     * the element spans lines, else followed by a space.
     */
    private static List<TextEdit> insertFirst(EObject element, String property, Document document) {
        ICompositeNode node = NodeModelUtils.getNode(element);
        ILeafNode brace = null;
        ILeafNode next = null;
        for (ILeafNode leaf : node.getLeafNodes()) {
            if (brace == null) {
                if (!leaf.isHidden() && "{".equals(leaf.getText())) {
                    brace = leaf;
                }
            } else if (!leaf.isHidden()) {
                next = leaf;
                break;
            }
        }
        if (brace == null || next == null) {
            return List.of();
        }
        String between = document.getContents().substring(brace.getEndOffset(), next.getOffset());
        int newline = between.lastIndexOf('\n');
        String text = newline < 0 ? property + " " : property + "\n" + between.substring(newline + 1);
        return List.of(new TextEdit(range(document, next.getOffset(), next.getOffset()), text));
    }

    private static ITextModification replace(String text) {
        return (diagnostic, object, document) -> List.of(new TextEdit(diagnostic.getRange(), text));
    }

    private static Range range(Document document, int start, int end) {
        return new Range(document.getPosition(start), document.getPosition(end));
    }

    /** The element the diagnostic marks, in the resource of the request. */
    private EObject target(ICodeActionService2.Options options, Diagnostic diagnostic) {
        if (!(options.getResource() instanceof XtextResource) || options.getDocument() == null) {
            return null;
        }
        int offset = options.getDocument().getOffSet(diagnostic.getRange().getStart());
        return objectAtOffset.resolveContainedElementAt((XtextResource) options.getResource(), offset);
    }

    /**
     * The first issue datum: a String[] when the diagnostic comes straight from the validator, a JSON array when a
     * client sent it back over the wire.
     */
    static String data(Diagnostic diagnostic) {
        Object data = diagnostic.getData();
        if (data instanceof String[] && ((String[]) data).length > 0) {
            return ((String[]) data)[0];
        }
        if (data instanceof JsonArray && ((JsonArray) data).size() > 0) {
            return ((JsonArray) data).get(0).getAsString();
        }
        if (data instanceof JsonElement && ((JsonElement) data).isJsonPrimitive()) {
            return ((JsonElement) data).getAsString();
        }
        if (data instanceof List && !((List<?>) data).isEmpty()) {
            return String.valueOf(((List<?>) data).get(0));
        }
        return "";
    }
}
