package org.espline.dsl.documentation;

import com.google.inject.Inject;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.eclipse.emf.common.util.Enumerator;
import org.eclipse.emf.ecore.EObject;
import org.eclipse.emf.ecore.EStructuralFeature;
import org.eclipse.xtext.documentation.IEObjectDocumentationProvider;
import org.eclipse.xtext.documentation.impl.MultiLineCommentDocumentationProvider;
import org.eclipse.xtext.nodemodel.INode;
import org.eclipse.xtext.nodemodel.util.NodeModelUtils;
import org.espline.dsl.espline.AeadAlgorithm;
import org.espline.dsl.espline.Algorithm;
import org.espline.dsl.espline.Buffers;
import org.espline.dsl.espline.CipherIntegrity;
import org.espline.dsl.espline.Engine;
import org.espline.dsl.espline.EnvironmentKey;
import org.espline.dsl.espline.EsplinePackage.Literals;
import org.espline.dsl.espline.FileKey;
import org.espline.dsl.espline.HexKey;
import org.espline.dsl.espline.Key;
import org.espline.dsl.espline.Lifetime;
import org.espline.dsl.espline.Limit;
import org.espline.dsl.espline.Offload;
import org.espline.dsl.espline.Pipeline;
import org.espline.dsl.espline.Policy;
import org.espline.dsl.espline.ProtectAction;
import org.espline.dsl.espline.SecurityAssociation;
import org.espline.dsl.espline.TransportMode;
import org.espline.dsl.espline.TunnelMode;

/**
 * The hover text of an element (Markdown): what a network engineer wants to see at a glance, then the element's
 * {@code /** … *}{@code /} comment if it has one.
 *
 * <p>An SA shows its SPI, direction, mode with endpoints, encapsulation, algorithm, where its keys come from, ESN,
 * replay window and lifetimes, but <em>never key material</em>: a literal key reads as "literal key (hidden)", so a
 * hover in a screen share or a screenshot cannot leak it. Offload targets, engines, buffers, policies and pipelines get
 * one line. Properties that are absent from the text are left out or called "not set" (an absent optional enum reads as
 * its first literal in EMF; the node model tells absence apart).
 */
public class EsplineDocumentationProvider implements IEObjectDocumentationProvider {

    @Inject
    private MultiLineCommentDocumentationProvider comments;

    @Override
    public String getDocumentation(EObject object) {
        String summary = summary(object);
        String comment = comments.getDocumentation(object);
        if (summary == null) {
            return comment;
        }
        return comment == null || comment.isBlank() ? summary : summary + "\n\n" + comment;
    }

    /** The generated summary of {@code object}, or null for elements that have none. */
    public String summary(EObject object) {
        if (object instanceof SecurityAssociation) {
            return summarize((SecurityAssociation) object);
        } else if (object instanceof Offload) {
            return summarize((Offload) object);
        } else if (object instanceof Engine) {
            return summarize((Engine) object);
        } else if (object instanceof Buffers) {
            return summarize((Buffers) object);
        } else if (object instanceof Policy) {
            return summarize((Policy) object);
        } else if (object instanceof Pipeline) {
            return summarize((Pipeline) object);
        }
        return null;
    }

    private static String summarize(SecurityAssociation sa) {
        List<String> lines = new ArrayList<>();
        lines.add(sa.getSpi() != null ? "SPI " + spi(sa.getSpi()) : "SPI not set");
        lines.add(isSet(sa, Literals.SECURITY_ASSOCIATION__DIRECTION) ? "dir " + literal(sa.getDirection())
                : "dir not set (decided by the gateway's address)");
        lines.add(mode(sa));
        lines.add(algorithm(sa.getAlgorithm()));
        lines.add("ESN " + (sa.isEsn() ? "on" : "off") + ", replay window "
                + (sa.getReplayWindow() != null ? sa.getReplayWindow() : "not set"));
        if (sa.getLifetime() != null) {
            lines.add(lifetime(sa.getLifetime()));
        }
        if (isSet(sa, Literals.SECURITY_ASSOCIATION__OFFLOAD)) {
            lines.add("offload " + text(sa, Literals.SECURITY_ASSOCIATION__OFFLOAD));
        }
        if (isSet(sa, Literals.SECURITY_ASSOCIATION__GRO)) {
            lines.add("GRO " + literal(sa.getGro()));
        }
        return "**sa** `" + known(sa.getName()) + "`\n\n" + lines.stream().map(line -> "- " + line).collect(Collectors.joining("\n"));
    }

    /** As written, with the decimal value beside a hex SPI (ip xfrm prints hex, logs often decimal). */
    private static String spi(String spi) {
        if (spi.startsWith("0x") || spi.startsWith("0X")) {
            return spi + " (" + new BigInteger(spi.substring(2), 16) + ")";
        }
        return spi;
    }

    private static String mode(SecurityAssociation sa) {
        StringBuilder mode = new StringBuilder();
        if (sa.getMode() instanceof TunnelMode) {
            TunnelMode tunnel = (TunnelMode) sa.getMode();
            mode.append("tunnel ").append(known(tunnel.getSource())).append(" → ").append(known(tunnel.getDestination()));
        } else if (sa.getMode() instanceof TransportMode) {
            mode.append("transport");
        } else {
            mode.append("mode not set");
        }
        if (sa.getEncap() != null) {
            mode.append(", ESP in UDP ").append(sa.getEncap().getSourcePort()).append(" → ")
                    .append(sa.getEncap().getDestinationPort());
        }
        return mode.toString();
    }

    private static String algorithm(Algorithm algorithm) {
        if (algorithm instanceof AeadAlgorithm) {
            AeadAlgorithm aead = (AeadAlgorithm) algorithm;
            return "aead " + literal(aead.getName()) + ", " + keySource(aead.getKey());
        } else if (algorithm instanceof CipherIntegrity) {
            CipherIntegrity pair = (CipherIntegrity) algorithm;
            String text = "enc " + literal(pair.getCipher());
            if (pair.getCipherKey() != null) {
                text += ", " + keySource(pair.getCipherKey());
            }
            if (isSet(pair, Literals.CIPHER_INTEGRITY__INTEGRITY)) {
                text += "; auth " + literal(pair.getIntegrity()) + ", " + keySource(pair.getIntegrityKey());
            } else {
                text += "; no auth";
            }
            return text;
        }
        return "algorithm not set";
    }

    /** Where the key comes from; never the key. */
    private static String keySource(Key key) {
        if (key instanceof EnvironmentKey) {
            return "key from env " + known(((EnvironmentKey) key).getVariable());
        } else if (key instanceof FileKey) {
            return "key from file \"" + known(((FileKey) key).getPath()) + "\"";
        } else if (key instanceof HexKey) {
            String hex = ((HexKey) key).getHex();
            int bytes = hex == null ? 0 : (hex.length() - 2) / 2;
            return "literal key of " + bytes + " bytes (hidden)";
        }
        return "no key";
    }

    private static String lifetime(Lifetime lifetime) {
        String soft = limits(lifetime.getSoft());
        String hard = limits(lifetime.getHard());
        return "lifetime" + (soft.isEmpty() ? "" : " soft " + soft) + (hard.isEmpty() ? "" : (soft.isEmpty() ? "" : ",")
                + " hard " + hard);
    }

    private static String limits(List<Limit> limits) {
        return limits.stream().map(limit -> known(limit.getValue()) + " " + literal(limit.getUnit()))
                .collect(Collectors.joining(" "));
    }

    private static String summarize(Offload offload) {
        List<String> parts = new ArrayList<>();
        parts.add(isSet(offload, Literals.OFFLOAD__KIND) ? literal(offload.getKind()) : "software (type not set)");
        if (offload.isTso()) {
            parts.add("TSO");
        }
        String algorithms = Stream.of(offload.getAeadAlgorithms(), offload.getCipherAlgorithms(),
                        offload.getIntegrityAlgorithms())
                .flatMap(List::stream)
                .map(Object::toString)
                .collect(Collectors.joining(" "));
        if (!algorithms.isEmpty()) {
            parts.add("algorithms " + algorithms);
        }
        if (isSet(offload, Literals.OFFLOAD__SA_TABLE_SIZE)) {
            parts.add("SA table " + offload.getSaTableSize());
        }
        if (isSet(offload, Literals.OFFLOAD__FALLBACK)) {
            parts.add("fallback " + text(offload, Literals.OFFLOAD__FALLBACK));
        }
        return oneLine("offload", offload.getName(), parts);
    }

    private static String summarize(Engine engine) {
        List<String> parts = new ArrayList<>();
        if (engine.isInline()) {
            parts.add("inline on the packet thread");
        }
        if (isSet(engine, Literals.ENGINE__WORKERS)) {
            parts.add(engine.getWorkers() + (engine.getWorkers() == 1 ? " worker" : " workers"));
        }
        if (isSet(engine, Literals.ENGINE__QUEUE_DEPTH)) {
            parts.add("queue " + engine.getQueueDepth());
        }
        if (isSet(engine, Literals.ENGINE__ORDERING)) {
            parts.add("order " + literal(engine.getOrdering()));
        }
        return oneLine("engine", engine.getName(), parts);
    }

    private static String summarize(Buffers buffers) {
        List<String> parts = new ArrayList<>();
        addIfSet(parts, buffers, Literals.BUFFERS__HEADROOM, "headroom " + buffers.getHeadroom());
        addIfSet(parts, buffers, Literals.BUFFERS__TAILROOM, "tailroom " + buffers.getTailroom());
        addIfSet(parts, buffers, Literals.BUFFERS__MTU, "MTU " + buffers.getMtu());
        addIfSet(parts, buffers, Literals.BUFFERS__MAX_FRAGMENTS, buffers.getMaxFragments() + " fragments");
        if (buffers.isReserveTrailerSlot()) {
            parts.add("trailer slot reserved");
        }
        addIfSet(parts, buffers, Literals.BUFFERS__POOL_SIZE, "pool " + buffers.getPoolSize());
        return oneLine("buffers", buffers.getName(), parts);
    }

    private static String summarize(Policy policy) {
        List<String> parts = new ArrayList<>();
        if (isSet(policy, Literals.POLICY__DIRECTION)) {
            parts.add("dir " + literal(policy.getDirection()));
        }
        parts.add(known(policy.getSource()) + " → " + known(policy.getDestination()));
        if (isSet(policy, Literals.POLICY__PROTOCOL)) {
            parts.add("proto " + literal(policy.getProtocol()));
        }
        if (policy.getAction() instanceof ProtectAction) {
            parts.add("protect " + text(policy.getAction(), Literals.PROTECT_ACTION__SA));
        } else if (policy.getAction() != null) {
            parts.add(policy.getAction().eClass().getName().replace("Action", "").toLowerCase(Locale.ROOT));
        }
        return oneLine("policy", policy.getName(), parts);
    }

    private static String summarize(Pipeline pipeline) {
        List<String> parts = new ArrayList<>();
        parts.add(literal(pipeline.getKind()));
        String stages = pipeline.getStages().stream()
                .map(stage -> stage.eClass().getName().replace("Stage", "").toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(" → "));
        parts.add(stages.isEmpty() ? "no stages" : stages);
        if (isSet(pipeline, Literals.PIPELINE__BUFFERS)) {
            parts.add("buffers " + text(pipeline, Literals.PIPELINE__BUFFERS));
        }
        return oneLine("pipeline", pipeline.getName(), parts);
    }

    private static String oneLine(String keyword, String name, List<String> parts) {
        return "**" + keyword + "** `" + known(name) + "`: " + (parts.isEmpty() ? "defaults" : String.join(", ", parts));
    }

    /** A value of a model the user is still typing may be missing. */
    private static String known(String value) {
        return value == null ? "?" : value;
    }

    private static String literal(Enumerator value) {
        return value == null ? "?" : value.getLiteral();
    }

    private static void addIfSet(List<String> parts, EObject object, EStructuralFeature feature, String text) {
        if (isSet(object, feature)) {
            parts.add(text);
        }
    }

    /** Written in the text (not a default): EMF cannot tell an absent optional enum or int from its first value. */
    private static boolean isSet(EObject object, EStructuralFeature feature) {
        return !NodeModelUtils.findNodesForFeature(object, feature).isEmpty();
    }

    /** The text of a feature as written, e.g. the name in a cross-reference that may not resolve. */
    private static String text(EObject object, EStructuralFeature feature) {
        return NodeModelUtils.findNodesForFeature(object, feature).stream()
                .map(INode::getText)
                .map(String::trim)
                .collect(Collectors.joining(" "));
    }
}
