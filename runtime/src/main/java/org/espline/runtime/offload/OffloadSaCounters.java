package org.espline.runtime.offload;

/**
 * A device's own counters for one SA (what {@code ip -s xfrm state} shows for an offloaded state): packets and
 * bytes it sealed or opened, ICV failures it saw, and whether the SA is still offloaded (not deleted).
 */
public record OffloadSaCounters(long packets, long bytes, long icvFailures, boolean offloaded) {
}
