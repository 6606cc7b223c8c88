package org.espline.runtime.crypto;

import org.espline.runtime.sa.SecurityAssociation;

/**
 * Where ESP input/output take an SA's transform when it is not the SA's own JCA one
 * ({@link SecurityAssociation#transform()}): an offload backend that runs other engines (Bouncy Castle's) over the
 * same wire format. One instance per thread, like the transforms it hands out.
 */
@FunctionalInterface
public interface TransformSource {
    /** The calling thread's transform for {@code sa}; never shared with another thread. */
    EspTransform transform(SecurityAssociation sa);
}
