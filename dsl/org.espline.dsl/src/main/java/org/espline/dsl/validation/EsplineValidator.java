package org.espline.dsl.validation;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;
import org.eclipse.emf.common.util.URI;
import org.eclipse.emf.ecore.EObject;
import org.eclipse.emf.ecore.EStructuralFeature;
import org.eclipse.emf.ecore.resource.Resource;
import org.eclipse.emf.ecore.resource.ResourceSet;
import org.eclipse.xtext.EcoreUtil2;
import org.eclipse.xtext.nodemodel.INode;
import org.eclipse.xtext.nodemodel.util.NodeModelUtils;
import org.eclipse.xtext.validation.Check;
import org.eclipse.xtext.validation.CheckType;
import org.espline.dsl.espline.AeadAlgorithm;
import org.espline.dsl.espline.AeadName;
import org.espline.dsl.espline.Algorithm;
import org.espline.dsl.espline.Buffers;
import org.espline.dsl.espline.CipherIntegrity;
import org.espline.dsl.espline.CipherName;
import org.espline.dsl.espline.Direction;
import org.espline.dsl.espline.EncryptStage;
import org.espline.dsl.espline.EsplinePackage.Literals;
import org.espline.dsl.espline.GsoStage;
import org.espline.dsl.espline.HexKey;
import org.espline.dsl.espline.Import;
import org.espline.dsl.espline.IntegrityName;
import org.espline.dsl.espline.Key;
import org.espline.dsl.espline.Limit;
import org.espline.dsl.espline.LimitUnit;
import org.espline.dsl.espline.Model;
import org.espline.dsl.espline.Offload;
import org.espline.dsl.espline.OffloadKind;
import org.espline.dsl.espline.Pipeline;
import org.espline.dsl.espline.PipelineKind;
import org.espline.dsl.espline.Policy;
import org.espline.dsl.espline.PortRange;
import org.espline.dsl.espline.ProtectAction;
import org.espline.dsl.espline.Protocol;
import org.espline.dsl.espline.SecurityAssociation;
import org.espline.dsl.espline.TunnelMode;
import org.espline.dsl.espline.UdpPort;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.sa.ReplayLimits;

/**
 * Semantic checks of Espline models, one {@code @Check} per rule of issue 3, each named for its rule and reporting on
 * the feature at fault with a message that states what was expected and what was found. Issue codes are in
 * {@link EsplineIssueCodes}. Names are unique per file already ({@code NamesAreUniqueValidator}); unresolved
 * references are the linker's errors ("Couldn't resolve reference to SecurityAssociation 'x'.").
 *
 * <p>Checks that read imported files (SPI uniqueness, the SAs a pipeline may use) are {@link CheckType#NORMAL}: they
 * run on save and in the builder, not on every keystroke.
 *
 * <p>Optional enums read as their first literal when absent (see the grammar), so a check that cares whether
 * {@code dir} or {@code auth} was written asks the node model ({@link #written}).
 */
public class EsplineValidator extends AbstractEsplineValidator {

    /** The sequence number without ESN is 32 bits (RFC 4303 §2.2): at most 2^32 - 1 packets per SA. */
    static final BigInteger MAX_SEQUENCE_WITHOUT_ESN = BigInteger.ONE.shiftLeft(32).subtract(BigInteger.ONE);
    /** RFC 4303 §2.1: SPIs 1..255 are reserved by IANA, 0 for local use; the first one an SA may take. */
    static final int FIRST_SPI = 0x100;
    /** The largest TFC padding target (SaConfig.Builder.tfcPadTo). */
    static final int MAX_TFC_PADDING = 65535;
    /** The MTU of buffers without {@code mtu}. */
    static final int DEFAULT_MTU = 1500;
    static final int ESP_HEADER = 8;
    static final int UDP_HEADER = 8;
    static final int TCP_HEADER = 20;
    /** Pad length and next header, the fixed part of the ESP trailer. */
    static final int TRAILER_FIXED = 2;

    // ------------------------------------------------------------------ algorithms and keys

    /** An AEAD key is the cipher key plus the salt (RFC 4106 §8.1, RFC 4309 §7.1, RFC 7634 §4, RFC 4543 §3.2). */
    @Check
    public void checkKeyLength(AeadAlgorithm aead) {
        String name = aead.getName().getLiteral();
        EncryptionAlgorithm encryption = AlgorithmFacts.encryption(aead.getName());
        int cipherKey = AlgorithmFacts.cipherKeyBytes(name);
        int expected = cipherKey + encryption.saltLength();
        checkHexKeyLength(aead.getKey(), "aead " + name, expected,
                " (" + cipherKey + " + " + encryption.saltLength() + " salt)", aead, Literals.AEAD_ALGORITHM__KEY);
    }

    /** AES-CBC keys are 16/24/32 bytes (RFC 3602), NULL takes none (RFC 2410), HMAC keys are the hash length (RFC 4868). */
    @Check
    public void checkKeyLength(CipherIntegrity algorithm) {
        String cipher = algorithm.getCipher().getLiteral();
        if (algorithm.getCipher() == CipherName.NULL) {
            if (algorithm.getCipherKey() != null) {
                error("enc null takes no key but one is given", algorithm, Literals.CIPHER_INTEGRITY__CIPHER_KEY,
                        EsplineIssueCodes.KEY_LENGTH);
            }
        } else if (algorithm.getCipherKey() == null) {
            int expected = AlgorithmFacts.cipherKeyBytes(cipher);
            error("enc " + cipher + " key must be " + expected + " bytes but none is given", algorithm,
                    Literals.CIPHER_INTEGRITY__CIPHER, EsplineIssueCodes.KEY_LENGTH);
        } else {
            checkHexKeyLength(algorithm.getCipherKey(), "enc " + cipher, AlgorithmFacts.cipherKeyBytes(cipher), "",
                    algorithm, Literals.CIPHER_INTEGRITY__CIPHER_KEY);
        }
        if (hasIntegrity(algorithm)) {
            IntegrityName integrity = algorithm.getIntegrity();
            checkHexKeyLength(algorithm.getIntegrityKey(), "auth " + integrity.getLiteral(),
                    AlgorithmFacts.integrity(integrity).keyLength(), "", algorithm, Literals.CIPHER_INTEGRITY__INTEGRITY_KEY);
        }
    }

    private void checkHexKeyLength(Key key, String algorithm, int expected, String parts, EObject owner,
            EStructuralFeature feature) {
        if (!(key instanceof HexKey) || ((HexKey) key).getHex() == null) {
            return; // env: and file: keys are read when the data plane starts
        }
        int digits = ((HexKey) key).getHex().length() - 2;
        if (digits % 2 != 0) {
            error(algorithm + " key must be " + expected + " bytes" + parts + " but has " + digits
                    + " hex digits, not whole bytes", owner, feature, EsplineIssueCodes.KEY_LENGTH);
        } else if (digits / 2 != expected) {
            error(algorithm + " key must be " + expected + " bytes" + parts + " but is " + digits / 2 + " bytes",
                    owner, feature, EsplineIssueCodes.KEY_LENGTH);
        }
    }

    /**
     * AES-CBC needs an integrity algorithm: RFC 8221 §6 lists AUTH_NONE as MUST NOT with a non-AEAD cipher. (An AEAD
     * carries its own ICV, named in the algorithm; the grammar gives {@code aead} no {@code auth}.)
     */
    @Check
    public void checkCipherHasIntegrity(CipherIntegrity algorithm) {
        if (algorithm.getCipher() != CipherName.NULL && !hasIntegrity(algorithm)) {
            String cipher = algorithm.getCipher().getLiteral();
            error("enc " + cipher + " without auth: expected an integrity algorithm (auth sha256 key ...), "
                    + "RFC 8221 forbids CBC without integrity", algorithm, Literals.CIPHER_INTEGRITY__CIPHER,
                    EsplineIssueCodes.INTEGRITY_MISSING);
        }
    }

    /** ENCR_NULL is a MUST in RFC 8221 §5 only together with integrity: alone it protects nothing (RFC 4303 §3.2). */
    @Check
    public void checkNullEncryptionHasIntegrity(CipherIntegrity algorithm) {
        if (algorithm.getCipher() == CipherName.NULL && !hasIntegrity(algorithm)) {
            if (algorithm.isBenchmarkOnly()) {
                warning("enc null benchmark-only protects nothing (no confidentiality, no integrity): for benchmarks only, "
                        + "never for real traffic", algorithm, Literals.CIPHER_INTEGRITY__BENCHMARK_ONLY,
                        EsplineIssueCodes.BENCHMARK_ONLY);
            } else {
                error("enc null without auth protects nothing: expected an integrity algorithm (auth sha256 key ...)"
                        + ", or 'benchmark-only' for a benchmark", algorithm, Literals.CIPHER_INTEGRITY__CIPHER,
                        EsplineIssueCodes.NULL_WITHOUT_INTEGRITY);
            }
        }
    }

    /** {@code benchmark-only} says "NULL without integrity, on purpose": with a real cipher or with auth it means nothing. */
    @Check
    public void checkBenchmarkOnlyIsNullWithoutIntegrity(CipherIntegrity algorithm) {
        if (algorithm.isBenchmarkOnly() && (algorithm.getCipher() != CipherName.NULL || hasIntegrity(algorithm))) {
            error("benchmark-only applies to 'enc null' without auth only", algorithm,
                    Literals.CIPHER_INTEGRITY__BENCHMARK_ONLY, EsplineIssueCodes.BENCHMARK_ONLY);
        }
    }

    /**
     * RFC 8221's requirement levels for what the grammar offers. §5 (encryption): ENCR_NULL MUST (with integrity,
     * above), ENCR_AES_CBC MUST, ENCR_AES_CCM_8 SHOULD, ENCR_AES_GCM_16 MUST, ENCR_CHACHA20_POLY1305 SHOULD, and
     * 192-bit AES keys stay at MAY. §6 (integrity): AUTH_HMAC_SHA1_96 MUST- (expected to be demoted),
     * AUTH_HMAC_SHA2_256_128 MUST, AUTH_HMAC_SHA2_512_256 SHOULD, AUTH_NONE MUST NOT with a non-AEAD cipher (above).
     * None of the grammar's algorithms is SHOULD NOT or MUST NOT; HMAC-SHA-1-96, on its way out, gets a warning.
     */
    @Check
    public void checkAlgorithmRecommended(CipherIntegrity algorithm) {
        if (hasIntegrity(algorithm) && algorithm.getIntegrity() == IntegrityName.SHA1_96) {
            warning("auth sha1 (HMAC-SHA-1-96) is MUST- in RFC 8221, expected to be phased out: expected sha256 or "
                    + "stronger", algorithm, Literals.CIPHER_INTEGRITY__INTEGRITY, EsplineIssueCodes.ALGORITHM_DISCOURAGED);
        }
    }

    /** A literal key belongs in tests and examples; the suggested variable name travels as issue data. */
    @Check
    public void checkLiteralKey(HexKey key) {
        warning("literal key in the model: use env:NAME or file:\"path\" outside tests", key, Literals.HEX_KEY__HEX,
                EsplineIssueCodes.LITERAL_KEY, keyVariable(key));
    }

    /** SA a_to_b: A_TO_B_KEY for an AEAD, A_TO_B_ENC_KEY and A_TO_B_AUTH_KEY for cipher and integrity. */
    private static String keyVariable(HexKey key) {
        SecurityAssociation sa = EcoreUtil2.getContainerOfType(key, SecurityAssociation.class);
        String base = sa == null || sa.getName() == null ? "ESPLINE" : sa.getName().toUpperCase().replace('-', '_');
        EStructuralFeature feature = key.eContainingFeature();
        if (feature == Literals.CIPHER_INTEGRITY__CIPHER_KEY) {
            return base + "_ENC_KEY";
        }
        return feature == Literals.CIPHER_INTEGRITY__INTEGRITY_KEY ? base + "_AUTH_KEY" : base + "_KEY";
    }

    // ------------------------------------------------------------------ SPI

    @Check
    public void checkSpiPresent(SecurityAssociation sa) {
        if (sa.getSpi() == null) {
            error("sa '" + sa.getName() + "' has no spi: expected spi 0x100 to 0xffffffff", sa, Literals.ELEMENT__NAME,
                    EsplineIssueCodes.SPI_MISSING);
        }
    }

    /** An SA without a mode cannot be encapsulated: tunnel (with endpoints) or transport must be said. */
    @Check
    public void checkModePresent(SecurityAssociation sa) {
        if (sa.getMode() == null) {
            error("sa '" + sa.getName() + "' has no mode: expected mode tunnel src ADDRESS dst ADDRESS, or mode transport",
                    sa, Literals.ELEMENT__NAME, EsplineIssueCodes.MODE_MISSING);
        }
    }

    /** An SA without an algorithm protects nothing; the runtime refuses it too. */
    @Check
    public void checkAlgorithmPresent(SecurityAssociation sa) {
        if (sa.getAlgorithm() == null) {
            error("sa '" + sa.getName() + "' has no algorithm: expected aead NAME key KEY, or enc NAME key KEY auth NAME key KEY",
                    sa, Literals.ELEMENT__NAME, EsplineIssueCodes.ALGORITHM_MISSING);
        }
    }

    /** RFC 4303 §2.1: 1..255 are reserved by IANA for future use, 0 for local, implementation-specific use. */
    @Check
    public void checkSpiNotReserved(SecurityAssociation sa) {
        BigInteger spi = number(sa.getSpi());
        if (spi != null && spi.compareTo(BigInteger.valueOf(FIRST_SPI)) < 0) {
            error("spi " + sa.getSpi() + " is reserved (RFC 4303: 0 to 255): expected 0x100 or above", sa,
                    Literals.SECURITY_ASSOCIATION__SPI, EsplineIssueCodes.SPI_RESERVED, sa.getSpi());
        }
    }

    /** The SPI is a 32-bit field of the ESP header (RFC 4303 §2.1). */
    @Check
    public void checkSpiFits32Bits(SecurityAssociation sa) {
        BigInteger spi = number(sa.getSpi());
        if (spi != null && spi.bitLength() > 32) {
            error("spi " + sa.getSpi() + " does not fit the 32-bit SPI field: expected 0x100 to 0xffffffff", sa,
                    Literals.SECURITY_ASSOCIATION__SPI, EsplineIssueCodes.SPI_RANGE);
        }
    }

    /**
     * A receiver finds the SA by SPI and destination (RFC 4301 §4.1), so two SAs of one direction towards one
     * destination may not share an SPI; SAs of the imported files count. An SA without {@code dir} may be either.
     */
    @Check(CheckType.NORMAL)
    public void checkSpiUnique(SecurityAssociation sa) {
        BigInteger spi = number(sa.getSpi());
        if (spi == null) {
            return;
        }
        String destination = destination(sa);
        for (Model model : visibleModels(sa)) {
            for (SecurityAssociation other : EcoreUtil2.typeSelect(model.getElements(), SecurityAssociation.class)) {
                if (other != sa && spi.equals(number(other.getSpi())) && destination.equals(destination(other))
                        && directionsOverlap(sa, other)) {
                    error("spi " + sa.getSpi() + " is already used by SA '" + other.getName() + "' with destination "
                            + destination + " and the same direction: expected an SPI unique per destination and "
                            + "direction", sa, Literals.SECURITY_ASSOCIATION__SPI, EsplineIssueCodes.SPI_DUPLICATE);
                    return;
                }
            }
        }
    }

    private static String destination(SecurityAssociation sa) {
        return sa.getMode() instanceof TunnelMode ? ((TunnelMode) sa.getMode()).getDestination() : "(transport)";
    }

    private static boolean directionsOverlap(SecurityAssociation a, SecurityAssociation b) {
        return a.getDirection() == Direction.ANY || b.getDirection() == Direction.ANY || a.getDirection() == b.getDirection();
    }

    // ------------------------------------------------------------------ replay and lifetime

    @Check
    public void checkReplayWindowRange(SecurityAssociation sa) {
        BigInteger window = number(sa.getReplayWindow());
        if (window != null && window.compareTo(BigInteger.valueOf(ReplayLimits.MAX_WINDOW)) > 0) {
            error("replay-window " + sa.getReplayWindow() + " is out of range: expected 0 to " + ReplayLimits.MAX_WINDOW,
                    sa, Literals.SECURITY_ASSOCIATION__REPLAY_WINDOW, EsplineIssueCodes.REPLAY_WINDOW_RANGE);
        }
    }

    /** TFC padding pads the payload up to at most an IP datagram: 0..65535, as SaConfig takes it. */
    @Check
    public void checkTfcPaddingRange(SecurityAssociation sa) {
        BigInteger padding = number(sa.getTfcPadding());
        if (padding != null && padding.compareTo(BigInteger.valueOf(MAX_TFC_PADDING)) > 0) {
            error("tfc-pad " + sa.getTfcPadding() + " is out of range: expected 0 to " + MAX_TFC_PADDING, sa,
                    Literals.SECURITY_ASSOCIATION__TFC_PADDING, EsplineIssueCodes.TFC_PADDING_RANGE);
        }
    }

    /** Without ESN the 32-bit sequence number may not cycle (RFC 4303 §3.3.3): a longer life needs {@code esn}. */
    @Check
    public void checkLifetimeNeedsEsn(SecurityAssociation sa) {
        if (sa.isEsn() || sa.getLifetime() == null) {
            return;
        }
        checkPacketLimits(sa, sa.getLifetime().getSoft(), "soft");
        checkPacketLimits(sa, sa.getLifetime().getHard(), "hard");
    }

    /** Initial sequence numbers above 2^32 - 1 exist only with ESN (RFC 4303 §2.2.1), as SaConfig insists. */
    @Check
    public void checkSequenceNeedsEsn(SecurityAssociation sa) {
        if (sa.isEsn()) {
            return;
        }
        checkSequence(sa, sa.getInboundSequence(), "replay-seq", Literals.SECURITY_ASSOCIATION__INBOUND_SEQUENCE);
        checkSequence(sa, sa.getOutboundSequence(), "replay-oseq", Literals.SECURITY_ASSOCIATION__OUTBOUND_SEQUENCE);
    }

    private void checkSequence(SecurityAssociation sa, String text, String keyword, EStructuralFeature feature) {
        BigInteger value = number(text);
        if (value != null && value.compareTo(MAX_SEQUENCE_WITHOUT_ESN) > 0) {
            error(keyword + " " + text + " of SA '" + sa.getName() + "' needs esn: expected at most "
                    + MAX_SEQUENCE_WITHOUT_ESN + " (2^32 - 1) without it", sa, feature, EsplineIssueCodes.SEQUENCE_NEEDS_ESN);
        }
    }

    private void checkPacketLimits(SecurityAssociation sa, List<Limit> limits, String kind) {
        for (Limit limit : limits) {
            BigInteger packets = number(limit.getValue());
            if (limit.getUnit() == LimitUnit.PACKETS && packets != null
                    && packets.compareTo(MAX_SEQUENCE_WITHOUT_ESN) > 0) {
                error(kind + " lifetime " + limit.getValue() + " packets of SA '" + sa.getName() + "' needs esn: "
                        + "expected at most " + MAX_SEQUENCE_WITHOUT_ESN + " packets (2^32 - 1) without it", limit,
                        Literals.LIMIT__VALUE, EsplineIssueCodes.LIFETIME_NEEDS_ESN);
            }
        }
    }

    // ------------------------------------------------------------------ offload

    /** The target's {@code algorithms} list, when it has one, must name the SA's algorithm (cipher and integrity). */
    @Check
    public void checkOffloadSupportsAlgorithm(SecurityAssociation sa) {
        Offload offload = sa.getOffload();
        Algorithm algorithm = sa.getAlgorithm();
        if (offload == null || offload.eIsProxy() || algorithm == null || !listsAlgorithms(offload)) {
            return;
        }
        List<String> missing = new ArrayList<>();
        if (algorithm instanceof AeadAlgorithm) {
            AeadName name = ((AeadAlgorithm) algorithm).getName();
            if (!offload.getAeadAlgorithms().contains(name)) {
                missing.add(name.getLiteral());
            }
        } else {
            CipherIntegrity cipher = (CipherIntegrity) algorithm;
            if (!offload.getCipherAlgorithms().contains(cipher.getCipher())) {
                missing.add(cipher.getCipher().getLiteral());
            }
            if (hasIntegrity(cipher) && !offload.getIntegrityAlgorithms().contains(cipher.getIntegrity())) {
                missing.add(cipher.getIntegrity().getLiteral());
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String message = "offload '" + offload.getName() + "' does not support " + String.join(" + ", missing)
                + " of SA '" + sa.getName() + "': expected one of its algorithms " + algorithmsAsWritten(offload);
        if (offload.getFallback() != null) {
            warning(message + "; packets of this SA go to the fallback '" + offload.getFallback().getName() + "'", sa,
                    Literals.SECURITY_ASSOCIATION__OFFLOAD, EsplineIssueCodes.OFFLOAD_UNSUPPORTED);
        } else {
            error(message, sa, Literals.SECURITY_ASSOCIATION__OFFLOAD, EsplineIssueCodes.OFFLOAD_UNSUPPORTED);
        }
    }

    /**
     * What the backend itself can run, beyond the target's list: the bouncycastle backend has no AES-GMAC or NULL
     * engine (the runtime refuses such SAs and runs them in software).
     */
    @Check
    public void checkOffloadBackendRunsAlgorithm(SecurityAssociation sa) {
        Offload offload = sa.getOffload();
        Algorithm algorithm = sa.getAlgorithm();
        if (offload == null || offload.eIsProxy() || algorithm == null || offload.getKind() != OffloadKind.BOUNCYCASTLE) {
            return;
        }
        String missing = null;
        if (algorithm instanceof AeadAlgorithm aead && aead.getName().getLiteral().endsWith("gmac")) {
            missing = aead.getName().getLiteral();
        } else if (algorithm instanceof CipherIntegrity cipher && cipher.getCipher() == CipherName.NULL) {
            missing = cipher.getCipher().getLiteral();
        }
        if (missing != null) {
            warning("offload '" + offload.getName() + "' is a bouncycastle backend, which has no engine for " + missing
                    + ": packets of SA '" + sa.getName() + "' go through software (the JCA path)", sa,
                    Literals.SECURITY_ASSOCIATION__OFFLOAD, EsplineIssueCodes.OFFLOAD_BACKEND_LACKS_ALGORITHM);
        }
    }

    /** A target's {@code sa-table} should hold the SAs that name it; the device refuses the rest (TABLE_FULL). */
    @Check
    public void checkOffloadTableHoldsItsSas(Offload offload) {
        if (!offload.eIsSet(Literals.OFFLOAD__SA_TABLE_SIZE) || !(offload.eContainer() instanceof Model model)) {
            return;
        }
        long naming = model.getElements().stream()
                .filter(e -> e instanceof SecurityAssociation sa && sa.getOffload() == offload).count();
        if (naming > offload.getSaTableSize()) {
            warning("offload '" + offload.getName() + "' holds " + offload.getSaTableSize() + " SAs but " + naming
                    + " name it: expected sa-table at least " + naming + "; the device refuses the rest and their"
                    + " packets go through software", offload, Literals.OFFLOAD__SA_TABLE_SIZE,
                    EsplineIssueCodes.OFFLOAD_TABLE_OVERFLOW);
        }
    }

    private static boolean listsAlgorithms(Offload offload) {
        return !offload.getAeadAlgorithms().isEmpty() || !offload.getCipherAlgorithms().isEmpty()
                || !offload.getIntegrityAlgorithms().isEmpty();
    }

    /** The algorithms as written, in the order of the model. */
    private static String algorithmsAsWritten(Offload offload) {
        List<INode> nodes = new ArrayList<>();
        nodes.addAll(NodeModelUtils.findNodesForFeature(offload, Literals.OFFLOAD__AEAD_ALGORITHMS));
        nodes.addAll(NodeModelUtils.findNodesForFeature(offload, Literals.OFFLOAD__CIPHER_ALGORITHMS));
        nodes.addAll(NodeModelUtils.findNodesForFeature(offload, Literals.OFFLOAD__INTEGRITY_ALGORITHMS));
        return nodes.stream()
                .sorted((a, b) -> Integer.compare(a.getOffset(), b.getOffset()))
                .map(NodeModelUtils::getTokenText)
                .collect(Collectors.joining(", "));
    }

    // ------------------------------------------------------------------ addresses and IP versions

    @Check
    public void checkAddressWellFormed(TunnelMode tunnel) {
        checkAddress(tunnel.getSource(), false, tunnel, Literals.TUNNEL_MODE__SOURCE);
        checkAddress(tunnel.getDestination(), false, tunnel, Literals.TUNNEL_MODE__DESTINATION);
    }

    @Check
    public void checkAddressWellFormed(Policy policy) {
        checkAddress(policy.getSource(), true, policy, Literals.POLICY__SOURCE);
        checkAddress(policy.getDestination(), true, policy, Literals.POLICY__DESTINATION);
    }

    @Check
    public void checkAddressWellFormed(UdpPort port) {
        checkAddress(port.getAddress(), false, port, Literals.UDP_PORT__ADDRESS);
    }

    private void checkAddress(String text, boolean prefix, EObject owner, EStructuralFeature feature) {
        if (text == null || "any".equals(text)) {
            return;
        }
        try {
            IpPrefix.parse(text);
            if (!prefix && text.indexOf('/') >= 0) {
                error("malformed address '" + text + "': expected an address without prefix length", owner, feature,
                        EsplineIssueCodes.ADDRESS_MALFORMED);
            }
        } catch (IllegalArgumentException e) {
            error("malformed address '" + text + "': " + e.getMessage(), owner, feature,
                    EsplineIssueCodes.ADDRESS_MALFORMED);
        }
    }

    /** Tunnel endpoints are of one IP version; so are a policy's source and destination prefixes. */
    @Check
    public void checkIpVersionsAgree(TunnelMode tunnel) {
        checkVersions("tunnel", tunnel.getSource(), tunnel.getDestination(), tunnel, Literals.TUNNEL_MODE__DESTINATION);
    }

    @Check
    public void checkIpVersionsAgree(Policy policy) {
        checkVersions("policy", policy.getSource(), policy.getDestination(), policy, Literals.POLICY__DESTINATION);
    }

    private void checkVersions(String what, String source, String destination, EObject owner,
            EStructuralFeature feature) {
        IpPrefix src = prefixOrNull(source);
        IpPrefix dst = prefixOrNull(destination);
        if (src != null && dst != null && src.version() != dst.version()) {
            error(what + " src " + source + " is IPv" + src.version() + " but dst " + destination + " is IPv"
                    + dst.version() + ": expected one IP version", owner, feature, EsplineIssueCodes.IP_VERSION_MISMATCH);
        }
    }

    /** ESP-in-UDP (RFC 3948) is defined for IPv4 only; the runtime's SaConfig refuses it over IPv6. */
    @Check
    public void checkUdpEncapsulationIsIpv4(SecurityAssociation sa) {
        if (sa.getEncap() == null || !(sa.getMode() instanceof TunnelMode)) {
            return;
        }
        TunnelMode tunnel = (TunnelMode) sa.getMode();
        IpPrefix destination = prefixOrNull(tunnel.getDestination());
        if (destination != null && destination.version() == 6) {
            error("encap udp (RFC 3948) is defined for IPv4 only but the tunnel to " + tunnel.getDestination()
                    + " is IPv6: expected IPv4 endpoints or no encap", sa, Literals.SECURITY_ASSOCIATION__ENCAP,
                    EsplineIssueCodes.ENCAP_NOT_IPV4);
        }
    }

    // ------------------------------------------------------------------ policies

    /**
     * Policies are ordered and the first match decides, so a policy whose every packet an earlier one matches is
     * never used: the earlier one has the same or no direction, prefixes that contain these, protocol any or the
     * same, and port ranges that contain these.
     */
    @Check
    public void checkPolicyNotShadowed(Policy policy) {
        if (!(policy.eContainer() instanceof Model)) {
            return;
        }
        for (Policy earlier : EcoreUtil2.typeSelect(((Model) policy.eContainer()).getElements(), Policy.class)) {
            if (earlier == policy) {
                return;
            }
            if (covers(earlier, policy)) {
                warning("policy '" + policy.getName() + "' is shadowed by the earlier policy '" + earlier.getName()
                        + "', which matches all its packets: expected a narrower earlier policy or this one first",
                        policy, Literals.ELEMENT__NAME, EsplineIssueCodes.POLICY_SHADOWED);
                return;
            }
        }
    }

    private static boolean covers(Policy earlier, Policy later) {
        if (earlier.getDirection() != Direction.ANY && earlier.getDirection() != later.getDirection()) {
            return false;
        }
        if (earlier.getProtocol() != Protocol.ANY && earlier.getProtocol() != later.getProtocol()) {
            return false;
        }
        return prefixCovers(earlier.getSource(), later.getSource())
                && prefixCovers(earlier.getDestination(), later.getDestination())
                && portsCover(earlier.getSourcePorts(), later.getSourcePorts())
                && portsCover(earlier.getDestinationPorts(), later.getDestinationPorts());
    }

    private static boolean prefixCovers(String outer, String inner) {
        if ("any".equals(outer)) {
            return true;
        }
        IpPrefix a = prefixOrNull(outer);
        IpPrefix b = prefixOrNull(inner);
        return a != null && b != null && a.contains(b);
    }

    private static boolean portsCover(PortRange outer, PortRange inner) {
        if (outer == null) {
            return true;
        }
        if (inner == null) {
            return false;
        }
        return outer.getFrom() <= inner.getFrom() && upper(inner) <= upper(outer);
    }

    private static int upper(PortRange range) {
        return written(range, Literals.PORT_RANGE__TO) ? range.getTo() : range.getFrom();
    }

    /**
     * {@code protect} names the SA of the policy's direction: an outbound policy (or one without {@code dir}) encrypts
     * with an outbound SA, so its SA may not be written {@code dir in}; an inbound policy ({@code dir in}, as
     * {@code ip xfrm policy ... dir in tmpl ...}) checks that packets came through an inbound SA, so its SA may not be
     * written {@code dir out}.
     */
    @Check
    public void checkProtectUsesSaOfItsDirection(ProtectAction action) {
        SecurityAssociation sa = action.getSa();
        Policy policy = EcoreUtil2.getContainerOfType(action, Policy.class);
        if (sa == null || sa.eIsProxy() || policy == null || sa.getDirection() == Direction.ANY) {
            return;
        }
        boolean inboundPolicy = policy.getDirection() == Direction.IN;
        if (!inboundPolicy && sa.getDirection() == Direction.IN) {
            error("policy '" + policy.getName() + "' protects with SA '" + sa.getName() + "', which is inbound (dir in): "
                    + "expected an outbound SA", action, Literals.PROTECT_ACTION__SA, EsplineIssueCodes.PROTECT_DIRECTION);
        } else if (inboundPolicy && sa.getDirection() == Direction.OUT) {
            error("policy '" + policy.getName() + "' (dir in) protects with SA '" + sa.getName() + "', which is outbound "
                    + "(dir out): expected an inbound SA", action, Literals.PROTECT_ACTION__SA,
                    EsplineIssueCodes.PROTECT_DIRECTION);
        }
    }

    // ------------------------------------------------------------------ buffers and pipelines

    /** Room before the packet for what ESP output puts in front of it (esp_output_head), for every SA it may use. */
    @Check(CheckType.NORMAL)
    public void checkHeadroom(Pipeline pipeline) {
        Buffers buffers = encryptingBuffers(pipeline);
        if (buffers == null) {
            return;
        }
        SecurityAssociation sa = largest(encryptingSas(pipeline), Overhead::head);
        if (sa == null) {
            return;
        }
        Overhead overhead = Overhead.of(sa);
        if (buffers.getHeadroom() < overhead.head()) {
            error("headroom " + buffers.getHeadroom() + " is too small for SA '" + sa.getName() + "': needs "
                    + overhead.head() + " (" + overhead.headParts() + ")", pipeline, Literals.PIPELINE__BUFFERS,
                    EsplineIssueCodes.HEADROOM_TOO_SMALL, Integer.toString(overhead.head()));
        }
    }

    /**
     * Room after the packet for the ESP trailer and ICV, unless a fragment slot is reserved for them (the rungs of
     * esp_output_head: tailroom, then a spare fragment, then a copy).
     */
    @Check(CheckType.NORMAL)
    public void checkTailroom(Pipeline pipeline) {
        Buffers buffers = encryptingBuffers(pipeline);
        if (buffers == null || buffers.isReserveTrailerSlot() && buffers.getMaxFragments() >= 1) {
            return;
        }
        SecurityAssociation sa = largest(encryptingSas(pipeline), Overhead::tail);
        if (sa == null) {
            return;
        }
        Overhead overhead = Overhead.of(sa);
        if (buffers.getTailroom() < overhead.tail()) {
            error("tailroom " + buffers.getTailroom() + " is too small for SA '" + sa.getName() + "': needs "
                    + overhead.tail() + " (" + overhead.tailParts() + ") or reserve-trailer-slot with fragments 1 "
                    + "or more", pipeline, Literals.PIPELINE__BUFFERS, EsplineIssueCodes.TAILROOM_TOO_SMALL,
                    Integer.toString(overhead.tail()));
        }
    }

    /** The SA with the largest {@code size} of its overhead (the first of equals), or null when none has one. */
    private static SecurityAssociation largest(Set<SecurityAssociation> sas, ToIntFunction<Overhead> size) {
        SecurityAssociation largest = null;
        int max = -1;
        for (SecurityAssociation sa : sas) {
            Overhead overhead = Overhead.of(sa);
            if (overhead != null && size.applyAsInt(overhead) > max) {
                largest = sa;
                max = size.applyAsInt(overhead);
            }
        }
        return largest;
    }

    /** A GSO segment with its inner IP and TCP headers and the ESP overhead fits the buffers' MTU (1500 when absent). */
    @Check(CheckType.NORMAL)
    public void checkGsoFitsMtu(GsoStage gso) {
        Pipeline pipeline = EcoreUtil2.getContainerOfType(gso, Pipeline.class);
        if (pipeline == null || pipeline.getKind() != PipelineKind.TX || !encrypts(pipeline)) {
            return;
        }
        Buffers buffers = pipeline.getBuffers();
        boolean mtuWritten = buffers != null && !buffers.eIsProxy() && written(buffers, Literals.BUFFERS__MTU);
        int mtu = mtuWritten ? buffers.getMtu() : DEFAULT_MTU;
        List<Policy> policies = policies(pipeline);
        SecurityAssociation worst = null;
        int worstInner = 0;
        int worstEsp = -1;
        for (SecurityAssociation sa : encryptingSas(pipeline)) {
            Overhead overhead = Overhead.of(sa);
            int inner = innerIpVersion(sa, policies) == 6 ? 40 : 20;
            if (overhead != null && inner + overhead.head() + overhead.tail() > worstInner + worstEsp) {
                worst = sa;
                worstInner = inner;
                worstEsp = overhead.head() + overhead.tail();
            }
        }
        int total = gso.getMss() + worstInner + TCP_HEADER + worstEsp;
        if (worst != null && total > mtu) {
            int maxMss = mtu - worstInner - TCP_HEADER - worstEsp;
            error("gso mss " + gso.getMss() + " does not fit mtu " + mtu + " with SA '" + worst.getName() + "': "
                    + gso.getMss() + " + inner IP " + worstInner + " + TCP " + TCP_HEADER + " + ESP " + worstEsp + " = "
                    + total + ", expected mss " + maxMss + " or less", gso, Literals.GSO_STAGE__MSS,
                    EsplineIssueCodes.GSO_EXCEEDS_MTU, Integer.toString(maxMss));
        }
    }

    /** The buffers of a tx pipeline with an encrypt stage, else null (nothing to check). */
    private static Buffers encryptingBuffers(Pipeline pipeline) {
        Buffers buffers = pipeline.getBuffers();
        if (pipeline.getKind() != PipelineKind.TX || buffers == null || buffers.eIsProxy() || !encrypts(pipeline)) {
            return null;
        }
        return buffers;
    }

    private static boolean encrypts(Pipeline pipeline) {
        return pipeline.getStages().stream().anyMatch(EncryptStage.class::isInstance);
    }

    /**
     * The SAs an encrypt stage can use: those the visible policies protect with, or, without such policies, every
     * visible SA not written {@code dir in}.
     */
    private static Set<SecurityAssociation> encryptingSas(Pipeline pipeline) {
        Set<SecurityAssociation> sas = new LinkedHashSet<>();
        for (Policy policy : policies(pipeline)) {
            if (policy.getAction() instanceof ProtectAction) {
                SecurityAssociation sa = ((ProtectAction) policy.getAction()).getSa();
                if (sa != null && !sa.eIsProxy()) {
                    sas.add(sa);
                }
            }
        }
        if (!sas.isEmpty()) {
            return sas;
        }
        for (Model model : visibleModels(pipeline)) {
            for (SecurityAssociation sa : EcoreUtil2.typeSelect(model.getElements(), SecurityAssociation.class)) {
                if (sa.getDirection() != Direction.IN) {
                    sas.add(sa);
                }
            }
        }
        return sas;
    }

    private static List<Policy> policies(EObject context) {
        List<Policy> policies = new ArrayList<>();
        for (Model model : visibleModels(context)) {
            policies.addAll(EcoreUtil2.typeSelect(model.getElements(), Policy.class));
        }
        return policies;
    }

    /** 6 when a policy protecting with the SA selects IPv6 traffic, else 4. */
    private static int innerIpVersion(SecurityAssociation sa, List<Policy> policies) {
        for (Policy policy : policies) {
            if (policy.getAction() instanceof ProtectAction && ((ProtectAction) policy.getAction()).getSa() == sa) {
                IpPrefix src = prefixOrNull(policy.getSource());
                IpPrefix dst = prefixOrNull(policy.getDestination());
                if (src != null && src.version() == 6 || dst != null && dst.version() == 6) {
                    return 6;
                }
            }
        }
        return 4;
    }

    /**
     * What ESP adds to a packet with one SA: before it the outer IP header (tunnel mode), UDP (NAT-T), the ESP header
     * and the IV; after it at most block - 1 bytes of padding, pad length and next header, and the ICV.
     */
    static final class Overhead {
        private final int outerIp;
        private final int outerVersion;
        private final int udp;
        private final int iv;
        private final int padding;
        private final int icv;

        private Overhead(int outerIp, int outerVersion, int udp, int iv, int padding, int icv) {
            this.outerIp = outerIp;
            this.outerVersion = outerVersion;
            this.udp = udp;
            this.iv = iv;
            this.padding = padding;
            this.icv = icv;
        }

        /** Null when the SA has no algorithm or its tunnel destination is no address. */
        static Overhead of(SecurityAssociation sa) {
            Algorithm algorithm = sa.getAlgorithm();
            if (algorithm == null) {
                return null;
            }
            int outerVersion = 0;
            if (sa.getMode() instanceof TunnelMode) {
                IpPrefix destination = prefixOrNull(((TunnelMode) sa.getMode()).getDestination());
                if (destination == null) {
                    return null;
                }
                outerVersion = destination.version();
            }
            EncryptionAlgorithm encryption = AlgorithmFacts.encryption(algorithm);
            boolean integrity = algorithm instanceof CipherIntegrity && hasIntegrity((CipherIntegrity) algorithm);
            return new Overhead(outerVersion == 0 ? 0 : outerVersion == 4 ? 20 : 40, outerVersion,
                    sa.getEncap() != null ? UDP_HEADER : 0, encryption.ivLength(), encryption.blockSize() - 1,
                    AlgorithmFacts.icvBytes(algorithm, integrity));
        }

        int head() {
            return outerIp + udp + ESP_HEADER + iv;
        }

        int tail() {
            return padding + TRAILER_FIXED + icv;
        }

        /** "IPv4 20 + UDP 8 + ESP 8 + IV 8"; absent parts are left out. */
        String headParts() {
            List<String> parts = new ArrayList<>();
            if (outerIp > 0) {
                parts.add("IPv" + outerVersion + " " + outerIp);
            }
            if (udp > 0) {
                parts.add("UDP " + udp);
            }
            parts.add("ESP " + ESP_HEADER);
            if (iv > 0) {
                parts.add("IV " + iv);
            }
            return String.join(" + ", parts);
        }

        /** "padding 15 + trailer 2 + ICV 16". */
        String tailParts() {
            return "padding " + padding + " + trailer " + TRAILER_FIXED + " + ICV " + icv;
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Whether {@code feature} was written in the text (optional enums read as their first literal when absent). */
    static boolean written(EObject object, EStructuralFeature feature) {
        return !NodeModelUtils.findNodesForFeature(object, feature).isEmpty();
    }

    /** {@code auth} was written: its key is mandatory in the grammar, so a key says so even in a broken text. */
    static boolean hasIntegrity(CipherIntegrity algorithm) {
        return algorithm.getIntegrityKey() != null || written(algorithm, Literals.CIPHER_INTEGRITY__INTEGRITY);
    }

    /** A Number (INT or 0x HEX), or null when absent or unreadable. */
    static BigInteger number(String text) {
        if (text == null) {
            return null;
        }
        try {
            return text.startsWith("0x") || text.startsWith("0X") ? new BigInteger(text.substring(2), 16) : new BigInteger(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static IpPrefix prefixOrNull(String text) {
        if (text == null || "any".equals(text)) {
            return null;
        }
        try {
            return IpPrefix.parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The object's model and the models its file imports, transitively; missing files are left out. */
    static List<Model> visibleModels(EObject context) {
        List<Model> models = new ArrayList<>();
        Resource resource = context.eResource();
        if (resource == null) {
            return models;
        }
        Set<URI> seen = new LinkedHashSet<>();
        collect(resource, seen, models);
        return models;
    }

    private static void collect(Resource resource, Set<URI> seen, List<Model> models) {
        if (!seen.add(resource.getURI()) || resource.getContents().isEmpty()
                || !(resource.getContents().get(0) instanceof Model)) {
            return;
        }
        Model model = (Model) resource.getContents().get(0);
        models.add(model);
        ResourceSet resourceSet = resource.getResourceSet();
        if (resourceSet == null) {
            return;
        }
        for (Import imported : model.getImports()) {
            if (imported.getImportURI() == null) {
                continue;
            }
            URI uri = URI.createURI(imported.getImportURI());
            URI base = resource.getURI();
            if (uri.isRelative() && base != null && base.isHierarchical() && !base.isRelative()) {
                uri = uri.resolve(base); // only an absolute, hierarchical URI anchors a relative import
            }
            if (!EcoreUtil2.isValidUri(resource, uri)) {
                continue;
            }
            Resource next;
            try {
                next = resourceSet.getResource(uri, true);
            } catch (RuntimeException e) {
                continue; // reported by the import check
            }
            if (next != null) {
                collect(next, seen, models);
            }
        }
    }
}
