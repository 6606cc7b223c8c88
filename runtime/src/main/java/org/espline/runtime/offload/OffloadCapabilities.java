package org.espline.runtime.offload;

import java.util.Set;

/**
 * What a device can take: which algorithms (swanctl names as in the model: {@code aes128gcm16}, {@code aes256},
 * {@code sha256}...; empty for any), how many SAs, ESN, TSO, the largest packet, and whether it parses IPv4
 * options and IPv6 extension headers (packets with them are rejected by {@code offloadOk} otherwise).
 *
 * @param saTableSize SAs the device holds at most ({@link Integer#MAX_VALUE} for no limit)
 */
public record OffloadCapabilities(Set<String> algorithms, int saTableSize, boolean esn, boolean tso,
                                  int maxPacketLength, boolean ipOptions) {
    public OffloadCapabilities {
        algorithms = Set.copyOf(algorithms);
        if (saTableSize < 1 || maxPacketLength < 1) {
            throw new IllegalArgumentException("saTableSize: " + saTableSize + ", maxPacketLength: " + maxPacketLength
                    + " (expected: both >= 1)");
        }
    }

    /** Everything: the software paths. */
    public static OffloadCapabilities unlimited() {
        return new OffloadCapabilities(Set.of(), Integer.MAX_VALUE, true, false, 65535, true);
    }

    public OffloadCapabilities withAlgorithms(Set<String> names) {
        return new OffloadCapabilities(names, saTableSize, esn, tso, maxPacketLength, ipOptions);
    }

    public OffloadCapabilities withSaTableSize(int size) {
        return new OffloadCapabilities(algorithms, size, esn, tso, maxPacketLength, ipOptions);
    }

    public OffloadCapabilities withEsn(boolean supported) {
        return new OffloadCapabilities(algorithms, saTableSize, supported, tso, maxPacketLength, ipOptions);
    }

    public OffloadCapabilities withIpOptions(boolean supported) {
        return new OffloadCapabilities(algorithms, saTableSize, esn, tso, maxPacketLength, supported);
    }

    public OffloadCapabilities withMaxPacketLength(int length) {
        return new OffloadCapabilities(algorithms, saTableSize, esn, tso, length, ipOptions);
    }

    public OffloadCapabilities withTso(boolean supported) {
        return new OffloadCapabilities(algorithms, saTableSize, esn, supported, maxPacketLength, ipOptions);
    }
}
