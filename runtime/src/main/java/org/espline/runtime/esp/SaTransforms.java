package org.espline.runtime.esp;

import org.espline.runtime.crypto.EspTransform;
import org.espline.runtime.crypto.TransformSource;
import org.espline.runtime.sa.SecurityAssociation;

/**
 * Where ESP output and input take the transform for a packet's SA: an offload backend's, or the SA's own, which is
 * per thread behind a ThreadLocal; that lookup is done once per change of SA rather than per packet, since most
 * packets in a row share their SA. One instance per thread, like the transforms it hands out.
 */
final class SaTransforms {
    /** Null: each SA's own transform. */
    private final TransformSource source;
    private SecurityAssociation lastSa;
    private EspTransform last;

    SaTransforms(TransformSource source) {
        this.source = source;
    }

    EspTransform of(SecurityAssociation sa) {
        if (source != null) {
            return source.transform(sa);
        }
        if (sa != lastSa) {
            last = sa.transform();
            lastSa = sa;
        }
        return last;
    }
}
