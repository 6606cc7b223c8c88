package org.espline.runtime.crypto;

/** ESP integrity algorithms for non-AEAD transforms (RFC 4868, RFC 2404), with Linux names. */
public enum IntegrityAlgorithm {
    /** No separate integrity: only valid with an AEAD transform (or the benchmark-only null cipher). */
    NONE(null, null, 0, 0),
    /** RFC 2404, legacy. */
    HMAC_SHA1_96("hmac(sha1)", "HmacSHA1", 20, 12),
    /** RFC 4868. */
    HMAC_SHA256_128("hmac(sha256)", "HmacSHA256", 32, 16),
    /** RFC 4868. */
    HMAC_SHA384_192("hmac(sha384)", "HmacSHA384", 48, 24),
    /** RFC 4868. */
    HMAC_SHA512_256("hmac(sha512)", "HmacSHA512", 64, 32);

    private final String linuxName;
    private final String jcaName;
    private final int keyLength;
    private final int defaultIcvLength;

    IntegrityAlgorithm(String linuxName, String jcaName, int keyLength, int defaultIcvLength) {
        this.linuxName = linuxName;
        this.jcaName = jcaName;
        this.keyLength = keyLength;
        this.defaultIcvLength = defaultIcvLength;
    }

    public String linuxName() { return linuxName; }

    public String jcaName() { return jcaName; }

    /** The key length RFC 4868/2404 prescribe (equal to the hash output). */
    public int keyLength() { return keyLength; }

    /** The truncated ICV length the RFC prescribes, in bytes. */
    public int defaultIcvLength() { return defaultIcvLength; }

    public static IntegrityAlgorithm fromLinuxName(String name) {
        for (IntegrityAlgorithm a : values()) {
            if (a.linuxName != null && a.linuxName.equals(name)) {
                return a;
            }
        }
        return null;
    }
}
