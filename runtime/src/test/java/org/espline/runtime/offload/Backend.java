package org.espline.runtime.offload;

/** The backends every offload test runs, each made fresh with the given capabilities. */
enum Backend {
    SOFTWARE, BOUNCYCASTLE, ACCELERATOR, NIC, NIC_PACKET;

    OffloadDevice create(OffloadCapabilities caps) {
        return switch (this) {
            case SOFTWARE -> SoftwareDevice.jca("sw");
            case BOUNCYCASTLE -> SoftwareDevice.bouncyCastle("bc", caps);
            case ACCELERATOR -> new LookasideAccelerator("qat0", caps, 2, 8, 0, 0);
            case NIC -> new InlineNic("nic0", OffloadKind.CRYPTO, caps, 1, 64);
            case NIC_PACKET -> new InlineNic("nic0", OffloadKind.PACKET, caps, 1, 64);
        };
    }

    OffloadDevice create() {
        return create(OffloadCapabilities.unlimited());
    }
}
