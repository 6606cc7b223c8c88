package org.espline.runtime.offload;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Builds a backend by its name, for the command line ({@code --offload software|bouncycastle|accelerator|inline-nic})
 * and for models and generated code ({@code offload X { type software|bouncycastle|lookaside|nic ... }}).
 */
public final class OffloadDevices {
    /** The command line's names, in the order the usage lists them. */
    public static final List<String> CLI_NAMES = List.of("software", "bouncycastle", "accelerator", "inline-nic");

    /** Engines of a lookaside accelerator when the model does not say ({@code workers}). */
    public static final int DEFAULT_WORKERS = 2;
    /** Ring slots when the model does not say ({@code ring}). */
    public static final int DEFAULT_RING = 256;
    /** Ring slots of the command line's devices (a pcap file needs no deep rings; its buffers are 64 KiB each). */
    public static final int CLI_RING = 32;

    private OffloadDevices() {
    }

    /** A model's or the command line's backend type; null when the name is none of them. */
    public static String canonicalType(String type) {
        switch (type.toLowerCase(Locale.ROOT)) {
            case "software":
                return "software";
            case "bouncycastle":
                return "bouncycastle";
            case "lookaside":
            case "accelerator":
                return "lookaside";
            case "nic":
            case "inline-nic":
                return "nic";
            default:
                return null;
        }
    }

    /** The backend {@code cliName} with no limits beyond its nature (the command line's choice). */
    public static OffloadDevice forCli(String cliName) {
        String type = canonicalType(cliName);
        if (type == null || !CLI_NAMES.contains(cliName)) {
            throw new IllegalArgumentException("--offload: '" + cliName + "' is not a backend (expected "
                    + String.join(", ", CLI_NAMES) + ")");
        }
        return create(cliName, type, Set.of(), 0, 0, 0, CLI_RING, false);
    }

    /**
     * A device as a model declares it.
     *
     * @param type          software, bouncycastle, lookaside (accelerator) or nic (inline-nic)
     * @param algorithms    model algorithm names the device runs; empty: all
     * @param saTable       SAs at most; 0: no limit
     * @param latencyMicros lookaside service time per packet; 0: none
     * @param workers       lookaside engines / NIC threads; 0: the default
     * @param ring          ring slots; 0: the default
     * @param packetOffload a NIC doing packet offload (headers and sequence numbers) rather than crypto offload
     */
    public static OffloadDevice create(String name, String type, Set<String> algorithms, int saTable, int latencyMicros,
                                       int workers, int ring, boolean packetOffload) {
        return create(name, type, algorithms, saTable, latencyMicros, workers, ring, packetOffload, false);
    }

    /**
     * A device as a model declares it, with {@code tso}: a NIC that takes TCP super-packets whole and segments
     * them itself (ignored by the other types, which have no TSO).
     */
    public static OffloadDevice create(String name, String type, Set<String> algorithms, int saTable, int latencyMicros,
                                       int workers, int ring, boolean packetOffload, boolean tso) {
        OffloadCapabilities caps = OffloadCapabilities.unlimited().withAlgorithms(algorithms);
        if (saTable > 0) {
            caps = caps.withSaTableSize(saTable);
        }
        final int w = workers > 0 ? workers : 0;
        final int r = ring > 0 ? ring : DEFAULT_RING;
        String t = canonicalType(type);
        if (t == null) {
            throw new IllegalArgumentException("offload " + name + ": type '" + type
                    + "' (expected software, bouncycastle, lookaside or nic)");
        }
        switch (t) {
            case "software":
                return SoftwareDevice.jca(name);
            case "bouncycastle":
                return SoftwareDevice.bouncyCastle(name, caps);
            case "lookaside":
                return new LookasideAccelerator(name, caps, w > 0 ? w : DEFAULT_WORKERS, r, latencyMicros, 0);
            default:
                // A NIC parses neither IPv4 options nor IPv6 extension headers (offloadOk sends those to software).
                return new InlineNic(name, packetOffload ? OffloadKind.PACKET : OffloadKind.CRYPTO,
                        caps.withIpOptions(false).withTso(tso), w > 0 ? w : 1, r);
        }
    }
}
