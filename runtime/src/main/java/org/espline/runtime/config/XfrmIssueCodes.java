package org.espline.runtime.config;

/**
 * Issue codes of {@link XfrmStateParser}, one per rule, carried by {@link ConfigProblem#code()}.
 * Tests and tools match on these, never on message text.
 */
public final class XfrmIssueCodes {
    private static final String PREFIX = "xfrm.";

    /** Unterminated quote. */
    public static final String SYNTAX = PREFIX + "syntax";
    /** A word that is no {@code ip xfrm state} keyword where a keyword is expected. */
    public static final String UNKNOWN_TOKEN = PREFIX + "unknown-token";
    /** A keyword at the end of the SA without its value. */
    public static final String MISSING_VALUE = PREFIX + "missing-value";
    /** A value of the wrong form: number, address, mode, flag, port, listing field. */
    public static final String BAD_VALUE = PREFIX + "bad-value";
    /** Key material that is neither {@code 0x} hex of whole bytes nor a string. */
    public static final String BAD_KEY = PREFIX + "bad-key";
    /** Key of the wrong length for its algorithm (RFC 4106/4309/4543/7634/3602/4868/2404). */
    public static final String KEY_LENGTH = PREFIX + "key-length";
    /** AEAD ICV or HMAC truncation length the algorithm does not allow. */
    public static final String ICV_LENGTH = PREFIX + "icv-length";
    /** An algorithm name Linux does not know, or one used with the wrong keyword (aead/enc/auth). */
    public static final String UNKNOWN_ALGORITHM = PREFIX + "unknown-algorithm";
    /** {@code auth 'hmac(sha256)'}: Linux truncates to 96 bits, RFC 4868 requires 128. */
    public static final String LEGACY_TRUNCATION = PREFIX + "legacy-truncation";
    /** Valid for Linux but not supported by Espline (proto ah, mode beet, mark, if_id, ctx, espintcp, 3DES...). */
    public static final String UNSUPPORTED = PREFIX + "unsupported";
    /** A line that is not {@code ip xfrm state add|update} nor part of an {@code ip xfrm state} listing. */
    public static final String NOT_AN_SA = PREFIX + "not-an-sa";
    /** A keyword given twice in one SA, or two SAs with the same destination and SPI. */
    public static final String DUPLICATE = PREFIX + "duplicate";
    /** Something the SA needs is absent (src, dst, proto, spi, algorithm). */
    public static final String MISSING = PREFIX + "missing";
    /** The listing was printed with {@code nokeys}: no key material to read. */
    public static final String KEYS_HIDDEN = PREFIX + "keys-hidden";
    /** {@code SaConfig} refused the combination (message from its builder). */
    public static final String INVALID_SA = PREFIX + "invalid-sa";

    private XfrmIssueCodes() {
    }
}
