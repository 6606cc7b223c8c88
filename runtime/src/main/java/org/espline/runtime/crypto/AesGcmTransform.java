package org.espline.runtime.crypto;

import java.security.spec.AlgorithmParameterSpec;

import javax.crypto.spec.GCMParameterSpec;

import org.espline.runtime.sa.SaConfig;

/**
 * AES-GCM in ESP (RFC 4106) with a 12- or 16-byte ICV, on the JCA's {@code AES/GCM/NoPadding}.
 *
 * <p>Nonce = salt(4) ‖ IV(8) (§4); the IV we send is the 64-bit sequence number, big-endian. The
 * sequence counter never wraps within an SA, so a nonce never repeats under one key, which GCM needs
 * absolutely: one repeat leaks the XOR of two plaintexts and lets a forger recover the GHASH key.
 * AAD = SPI ‖ seq-low, or SPI ‖ seq-high ‖ seq-low with ESN (§5). The SunJCE provider rejects tags
 * shorter than 96 bits, so the 8-byte ICV is {@link BcAeadTransform}'s job.
 *
 * <p>Per packet the cipher is initialised with a new {@link GCMParameterSpec} (the JCA has no other way
 * to change the nonce); key, nonce, AAD and bridge arrays are fields. Not safe for use from multiple
 * threads.
 */
final class AesGcmTransform extends JcaAeadTransform {
    private static final int AES_BLOCK = 16;

    AesGcmTransform(SaConfig sa) {
        super("AES-GCM", sa, "AES/GCM/NoPadding", "AES", AES_BLOCK, 12, 16);
    }

    @Override
    AlgorithmParameterSpec parameters(byte[] nonce) {
        return new GCMParameterSpec(icvLength * 8, nonce);
    }

    @Override
    public String toString() {
        return "AesGcmTransform[rfc4106 icv=" + icvLength + (esn ? " esn" : "") + " key=redacted]";
    }
}
