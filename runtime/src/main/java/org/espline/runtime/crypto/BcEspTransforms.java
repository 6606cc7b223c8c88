package org.espline.runtime.crypto;

import java.util.Objects;

import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.modes.CCMBlockCipher;
import org.bouncycastle.crypto.modes.ChaCha20Poly1305;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.gcm.BasicGCMMultiplier;
import org.espline.runtime.sa.SaConfig;

/**
 * ESP transforms on Bouncy Castle's lightweight engines only (no JCA provider), for the {@code bouncycastle}
 * offload backend: AES-GCM, AES-CCM, ChaCha20-Poly1305 and AES-CBC with HMAC, byte for byte the wire format of
 * {@link EspTransforms} (the tests compare both). AES-GMAC and NULL have no Bouncy Castle transform here.
 */
public final class BcEspTransforms {
    private BcEspTransforms() {
    }

    /** Whether {@link #create} has a transform for {@code sa}'s algorithms. */
    public static boolean supports(SaConfig sa) {
        switch (sa.encryption()) {
            case AES_GCM:
            case AES_CCM:
            case CHACHA20_POLY1305:
                return true;
            case AES_CBC:
                return sa.integrity() != IntegrityAlgorithm.NONE;
            default:
                return false;
        }
    }

    /**
     * A new transform for {@code sa}, one per thread.
     *
     * @throws IllegalArgumentException when {@link #supports} is false or the keys do not fit
     */
    public static EspTransform create(SaConfig sa) {
        Objects.requireNonNull(sa, "sa");
        switch (sa.encryption()) {
            case AES_GCM:
                return BcAeadTransform.of("AES-GCM",
                        GCMBlockCipher.newInstance(AESEngine.newInstance(), new BasicGCMMultiplier()), sa);
            case AES_CCM:
                return BcAeadTransform.aesCcm(sa);
            case CHACHA20_POLY1305:
                return BcAeadTransform.of("ChaCha20-Poly1305", new ChaCha20Poly1305(), sa);
            case AES_CBC:
                if (sa.integrity() != IntegrityAlgorithm.NONE) {
                    return new BcCbcHmacTransform(sa);
                }
                break;
            default:
                break;
        }
        throw new IllegalArgumentException(sa.name() + ": no Bouncy Castle transform for " + sa.encryption().linuxName()
                + (sa.integrity() == IntegrityAlgorithm.NONE ? "" : " with " + sa.integrity().linuxName()));
    }
}
