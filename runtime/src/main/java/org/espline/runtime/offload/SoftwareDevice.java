package org.espline.runtime.offload;

import java.util.IdentityHashMap;

import org.espline.runtime.crypto.BcEspTransforms;
import org.espline.runtime.crypto.EspTransform;
import org.espline.runtime.crypto.TransformSource;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SecurityAssociation;

/**
 * The software paths behind the device API, on the pipeline thread: {@link #jca} is the reference (each SA's own
 * JCA transform, exactly the inline stages' bytes); {@link #bouncyCastle} runs Bouncy Castle's lightweight engines
 * (GCM, CCM, ChaCha20-Poly1305, AES-CBC with HMAC) over the same wire format, for comparison and for what the JDK
 * lacks. Both take any number of SAs; the Bouncy Castle one refuses algorithms it has no engine for (AES-GMAC,
 * NULL), whose packets then fall back to the JCA path.
 */
public final class SoftwareDevice extends OffloadDevice {
    private final boolean bouncyCastle;

    private SoftwareDevice(String name, boolean bouncyCastle, OffloadCapabilities capabilities) {
        super(name, OffloadKind.CRYPTO, capabilities);
        this.bouncyCastle = bouncyCastle;
    }

    public static SoftwareDevice jca(String name) {
        return new SoftwareDevice(name, false, OffloadCapabilities.unlimited());
    }

    public static SoftwareDevice bouncyCastle(String name) {
        return bouncyCastle(name, OffloadCapabilities.unlimited());
    }

    public static SoftwareDevice bouncyCastle(String name, OffloadCapabilities capabilities) {
        return new SoftwareDevice(name, true, capabilities);
    }

    @Override
    public boolean synchronous() { return true; }

    @Override
    protected boolean canRun(SaConfig sa) {
        return !bouncyCastle || BcEspTransforms.supports(sa);
    }

    @Override
    protected TransformSource transforms() {
        return bouncyCastle ? new BcSource() : null;
    }

    /** Per thread: one Bouncy Castle transform per SA, made on first use. */
    private static final class BcSource implements TransformSource {
        private final IdentityHashMap<SecurityAssociation, EspTransform> bySa = new IdentityHashMap<>();

        @Override
        public EspTransform transform(SecurityAssociation sa) {
            EspTransform t = bySa.get(sa);
            if (t == null) {
                t = BcEspTransforms.create(sa.config());
                bySa.put(sa, t);
            }
            return t;
        }
    }
}
