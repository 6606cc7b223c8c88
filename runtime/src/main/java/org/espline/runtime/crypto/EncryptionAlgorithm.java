package org.espline.runtime.crypto;

/**
 * ESP encryption transforms, named as in RFC 8221 with the Linux crypto API name beside each.
 *
 * <p>AEAD transforms carry their own integrity; {@link #AES_GMAC} is an AEAD used for integrity only
 * (RFC 4543: the payload is authenticated, not encrypted). The salt is the trailing part of the
 * key material as in {@code ip xfrm} (RFC 4106 §8.1, RFC 4309 §7.1, RFC 7634 §4, RFC 4543 §3.2).
 */
public enum EncryptionAlgorithm {
    /** RFC 4106. Key 16/24/32 bytes + 4-byte salt; 8-byte explicit IV; ICV 8/12/16. */
    AES_GCM("rfc4106(gcm(aes))", true, 4, 8, 4, new int[] {16, 24, 32}),
    /** RFC 4309. Key 16/24/32 bytes + 3-byte salt; 8-byte explicit IV; ICV 8/12/16. */
    AES_CCM("rfc4309(ccm(aes))", true, 3, 8, 4, new int[] {16, 24, 32}),
    /** RFC 7634. Key 32 bytes + 4-byte salt; 8-byte explicit IV; ICV 16. */
    CHACHA20_POLY1305("rfc7539esp(chacha20,poly1305)", true, 4, 8, 4, new int[] {32}),
    /** RFC 4543. AES-GMAC: integrity only, payload in the clear. Key 16/24/32 + 4-byte salt; ICV 16. */
    AES_GMAC("rfc4543(gcm(aes))", true, 4, 8, 4, new int[] {16, 24, 32}),
    /** RFC 3602. Key 16/24/32 bytes; 16-byte random IV; needs an integrity algorithm. */
    AES_CBC("cbc(aes)", false, 0, 16, 16, new int[] {16, 24, 32}),
    /** RFC 2410. No confidentiality; needs an integrity algorithm (RFC 4303 §3.2). */
    NULL("ecb(cipher_null)", false, 0, 0, 4, new int[] {0});

    private final String linuxName;
    private final boolean aead;
    private final int saltLength;
    private final int ivLength;
    private final int blockSize;
    private final int[] keyLengths;

    EncryptionAlgorithm(String linuxName, boolean aead, int saltLength, int ivLength, int blockSize, int[] keyLengths) {
        this.linuxName = linuxName;
        this.aead = aead;
        this.saltLength = saltLength;
        this.ivLength = ivLength;
        this.blockSize = blockSize;
        this.keyLengths = keyLengths;
    }

    /** The Linux crypto API name used by {@code ip xfrm} ({@code aead}, {@code enc} or {@code auth}). */
    public String linuxName() { return linuxName; }

    public boolean isAead() { return aead; }

    /** Bytes of salt at the end of the key material (0 when the algorithm has none). */
    public int saltLength() { return saltLength; }

    /** Bytes of IV carried in each ESP packet. */
    public int ivLength() { return ivLength; }

    /** The ESP payload (payload + padding + pad length + next header) is padded to a multiple of this. */
    public int blockSize() { return blockSize; }

    /** Whether {@code cipherKeyLength} (without salt) is a valid key length. */
    public boolean acceptsKeyLength(int cipherKeyLength) {
        for (int k : keyLengths) {
            if (k == cipherKeyLength) {
                return true;
            }
        }
        return false;
    }

    /** Valid ICV lengths in bytes for AEAD transforms. */
    public boolean acceptsIcvLength(int icvLength) {
        switch (this) {
            case AES_GCM:
            case AES_CCM:
                return icvLength == 8 || icvLength == 12 || icvLength == 16;
            case CHACHA20_POLY1305:
            case AES_GMAC:
                return icvLength == 16;
            default:
                return false;
        }
    }

    public static EncryptionAlgorithm fromLinuxName(String name) {
        for (EncryptionAlgorithm a : values()) {
            if (a.linuxName.equals(name)) {
                return a;
            }
        }
        return null;
    }
}
