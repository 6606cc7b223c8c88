package org.espline.dsl.validation;

/**
 * The codes of the issues {@link EsplineValidator} reports, one per rule, with the language prefix so a client can tell
 * them from Xtext's own. Quick fixes are keyed by these codes; where a fix needs a value, it travels as issue data
 * (noted on the code).
 */
public final class EsplineIssueCodes {

    private static final String PREFIX = "espline.";

    /** A literal hex key of the wrong length for its algorithm, a key where none is taken, or none where one is. */
    public static final String KEY_LENGTH = PREFIX + "key.length";
    /** A cipher (AES-CBC) without {@code auth}: RFC 8221 §6 forbids AUTH_NONE with a non-AEAD cipher. */
    public static final String INTEGRITY_MISSING = PREFIX + "integrity.missing";
    /** {@code enc null} without {@code auth}: no confidentiality and no integrity (RFC 4303 §3.2). */
    public static final String NULL_WITHOUT_INTEGRITY = PREFIX + "null.without.integrity";
    /** {@code enc null benchmark-only}: allowed, with a warning that it is for benchmarks only. */
    public static final String BENCHMARK_ONLY = PREFIX + "benchmark.only";
    /** An algorithm RFC 8221 discourages (warning). */
    public static final String ALGORITHM_DISCOURAGED = PREFIX + "algorithm.discouraged";
    /** SPI 0..255 (RFC 4303 §2.1). Data: the SPI as written. */
    public static final String SPI_RESERVED = PREFIX + "spi.reserved";
    /** An SPI above 0xffffffff. */
    public static final String SPI_RANGE = PREFIX + "spi.range";
    /** An SA without {@code spi}. */
    /** An SA names no mode. */
    public static final String MODE_MISSING = PREFIX + "mode.missing";
    /** An SA names no algorithm. */
    public static final String ALGORITHM_MISSING = PREFIX + "algorithm.missing";
    public static final String SPI_MISSING = PREFIX + "spi.missing";
    /** Two SAs with the same SPI, destination and direction. */
    public static final String SPI_DUPLICATE = PREFIX + "spi.duplicate";
    /** Buffers' headroom below the outer overhead of an SA a tx pipeline encrypts with. Data: the headroom needed. */
    public static final String HEADROOM_TOO_SMALL = PREFIX + "headroom.too.small";
    /** Buffers' tailroom below the ESP trailer and ICV, with no fragment slot reserved. Data: the tailroom needed. */
    public static final String TAILROOM_TOO_SMALL = PREFIX + "tailroom.too.small";
    /** GSO segment plus inner headers plus ESP overhead above the MTU. Data: the largest mss that fits. */
    public static final String GSO_EXCEEDS_MTU = PREFIX + "gso.exceeds.mtu";
    /** An SA offloaded to a target that does not list its algorithm (warning when the target has a fallback). */
    public static final String OFFLOAD_UNSUPPORTED = PREFIX + "offload.unsupported";
    /**
     * An SA on an offload backend that has no engine for its algorithm whatever the target lists (bouncycastle: no
     * AES-GMAC, no NULL): its packets take the software path. Warning.
     */
    public static final String OFFLOAD_BACKEND_LACKS_ALGORITHM = PREFIX + "offload.backend.lacks.algorithm";
    /** More SAs name an offload target than its {@code sa-table} holds: the rest take the software path. Warning. */
    public static final String OFFLOAD_TABLE_OVERFLOW = PREFIX + "offload.table.overflow";
    /** Tunnel endpoints, or a policy's prefixes, of different IP versions. */
    public static final String IP_VERSION_MISMATCH = PREFIX + "ip.version.mismatch";
    /** {@code encap udp} on an IPv6 tunnel (RFC 3948 is IPv4 only). */
    public static final String ENCAP_NOT_IPV4 = PREFIX + "encap.not.ipv4";
    /** tfc-pad above 65535. */
    public static final String TFC_PADDING_RANGE = PREFIX + "tfc.padding.range";
    /** An address or prefix the terminals accept but that is no address (999.1.1.1, 1::2::3, /99). */
    public static final String ADDRESS_MALFORMED = PREFIX + "address.malformed";
    /** A policy that no packet reaches: an earlier one matches all its packets (warning). */
    public static final String POLICY_SHADOWED = PREFIX + "policy.shadowed";
    /** {@code protect} with an SA written for the other direction (dir in for an outbound policy, or the reverse). */
    public static final String PROTECT_DIRECTION = PREFIX + "protect.direction";
    /** replay-window outside 0..ReplayLimits.MAX_WINDOW. */
    public static final String REPLAY_WINDOW_RANGE = PREFIX + "replay.window.range";
    /** A packet lifetime above 2^32 - 1 on an SA without ESN. Fixed by adding esn. */
    public static final String LIFETIME_NEEDS_ESN = PREFIX + "lifetime.needs.esn";
    /** replay-seq or replay-oseq above 2^32 - 1 on an SA without ESN. Fixed by adding esn. */
    public static final String SEQUENCE_NEEDS_ESN = PREFIX + "sequence.needs.esn";
    /** A literal hex key (warning). Data: a suggested environment variable name. */
    public static final String LITERAL_KEY = PREFIX + "key.literal";
    /** An imported file that does not exist. */
    public static final String IMPORT_MISSING = PREFIX + "import.missing";

    private EsplineIssueCodes() {
    }
}
