package org.espline.runtime.offload;

/** What {@link OffloadDevice#addState} answered: offloaded, or why not (then the SA's packets go through software). */
public enum AddResult {
    OFFLOADED(null),
    UNSUPPORTED_ALGORITHM("the device does not support the SA's algorithm"),
    TABLE_FULL("the device's SA table is full"),
    ESN_UNSUPPORTED("the device does not support extended sequence numbers"),
    UNSUPPORTED_ENCAPSULATION("the device does not support this encapsulation or mode"),
    DEVICE_CLOSED("the device is closed");

    private final String reason;

    AddResult(String reason) {
        this.reason = reason;
    }

    public boolean offloaded() { return this == OFFLOADED; }

    /** Why the device refused, for messages; null when it accepted. */
    public String reason() { return reason; }
}
