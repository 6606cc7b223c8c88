package org.espline.runtime.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;

/**
 * Linux crypto API names as {@code ip xfrm} takes them, mapped to Espline's algorithms. Linux also
 * accepts the {@code .compat} aliases of {@code net/xfrm/xfrm_algo.c} for enc and auth ({@code aes},
 * {@code cipher_null}, {@code sha1}, {@code sha256}) and prints the canonical name back; AEAD names
 * have no aliases.
 */
final class XfrmAlgorithms {
    /** In Linux's ealg_list but not implemented by Espline. */
    private static final Set<String> LINUX_ONLY_ENC = Set.of("cbc(des)", "des", "cbc(des3_ede)", "des3_ede",
            "cbc(cast5)", "cast5", "cbc(blowfish)", "blowfish", "cbc(serpent)", "serpent", "cbc(camellia)",
            "camellia", "cbc(twofish)", "twofish", "rfc3686(ctr(aes))");
    /** In Linux's aalg_list but not implemented by Espline. */
    private static final Set<String> LINUX_ONLY_AUTH = Set.of("digest_null", "hmac(md5)", "md5", "hmac(rmd160)",
            "rmd160", "xcbc(aes)", "cmac(aes)");

    private XfrmAlgorithms() {
    }

    /** The AEAD transform named exactly {@code name}, or null. */
    static EncryptionAlgorithm aead(String name) {
        EncryptionAlgorithm a = EncryptionAlgorithm.fromLinuxName(name);
        return a != null && a.isAead() ? a : null;
    }

    /** The non-AEAD cipher for {@code name} or its compat alias, or null. */
    static EncryptionAlgorithm cipher(String name) {
        switch (name) {
            case "aes":
                return EncryptionAlgorithm.AES_CBC;
            case "cipher_null":
                return EncryptionAlgorithm.NULL;
            default:
                EncryptionAlgorithm a = EncryptionAlgorithm.fromLinuxName(name);
                return a != null && !a.isAead() ? a : null;
        }
    }

    /** The integrity algorithm for {@code name} or its compat alias, or null. */
    static IntegrityAlgorithm integrity(String name) {
        switch (name) {
            case "sha1":
                return IntegrityAlgorithm.HMAC_SHA1_96;
            case "sha256":
                return IntegrityAlgorithm.HMAC_SHA256_128;
            default:
                return IntegrityAlgorithm.fromLinuxName(name);
        }
    }

    static boolean linuxOnly(String keyword, String name) {
        return keyword.equals("enc") ? LINUX_ONLY_ENC.contains(name) : LINUX_ONLY_AUTH.contains(name);
    }

    /** Supported names for {@code aead}, {@code enc} or {@code auth}/{@code auth-trunc}, for messages. */
    static String supported(String keyword) {
        List<String> names = new ArrayList<>();
        if (keyword.startsWith("auth")) {
            for (IntegrityAlgorithm a : IntegrityAlgorithm.values()) {
                if (a != IntegrityAlgorithm.NONE) {
                    names.add(a.linuxName());
                }
            }
        } else {
            boolean aead = keyword.equals("aead");
            for (EncryptionAlgorithm a : EncryptionAlgorithm.values()) {
                if (a.isAead() == aead) {
                    names.add(a.linuxName());
                }
            }
        }
        return String.join(", ", names);
    }

    /** Total key lengths (cipher key + salt) the algorithm accepts, e.g. "20, 28 or 36". */
    static String keyLengths(EncryptionAlgorithm a) {
        List<String> lengths = new ArrayList<>();
        for (int k = 0; k <= 64; k++) {
            if (a.acceptsKeyLength(k)) {
                lengths.add(Integer.toString(k + a.saltLength()));
            }
        }
        return orList(lengths);
    }

    /** ICV lengths in bits the AEAD transform accepts, e.g. "64, 96 or 128". */
    static String icvBits(EncryptionAlgorithm a) {
        List<String> bits = new ArrayList<>();
        for (int b = 1; b <= 32; b++) {
            if (a.acceptsIcvLength(b)) {
                bits.add(Integer.toString(b * 8));
            }
        }
        return orList(bits);
    }

    private static String orList(List<String> items) {
        if (items.size() <= 1) {
            return String.join("", items);
        }
        return String.join(", ", items.subList(0, items.size() - 1)) + " or " + items.get(items.size() - 1);
    }
}
