package org.espline.runtime.sa;

import java.util.Objects;

/** One SPD rule: a selector and an action; PROTECT names the SA (by SPI) that protects the traffic. */
public record Policy(Selector selector, PolicyAction action, SecurityAssociation sa) {
    public Policy {
        Objects.requireNonNull(selector, "selector");
        Objects.requireNonNull(action, "action");
        if ((action == PolicyAction.PROTECT) != (sa != null)) {
            throw new IllegalArgumentException("a PROTECT policy needs an SA, other actions none: " + action);
        }
    }
}
