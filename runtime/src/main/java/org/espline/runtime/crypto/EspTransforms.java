package org.espline.runtime.crypto;

import java.util.Objects;

import org.espline.runtime.sa.SaConfig;

/**
 * Builds the {@link EspTransform} for an SA's algorithms and keys.
 *
 * <table>
 *   <caption>Which class does what</caption>
 *   <tr><th>SA</th><th>transform</th><th>engine</th></tr>
 *   <tr><td>AES-GCM, ICV 12/16</td><td>{@code AesGcmTransform}</td><td>JCA AES/GCM</td></tr>
 *   <tr><td>AES-GCM, ICV 8</td><td>{@code BcAeadTransform}</td><td>Bouncy Castle GCM (SunJCE refuses 64-bit tags)</td></tr>
 *   <tr><td>AES-CCM</td><td>{@code BcAeadTransform}</td><td>Bouncy Castle CCM (no JDK CCM)</td></tr>
 *   <tr><td>ChaCha20-Poly1305</td><td>{@code ChaCha20Poly1305Transform}</td><td>JCA</td></tr>
 *   <tr><td>AES-GMAC</td><td>{@code AesGmacTransform}</td><td>JCA AES/GCM, all AAD</td></tr>
 *   <tr><td>AES-CBC + HMAC</td><td>{@code AesCbcHmacTransform}</td><td>JCA AES/CBC, AES/ECB (IV), Mac</td></tr>
 *   <tr><td>NULL + HMAC</td><td>{@code NullHmacTransform}</td><td>JCA Mac</td></tr>
 *   <tr><td>NULL alone (benchmarks)</td><td>{@code BenchmarkOnlyNullTransform}</td><td>none</td></tr>
 * </table>
 */
public final class EspTransforms {
    private EspTransforms() {
    }

    /**
     * A new transform for {@code sa}. Each call returns a fresh instance holding its own cipher state;
     * keep one per thread.
     *
     * @throws IllegalArgumentException if the SA's algorithms or keys cannot be used (the message names
     *                                  the SA and the algorithm, never the key)
     */
    public static EspTransform create(SaConfig sa) {
        Objects.requireNonNull(sa, "sa");
        switch (sa.encryption()) {
            case AES_GCM:
                return sa.icvLength() == 8 ? BcAeadTransform.aesGcmShortIcv(sa) : new AesGcmTransform(sa);
            case AES_CCM:
                return BcAeadTransform.aesCcm(sa);
            case CHACHA20_POLY1305:
                return new ChaCha20Poly1305Transform(sa);
            case AES_GMAC:
                return new AesGmacTransform(sa);
            case AES_CBC:
                requireIntegrity(sa);
                return new AesCbcHmacTransform(sa);
            case NULL:
                if (sa.integrity() != IntegrityAlgorithm.NONE) {
                    return new NullHmacTransform(sa);
                }
                if (!sa.benchmarkOnlyNullWithoutIntegrity()) {
                    throw new IllegalArgumentException(sa.name()
                            + ": NULL encryption without integrity is refused (RFC 4303 section 3.2)");
                }
                return new BenchmarkOnlyNullTransform();
            default:
                throw new IllegalArgumentException(sa.name() + ": no transform for " + sa.encryption());
        }
    }

    private static void requireIntegrity(SaConfig sa) {
        if (sa.integrity() == IntegrityAlgorithm.NONE) {
            throw new IllegalArgumentException(sa.name() + ": " + sa.encryption().linuxName()
                    + " needs an integrity algorithm");
        }
    }
}
