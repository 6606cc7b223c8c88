package org.espline.dsl.runtime;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import com.google.inject.Injector;
import org.eclipse.emf.common.util.URI;
import org.eclipse.emf.common.util.WrappedException;
import org.eclipse.emf.ecore.EObject;
import org.eclipse.emf.ecore.EStructuralFeature;
import org.eclipse.emf.ecore.resource.Resource;
import org.eclipse.emf.ecore.util.EcoreUtil;
import org.eclipse.xtext.nodemodel.INode;
import org.eclipse.xtext.nodemodel.util.NodeModelUtils;
import org.eclipse.xtext.resource.XtextResourceSet;
import org.eclipse.xtext.util.CancelIndicator;
import org.eclipse.xtext.util.LineAndColumn;
import org.eclipse.xtext.validation.CheckMode;
import org.eclipse.xtext.validation.IResourceValidator;
import org.eclipse.xtext.validation.Issue;
import org.espline.dsl.EsplineStandaloneSetup;
import org.espline.dsl.espline.AeadAlgorithm;
import org.espline.dsl.espline.BypassAction;
import org.espline.dsl.espline.CipherIntegrity;
import org.espline.dsl.espline.Direction;
import org.espline.dsl.espline.Element;
import org.espline.dsl.espline.Encapsulation;
import org.espline.dsl.espline.EnvironmentKey;
import org.espline.dsl.espline.EsplinePackage;
import org.espline.dsl.espline.FileKey;
import org.espline.dsl.espline.HexKey;
import org.espline.dsl.espline.Import;
import org.espline.dsl.espline.Key;
import org.espline.dsl.espline.Limit;
import org.espline.dsl.espline.Model;
import org.espline.dsl.espline.Policy;
import org.espline.dsl.espline.PortRange;
import org.espline.dsl.espline.ProtectAction;
import org.espline.dsl.espline.SecurityAssociation;
import org.espline.dsl.espline.TransportMode;
import org.espline.dsl.espline.TunnelMode;
import org.espline.runtime.config.KeySources;
import org.espline.runtime.config.XfrmPolicy;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.sa.Lifetime;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.UdpEncapsulation;

/**
 * Loads {@code .espl} models (with the files they import), validates them with the registered validator
 * ({@link CheckMode#ALL}) and turns their {@code sa}s into runtime {@link SaConfig}s and their policies into
 * {@link XfrmPolicy}s. Problems come back as {@link ModelProblem}s ({@code file:line:col: error|warning: ...}),
 * never as stack traces.
 *
 * <p>Key material:
 * <ul>
 *   <li>{@code key 0x...}: literal hex.</li>
 *   <li>{@code key env:NAME}: the environment variable holds hex ({@code 0x} optional, blanks around it ignored).</li>
 *   <li>{@code key file:"path"}: the path is relative to the model file. A file whose whole content (blanks around
 *       it ignored) is hex text ({@code 0x} optional, whole bytes) is read as hex, as {@code ip xfrm} keys are
 *       written; any other content is the raw key bytes (as {@code head -c 20 /dev/urandom > key} writes them).</li>
 * </ul>
 *
 * <p>Values the model leaves out: {@code replay-window} is 32 packets (Espline's default, not Linux's 0), no ESN,
 * sequence numbers 0, no lifetime limits, no TFC padding. An SA's {@code reqid} (which the language has no word for)
 * is its SPI, so exported policies find their SAs. A transport-mode SA takes its addresses from the policy that
 * protects with it (host selectors, as Linux transport policies have).
 *
 * <p>Not thread-safe: one instance per thread; the Xtext injector behind it is shared.
 */
public final class ModelSas {
    /** Espline's replay window when a model names none. */
    public static final int DEFAULT_REPLAY_WINDOW = 32;

    private final Function<String, String> environment;
    private Function<String, byte[]> keyFiles;
    private final Injector injector = Language.INJECTOR;

    /** Reads {@code env:NAME} keys from the process environment. */
    public ModelSas() {
        this(System::getenv);
    }

    /** @param environment looks up {@code env:NAME} keys (null when unset); tests pass a map */
    public ModelSas(Function<String, String> environment) {
        this.environment = environment;
    }

    /**
     * Key bytes for {@code key file:"path"} (by the path as written) instead of reading the file; null from the function
     * means read it after all. The generator uses this: generated code reads key files when it runs, not when it is made.
     */
    public ModelSas keyFiles(Function<String, byte[]> reader) {
        this.keyFiles = reader;
        return this;
    }

    /** The injector is built once per class loader: the standalone setup registers the language with EMF. */
    private static final class Language {
        static final Injector INJECTOR = new EsplineStandaloneSetup().createInjectorAndDoEMFRegistration();
    }

    /** Loaded models: the files named, everything they import, and every parse, link and validation problem. */
    public static final class Loaded {
        private final XtextResourceSet resources;
        private final List<Resource> roots;
        private final Map<URI, String> names;
        private final List<ModelProblem> problems;

        Loaded(XtextResourceSet resources, List<Resource> roots, Map<URI, String> names, List<ModelProblem> problems) {
            this.resources = resources;
            this.roots = roots;
            this.names = names;
            this.problems = problems;
        }

        /** Errors and warnings in file order (files in load order). */
        public List<ModelProblem> problems() {
            return problems;
        }

        public boolean hasErrors() {
            return problems.stream().anyMatch(ModelProblem::isError);
        }

        /** The error problems only. */
        public List<ModelProblem> errors() {
            return problems.stream().filter(ModelProblem::isError).toList();
        }

        /** The models in dependency order: each file's imports (depth first) before the file itself, once each. */
        public List<Model> models() {
            List<Model> out = new ArrayList<>();
            Set<Resource> seen = new HashSet<>();
            for (Resource r : roots) {
                collect(r, seen, out);
            }
            return out;
        }

        private void collect(Resource r, Set<Resource> seen, List<Model> out) {
            if (r == null || !seen.add(r) || r.getContents().isEmpty() || !(r.getContents().get(0) instanceof Model)) {
                return;
            }
            Model m = (Model) r.getContents().get(0);
            for (Import i : m.getImports()) {
                if (i.getImportURI() != null) {
                    URI u = URI.createURI(i.getImportURI()).resolve(r.getURI());
                    collect(resources.getResource(u, false), seen, out);
                }
            }
            out.add(m);
        }

        String name(Resource r) {
            return names.computeIfAbsent(r.getURI(), ModelSas::displayName);
        }
    }

    /**
     * Loads the files into one resource set (a file imported by two of them is read once), resolves all
     * references and validates every resource. Unreadable files are problems at 1:1.
     */
    public Loaded load(List<Path> files) {
        XtextResourceSet rs = injector.getInstance(XtextResourceSet.class);
        Map<URI, String> names = new LinkedHashMap<>();
        List<Resource> roots = new ArrayList<>();
        List<ModelProblem> problems = new ArrayList<>();
        for (Path f : files) {
            Path abs = f.toAbsolutePath().normalize();
            URI uri = URI.createFileURI(abs.toString());
            names.putIfAbsent(uri, f.toString());
            if (!Files.isRegularFile(abs)) {
                problems.add(new ModelProblem(f.toString(), 1, 1, ModelProblem.Severity.ERROR, "no such file"));
                continue;
            }
            try {
                roots.add(rs.getResource(uri, true));
            } catch (WrappedException | IllegalStateException e) {
                problems.add(new ModelProblem(f.toString(), 1, 1, ModelProblem.Severity.ERROR,
                        "cannot read the model: " + rootCause(e)));
            }
        }
        EcoreUtil.resolveAll(rs);
        Loaded loaded = new Loaded(rs, roots, names, problems);
        IResourceValidator validator = injector.getInstance(IResourceValidator.class);
        for (Resource r : new ArrayList<>(rs.getResources())) {
            String name = loaded.name(r);
            List<ModelProblem> own = new ArrayList<>();
            for (Issue issue : validator.validate(r, CheckMode.ALL, CancelIndicator.NullImpl)) {
                ModelProblem.Severity severity;
                switch (issue.getSeverity()) {
                    case ERROR:
                        severity = ModelProblem.Severity.ERROR;
                        break;
                    case WARNING:
                        severity = ModelProblem.Severity.WARNING;
                        break;
                    default:
                        continue; // info and ignore: not problems
                }
                Integer line = issue.getLineNumber();
                Integer column = issue.getColumn();
                own.add(new ModelProblem(name, line == null ? 1 : line, column == null ? 1 : column, severity, issue.getMessage()));
            }
            own.sort(Comparator.comparingInt(ModelProblem::line).thenComparingInt(ModelProblem::column));
            problems.addAll(own);
        }
        return loaded;
    }

    /** Loads one model; see {@link #load(List)}. */
    public Loaded load(Path file) {
        return load(List.of(file));
    }

    /**
     * Loads a model and returns its SAs (those of its imports first), refusing a model with errors.
     *
     * @throws ModelException with the model's errors, or the problems of turning its SAs into configurations
     */
    public List<SaConfig> sas(Path file) throws ModelException {
        Loaded loaded = load(file);
        if (loaded.hasErrors()) {
            throw new ModelException(loaded.errors());
        }
        return sas(loaded);
    }

    /** The SAs of loaded models, in {@link Loaded#models()} order, then file order. */
    public List<SaConfig> sas(Loaded loaded) throws ModelException {
        List<ModelProblem> problems = new ArrayList<>();
        List<SaConfig> out = new ArrayList<>();
        List<Model> models = loaded.models();
        for (Model m : models) {
            for (Element e : m.getElements()) {
                if (e instanceof SecurityAssociation) {
                    SaConfig c = new SaReader(loaded, (SecurityAssociation) e, models, problems).read();
                    if (c != null) {
                        out.add(c);
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new ModelException(problems);
        }
        return List.copyOf(out);
    }

    /**
     * The policies of loaded models as {@code ip xfrm} policies, in model order (priority 100, 110, ... so the
     * first match wins in Linux too). A policy without {@code dir} stands for both directions (out, then in),
     * a selector {@code any} on both sides for both IP versions.
     *
     * @param sas the SAs of the same models, from {@link #sas(Loaded)}, found by name
     */
    public List<XfrmPolicy> policies(Loaded loaded, List<SaConfig> sas) throws ModelException {
        Map<String, SaConfig> byName = new HashMap<>();
        for (SaConfig c : sas) {
            byName.put(c.name(), c);
        }
        List<ModelProblem> problems = new ArrayList<>();
        List<XfrmPolicy> out = new ArrayList<>();
        long priority = 100;
        for (Model m : loaded.models()) {
            for (Element e : m.getElements()) {
                if (!(e instanceof Policy)) {
                    continue;
                }
                Policy p = (Policy) e;
                List<XfrmPolicy.Direction> dirs = p.getDirection() == Direction.ANY
                        ? List.of(XfrmPolicy.Direction.OUT, XfrmPolicy.Direction.IN)
                        : List.of(p.getDirection() == Direction.OUT ? XfrmPolicy.Direction.OUT : XfrmPolicy.Direction.IN);
                int protocol = protocol(p);
                int sport = port(loaded, p, EsplinePackage.Literals.POLICY__SOURCE_PORTS, p.getSourcePorts(), problems);
                int dport = port(loaded, p, EsplinePackage.Literals.POLICY__DESTINATION_PORTS, p.getDestinationPorts(), problems);
                XfrmPolicy.Template tmpl = null;
                boolean block = p.getAction() instanceof org.espline.dsl.espline.DiscardAction;
                if (p.getAction() instanceof ProtectAction) {
                    SecurityAssociation target = ((ProtectAction) p.getAction()).getSa();
                    SaConfig c = target == null ? null : byName.get(target.getName());
                    if (c == null) {
                        problems.add(problem(loaded, p.getAction(), null, "policy " + p.getName() + ": no usable SA to protect with"));
                        continue;
                    }
                    boolean tunnel = c.mode() == SaMode.TUNNEL;
                    tmpl = new XfrmPolicy.Template(tunnel ? c.source() : null, tunnel ? c.destination() : null, 0, c.reqid(),
                            c.mode(), 0, 0);
                } else if (!(p.getAction() instanceof BypassAction) && !block) {
                    continue;
                }
                List<InetAddress[]> families = selectorFamilies(loaded, p, problems);
                for (XfrmPolicy.Direction d : dirs) {
                    for (InetAddress[] f : families) {
                        try {
                            out.add(new XfrmPolicy(d, f[0], prefixLength(p.getSource(), f[0]), f[1],
                                    prefixLength(p.getDestination(), f[1]), protocol, sport, dport, block, priority, tmpl, 0, 0));
                        } catch (IllegalArgumentException ex) {
                            problems.add(problem(loaded, p, EsplinePackage.Literals.ELEMENT__NAME, "policy " + p.getName() + ": " + ex.getMessage()));
                        }
                    }
                }
                priority += 10;
            }
        }
        if (!problems.isEmpty()) {
            throw new ModelException(problems);
        }
        return List.copyOf(out);
    }

    static int protocol(Policy p) {
        if (absent(p, EsplinePackage.Literals.POLICY__PROTOCOL)) {
            return 0;
        }
        switch (p.getProtocol()) {
            case TCP:
                return 6;
            case UDP:
                return 17;
            case ICMP:
                return 1;
            case ICMPV6:
                return 58;
            case SCTP:
                return 132;
            case GRE:
                return 47;
            default:
                return 0;
        }
    }

    private static int port(Loaded loaded, Policy p, EStructuralFeature f, PortRange range, List<ModelProblem> problems) {
        if (range == null) {
            return XfrmPolicy.ANY_PORT;
        }
        if (!absent(range, EsplinePackage.Literals.PORT_RANGE__TO) && range.getTo() != range.getFrom()) {
            problems.add(problem(loaded, p, f, "policy " + p.getName() + ": ip xfrm matches one port, not the range "
                    + range.getFrom() + "-" + range.getTo()));
        }
        return range.getFrom();
    }

    /** Source and destination addresses per IP version the selector covers ({@code any any}: IPv4 and IPv6). */
    static List<InetAddress[]> selectorFamilies(Loaded loaded, Policy p, List<ModelProblem> problems) {
        String s = p.getSource();
        String d = p.getDestination();
        boolean anyS = "any".equals(s);
        boolean anyD = "any".equals(d);
        try {
            if (anyS && anyD) {
                return List.of(new InetAddress[] {literal("0.0.0.0"), literal("0.0.0.0")},
                        new InetAddress[] {literal("::"), literal("::")});
            }
            InetAddress src = anyS ? null : literal(address(s));
            InetAddress dst = anyD ? null : literal(address(d));
            boolean v4 = (src != null ? src : dst) instanceof Inet4Address;
            InetAddress none = literal(v4 ? "0.0.0.0" : "::");
            return List.<InetAddress[]>of(new InetAddress[] {src != null ? src : none, dst != null ? dst : none});
        } catch (UnknownHostException e) {
            problems.add(problem(loaded, p, EsplinePackage.Literals.POLICY__SOURCE, "policy " + p.getName()
                    + ": not an IP prefix: " + e.getMessage()));
            return List.of();
        }
    }

    static int prefixLength(String prefix, InetAddress a) {
        int bits = a instanceof Inet4Address ? 32 : 128;
        if ("any".equals(prefix)) {
            return 0;
        }
        int slash = prefix.indexOf('/');
        return slash < 0 ? bits : Integer.parseInt(prefix.substring(slash + 1));
    }

    private static String address(String prefix) {
        int slash = prefix.indexOf('/');
        return slash < 0 ? prefix : prefix.substring(0, slash);
    }

    /** A literal address (the grammar's IPV4/IPV6 tokens); never a name lookup. */
    private static InetAddress literal(String s) throws UnknownHostException {
        if (s.isEmpty() || !(Character.digit(s.charAt(0), 16) >= 0 || s.charAt(0) == ':')) {
            throw new UnknownHostException(s);
        }
        return InetAddress.getByName(s);
    }

    static boolean absent(EObject o, EStructuralFeature f) {
        return NodeModelUtils.findNodesForFeature(o, f).isEmpty();
    }

    static ModelProblem problem(Loaded loaded, EObject o, EStructuralFeature f, String message) {
        INode node = null;
        if (f != null) {
            List<INode> nodes = NodeModelUtils.findNodesForFeature(o, f);
            if (!nodes.isEmpty()) {
                node = nodes.get(0);
            }
        }
        if (node == null) {
            node = NodeModelUtils.getNode(o);
        }
        int line = 1;
        int column = 1;
        if (node != null) {
            LineAndColumn lc = NodeModelUtils.getLineAndColumn(node, node.getOffset());
            line = lc.getLine();
            column = lc.getColumn();
        }
        String file = o.eResource() != null ? loaded.name(o.eResource()) : "<model>";
        return new ModelProblem(file, line, column, ModelProblem.Severity.ERROR, message);
    }

    /** The name problems in an imported file carry: relative to the working directory when below it. */
    static String displayName(URI uri) {
        if (!uri.isFile()) {
            return uri.toString();
        }
        Path p = Path.of(uri.toFileString());
        Path cwd = Path.of("").toAbsolutePath();
        return p.startsWith(cwd) ? cwd.relativize(p).toString() : p.toString();
    }

    private static String rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        if (t instanceof NoSuchFileException) {
            return "no such file " + ((NoSuchFileException) t).getFile();
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }

    // ---------------------------------------------------------------- one sa

    /** Reads one {@code sa}; problems are added, and null returned, when it cannot become a configuration. */
    private final class SaReader {
        private final Loaded loaded;
        private final SecurityAssociation sa;
        private final List<Model> models;
        private final List<ModelProblem> problems;
        private final int before;

        SaReader(Loaded loaded, SecurityAssociation sa, List<Model> models, List<ModelProblem> problems) {
            this.loaded = loaded;
            this.sa = sa;
            this.models = models;
            this.problems = problems;
            this.before = problems.size();
        }

        private void error(EObject o, EStructuralFeature f, String message) {
            problems.add(problem(loaded, o, f, "sa " + sa.getName() + ": " + message));
        }

        SaConfig read() {
            SaConfig.Builder b = SaConfig.builder().name(sa.getName());
            if (absent(sa, EsplinePackage.Literals.SECURITY_ASSOCIATION__SPI)) {
                error(sa, EsplinePackage.Literals.ELEMENT__NAME, "spi is required (expected e.g. 'spi 0x00001000')");
            } else {
                Long spi = unsigned(sa, EsplinePackage.Literals.SECURITY_ASSOCIATION__SPI, sa.getSpi(), 0xFFFF_FFFFL);
                if (spi != null) {
                    b.spi((int) (long) spi).reqid((int) (long) spi);
                }
            }
            mode(b);
            Encapsulation encap = sa.getEncap();
            if (encap != null) {
                try {
                    b.encapsulation(new UdpEncapsulation(encap.getSourcePort(), encap.getDestinationPort(), null));
                } catch (IllegalArgumentException e) {
                    error(encap, null, e.getMessage());
                }
            }
            algorithm(b);
            b.esn(sa.isEsn());
            b.replayWindow(DEFAULT_REPLAY_WINDOW);
            if (!absent(sa, EsplinePackage.Literals.SECURITY_ASSOCIATION__REPLAY_WINDOW)) {
                Long w = unsigned(sa, EsplinePackage.Literals.SECURITY_ASSOCIATION__REPLAY_WINDOW, sa.getReplayWindow(), Integer.MAX_VALUE);
                if (w != null) {
                    b.replayWindow((int) (long) w);
                }
            }
            if (!absent(sa, EsplinePackage.Literals.SECURITY_ASSOCIATION__INBOUND_SEQUENCE)) {
                Long v = unsigned(sa, EsplinePackage.Literals.SECURITY_ASSOCIATION__INBOUND_SEQUENCE, sa.getInboundSequence(), -1L);
                if (v != null) {
                    b.inboundSequence(v);
                }
            }
            if (!absent(sa, EsplinePackage.Literals.SECURITY_ASSOCIATION__OUTBOUND_SEQUENCE)) {
                Long v = unsigned(sa, EsplinePackage.Literals.SECURITY_ASSOCIATION__OUTBOUND_SEQUENCE, sa.getOutboundSequence(), -1L);
                if (v != null) {
                    b.outboundSequence(v);
                }
            }
            if (sa.getLifetime() != null) {
                b.softLifetime(lifetime(sa.getLifetime().getSoft()));
                b.hardLifetime(lifetime(sa.getLifetime().getHard()));
            }
            // Absent reads as on (the enum's first literal), like Linux where GRO is on unless switched off.
            b.gro(sa.getGro() != org.espline.dsl.espline.Switch.OFF);
            if (!absent(sa, EsplinePackage.Literals.SECURITY_ASSOCIATION__TFC_PADDING)) {
                Long v = unsigned(sa, EsplinePackage.Literals.SECURITY_ASSOCIATION__TFC_PADDING, sa.getTfcPadding(), 65535);
                if (v != null) {
                    b.tfcPadTo((int) (long) v);
                }
            }
            if (problems.size() != before) {
                return null;
            }
            try {
                return b.build();
            } catch (IllegalArgumentException | NullPointerException e) {
                error(sa, EsplinePackage.Literals.ELEMENT__NAME, e.getMessage());
                return null;
            }
        }

        private void mode(SaConfig.Builder b) {
            if (sa.getMode() instanceof TunnelMode) {
                TunnelMode t = (TunnelMode) sa.getMode();
                b.mode(SaMode.TUNNEL);
                b.source(endpoint(t, EsplinePackage.Literals.TUNNEL_MODE__SOURCE, t.getSource()));
                b.destination(endpoint(t, EsplinePackage.Literals.TUNNEL_MODE__DESTINATION, t.getDestination()));
            } else if (sa.getMode() instanceof TransportMode) {
                b.mode(SaMode.TRANSPORT);
                transportHosts(b);
            } else {
                error(sa, EsplinePackage.Literals.ELEMENT__NAME,
                        "mode is required (expected 'mode tunnel src A dst B' or 'mode transport')");
            }
        }

        private InetAddress endpoint(EObject o, EStructuralFeature f, String text) {
            if (text == null) {
                return null;
            }
            if (text.indexOf('/') >= 0) {
                error(o, f, "a tunnel endpoint is an address, not the prefix " + text);
                return null;
            }
            try {
                return literal(text);
            } catch (UnknownHostException e) {
                error(o, f, "not an IP address: " + text);
                return null;
            }
        }

        /** A transport SA's hosts: the selector of the (first) policy that protects with it. */
        private void transportHosts(SaConfig.Builder b) {
            for (Model m : models) {
                for (Element e : m.getElements()) {
                    if (e instanceof Policy && ((Policy) e).getAction() instanceof ProtectAction
                            && ((ProtectAction) ((Policy) e).getAction()).getSa() == sa) {
                        Policy p = (Policy) e;
                        InetAddress s = host(p.getSource());
                        InetAddress d = host(p.getDestination());
                        if (s == null || d == null) {
                            error(p, EsplinePackage.Literals.POLICY__SOURCE, "a transport-mode SA takes its addresses from policy "
                                    + p.getName() + ", whose src and dst must be single hosts (was " + p.getSource() + " -> "
                                    + p.getDestination() + ")");
                            return;
                        }
                        b.source(s).destination(d);
                        return;
                    }
                }
            }
            error(sa, EsplinePackage.Literals.SECURITY_ASSOCIATION__MODE, "a transport-mode SA needs a policy that protects"
                    + " with it: its src and dst hosts are the SA's addresses");
        }

        private InetAddress host(String prefix) {
            if (prefix == null || "any".equals(prefix)) {
                return null;
            }
            try {
                InetAddress a = literal(address(prefix));
                return prefixLength(prefix, a) == (a instanceof Inet4Address ? 32 : 128) ? a : null;
            } catch (UnknownHostException e) {
                return null;
            }
        }

        private void algorithm(SaConfig.Builder b) {
            if (sa.getAlgorithm() instanceof AeadAlgorithm) {
                AeadAlgorithm a = (AeadAlgorithm) sa.getAlgorithm();
                String name = a.getName().getLiteral();
                EncryptionAlgorithm alg;
                int keyBits;
                int icv = 16;
                if (name.startsWith("chacha20")) {
                    alg = EncryptionAlgorithm.CHACHA20_POLY1305;
                    keyBits = 256;
                } else {
                    keyBits = Integer.parseInt(name.substring(3, 6));
                    String rest = name.substring(6);
                    alg = rest.startsWith("gcm") ? EncryptionAlgorithm.AES_GCM
                            : rest.startsWith("ccm") ? EncryptionAlgorithm.AES_CCM : EncryptionAlgorithm.AES_GMAC;
                    if (alg != EncryptionAlgorithm.AES_GMAC) {
                        icv = Integer.parseInt(rest.substring(3));
                    }
                }
                KeyMaterial key = key(a, EsplinePackage.Literals.AEAD_ALGORITHM__KEY, a.getKey());
                int expected = keyBits / 8 + alg.saltLength();
                if (key != null && key.length() != expected) {
                    error(a, EsplinePackage.Literals.AEAD_ALGORITHM__KEY, "aead " + name + ": key must be " + expected + " bytes ("
                            + keyBits / 8 + "-byte key + " + alg.saltLength() + "-byte salt), was " + key.length());
                }
                if (key != null) {
                    b.encryption(alg, key).icvLength(icv);
                }
            } else if (sa.getAlgorithm() instanceof CipherIntegrity) {
                CipherIntegrity c = (CipherIntegrity) sa.getAlgorithm();
                String name = c.getCipher().getLiteral();
                EncryptionAlgorithm alg = "null".equals(name) ? EncryptionAlgorithm.NULL : EncryptionAlgorithm.AES_CBC;
                KeyMaterial key = c.getCipherKey() == null ? KeyMaterial.EMPTY
                        : key(c, EsplinePackage.Literals.CIPHER_INTEGRITY__CIPHER_KEY, c.getCipherKey());
                int expected = alg == EncryptionAlgorithm.NULL ? 0 : Integer.parseInt(name.substring(3)) / 8;
                if (key != null && key.length() != expected) {
                    error(c, c.getCipherKey() == null ? EsplinePackage.Literals.CIPHER_INTEGRITY__CIPHER
                            : EsplinePackage.Literals.CIPHER_INTEGRITY__CIPHER_KEY,
                            "enc " + name + ": key must be " + expected + " bytes, was " + key.length());
                }
                if (key != null) {
                    b.encryption(alg, key);
                }
                if (c.isBenchmarkOnly() && alg == EncryptionAlgorithm.NULL && c.getIntegrityKey() == null) {
                    b.benchmarkOnlyNullWithoutIntegrity(true); // the validator warns: benchmarks only
                }
                if (c.getIntegrityKey() != null && !absent(c, EsplinePackage.Literals.CIPHER_INTEGRITY__INTEGRITY)) {
                    IntegrityAlgorithm auth;
                    switch (c.getIntegrity()) {
                        case SHA256_128:
                            auth = IntegrityAlgorithm.HMAC_SHA256_128;
                            break;
                        case SHA384_192:
                            auth = IntegrityAlgorithm.HMAC_SHA384_192;
                            break;
                        case SHA512_256:
                            auth = IntegrityAlgorithm.HMAC_SHA512_256;
                            break;
                        default:
                            auth = IntegrityAlgorithm.HMAC_SHA1_96;
                    }
                    KeyMaterial ak = key(c, EsplinePackage.Literals.CIPHER_INTEGRITY__INTEGRITY_KEY, c.getIntegrityKey());
                    if (ak != null && ak.length() != auth.keyLength()) {
                        error(c, EsplinePackage.Literals.CIPHER_INTEGRITY__INTEGRITY_KEY, "auth " + c.getIntegrity().getLiteral()
                                + ": key must be " + auth.keyLength() + " bytes, was " + ak.length());
                    }
                    if (ak != null) {
                        b.integrity(auth, ak);
                    }
                }
            } else {
                error(sa, EsplinePackage.Literals.ELEMENT__NAME,
                        "an algorithm is required (expected 'aead NAME key K' or 'enc NAME key K auth NAME key K')");
            }
        }

        private KeyMaterial key(EObject owner, EStructuralFeature f, Key k) {
            if (k instanceof HexKey) {
                byte[] bytes = hex(((HexKey) k).getHex());
                if (bytes == null) {
                    error(owner, f, "key: expected whole bytes of hex (an even number of digits)");
                    return null;
                }
                return KeyMaterial.of(bytes);
            }
            if (k instanceof EnvironmentKey) {
                String name = ((EnvironmentKey) k).getVariable();
                String value = environment.apply(name);
                if (value == null) {
                    error(owner, f, "key env:" + name + ": the environment variable " + name + " is not set");
                    return null;
                }
                byte[] bytes = hex(value.strip());
                if (bytes == null) {
                    error(owner, f, "key env:" + name + ": expected hex of whole bytes (0x optional) in " + name);
                    return null;
                }
                return KeyMaterial.of(bytes);
            }
            if (k instanceof FileKey) {
                String path = ((FileKey) k).getPath();
                byte[] given = keyFiles == null ? null : keyFiles.apply(path);
                if (given != null) {
                    return KeyMaterial.of(given);
                }
                Path file = Path.of(path);
                URI base = k.eResource() != null ? k.eResource().getURI() : null;
                if (!file.isAbsolute() && base != null && base.isFile()) {
                    file = Path.of(base.toFileString()).toAbsolutePath().getParent().resolve(path).normalize();
                }
                byte[] content;
                try {
                    content = Files.readAllBytes(file);
                } catch (IOException e) {
                    error(owner, f, "key file \"" + path + "\": cannot read " + file + (e instanceof NoSuchFileException ? " (no such file)" : ""));
                    return null;
                }
                return KeyMaterial.of(KeySources.fromFileContent(content));
            }
            error(owner, f, "key: expected 0x..., env:NAME or file:\"path\"");
            return null;
        }

        private Lifetime lifetime(List<Limit> limits) {
            Lifetime l = Lifetime.UNLIMITED;
            for (Limit limit : limits) {
                Long v = unsigned(limit, EsplinePackage.Literals.LIMIT__VALUE, limit.getValue(), Long.MAX_VALUE);
                if (v == null) {
                    continue;
                }
                if (v == 0) {
                    error(limit, EsplinePackage.Literals.LIMIT__VALUE, "a lifetime limit must be positive (leave it out for no limit)");
                    continue;
                }
                switch (limit.getUnit()) {
                    case BYTES:
                        l = l.withBytes(v);
                        break;
                    case PACKETS:
                        l = l.withPackets(v);
                        break;
                    default:
                        l = l.withSeconds(v);
                }
            }
            return l;
        }

        /** A Number (decimal or 0x hex) of at most {@code max} (compared unsigned; -1 is 2^64-1). */
        private Long unsigned(EObject o, EStructuralFeature f, String text, long max) {
            try {
                long v = text.startsWith("0x") || text.startsWith("0X") ? Long.parseUnsignedLong(text.substring(2), 16)
                        : Long.parseUnsignedLong(text);
                if (Long.compareUnsigned(v, max) > 0) {
                    error(o, f, f.getName() + " " + text + " is out of range (expected at most " + Long.toUnsignedString(max) + ")");
                    return null;
                }
                return v;
            } catch (NumberFormatException | NullPointerException e) {
                error(o, f, f.getName() + ": '" + text + "' is not a number");
                return null;
            }
        }
    }

    /** Whole bytes of hex, {@code 0x} optional; null otherwise. */
    static byte[] hex(String s) {
        return KeySources.parseHex(s);
    }
}
