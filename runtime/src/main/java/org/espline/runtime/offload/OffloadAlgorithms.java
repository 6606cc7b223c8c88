package org.espline.runtime.offload;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.sa.SaConfig;

/** An SA's algorithms in the model's (swanctl's) names, for matching them against a device's list. */
public final class OffloadAlgorithms {
    private OffloadAlgorithms() {
    }

    /** E.g. {@code [aes128gcm16]}, {@code [chacha20poly1305]}, {@code [aes256, sha512]}, {@code [null, sha256]}. */
    public static List<String> names(SaConfig sa) {
        List<String> names = new ArrayList<>(2);
        EncryptionAlgorithm e = sa.encryption();
        int bits = (sa.encryptionKey().length() - e.saltLength()) * 8;
        switch (e) {
            case AES_GCM -> names.add("aes" + bits + "gcm" + sa.icvLength());
            case AES_CCM -> names.add("aes" + bits + "ccm" + sa.icvLength());
            case AES_GMAC -> names.add("aes" + bits + "gmac");
            case CHACHA20_POLY1305 -> names.add("chacha20poly1305");
            case AES_CBC -> names.add("aes" + bits);
            case NULL -> names.add("null");
            default -> names.add(e.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (!e.isAead() && sa.integrity() != IntegrityAlgorithm.NONE) {
            names.add(switch (sa.integrity()) {
                case HMAC_SHA1_96 -> "sha1";
                case HMAC_SHA256_128 -> "sha256";
                case HMAC_SHA384_192 -> "sha384";
                case HMAC_SHA512_256 -> "sha512";
                default -> sa.integrity().name().toLowerCase(java.util.Locale.ROOT);
            });
        }
        return names;
    }

    /** Whether every algorithm of {@code sa} is in {@code supported} (an empty set supports everything). */
    public static boolean supports(Set<String> supported, SaConfig sa) {
        return supported.isEmpty() || supported.containsAll(names(sa));
    }
}
