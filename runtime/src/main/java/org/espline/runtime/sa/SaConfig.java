package org.espline.runtime.sa;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;

/**
 * The immutable configuration of one ESP security association, as {@code ip xfrm state} describes it.
 * An SA has no direction of its own (as in Linux): the same state encrypts when used outbound and
 * decrypts when found by SPI + destination inbound.
 *
 * <p>Built with {@link #builder()}; {@link Builder#build()} rejects inconsistent configurations with a
 * message naming the field and value (never the key).
 */
public final class SaConfig {
    private final String name;
    private final InetAddress source;
    private final InetAddress destination;
    private final int spi;
    private final SaMode mode;
    private final int reqid;
    private final EncryptionAlgorithm encryption;
    private final KeyMaterial encryptionKey;
    private final IntegrityAlgorithm integrity;
    private final KeyMaterial integrityKey;
    private final int icvLength;
    private final UdpEncapsulation encapsulation;
    private final boolean esn;
    private final int replayWindow;
    private final long inboundSequence;
    private final long outboundSequence;
    private final Lifetime softLifetime;
    private final Lifetime hardLifetime;
    private final int tfcPadTo;
    private final boolean gro;
    private final boolean benchmarkOnlyNullWithoutIntegrity;

    private SaConfig(Builder b) {
        this.name = b.name;
        this.source = b.source;
        this.destination = b.destination;
        this.spi = b.spi;
        this.mode = b.mode;
        this.reqid = b.reqid;
        this.encryption = b.encryption;
        this.encryptionKey = b.encryptionKey;
        this.integrity = b.integrity;
        this.integrityKey = b.integrityKey;
        this.icvLength = b.icvLength;
        this.encapsulation = b.encapsulation;
        this.esn = b.esn;
        this.replayWindow = b.replayWindow;
        this.inboundSequence = b.inboundSequence;
        this.outboundSequence = b.outboundSequence;
        this.softLifetime = b.softLifetime;
        this.hardLifetime = b.hardLifetime;
        this.tfcPadTo = b.tfcPadTo;
        this.gro = b.gro;
        this.benchmarkOnlyNullWithoutIntegrity = b.benchmarkOnlyNullWithoutIntegrity;
    }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.source = source;
        b.destination = destination;
        b.spi = spi;
        b.mode = mode;
        b.reqid = reqid;
        b.encryption = encryption;
        b.encryptionKey = encryptionKey;
        b.integrity = integrity;
        b.integrityKey = integrityKey;
        b.icvLength = icvLength;
        b.encapsulation = encapsulation;
        b.esn = esn;
        b.replayWindow = replayWindow;
        b.inboundSequence = inboundSequence;
        b.outboundSequence = outboundSequence;
        b.softLifetime = softLifetime;
        b.hardLifetime = hardLifetime;
        b.tfcPadTo = tfcPadTo;
        b.gro = gro;
        b.benchmarkOnlyNullWithoutIntegrity = benchmarkOnlyNullWithoutIntegrity;
        return b;
    }

    /** A label for messages and counters; defaults to {@code spi 0x...}. */
    public String name() { return name; }
    public InetAddress source() { return source; }
    public InetAddress destination() { return destination; }
    public int spi() { return spi; }
    public SaMode mode() { return mode; }
    public int reqid() { return reqid; }
    public EncryptionAlgorithm encryption() { return encryption; }
    /** Cipher key followed by the salt, as {@code ip xfrm} carries it. */
    public KeyMaterial encryptionKey() { return encryptionKey; }
    public IntegrityAlgorithm integrity() { return integrity; }
    public KeyMaterial integrityKey() { return integrityKey; }
    /** ICV length in bytes (AEAD tag length, or the HMAC truncation). */
    public int icvLength() { return icvLength; }
    /** RFC 3948 UDP encapsulation, or null for plain ESP (IP protocol 50). */
    public UdpEncapsulation encapsulation() { return encapsulation; }
    public boolean esn() { return esn; }
    /** Anti-replay window in packets; 0 disables replay protection. */
    public int replayWindow() { return replayWindow; }
    /** The highest sequence number already seen inbound (64 bits with ESN). */
    public long inboundSequence() { return inboundSequence; }
    /** The last sequence number used outbound; the next packet gets this + 1. */
    public long outboundSequence() { return outboundSequence; }
    public Lifetime softLifetime() { return softLifetime; }
    public Lifetime hardLifetime() { return hardLifetime; }
    /** Pad the inner payload to this many bytes with TFC padding (RFC 4303 §2.7); 0 = off. */
    public int tfcPadTo() { return tfcPadTo; }
    /**
     * Whether a GRO stage may coalesce this SA's decrypted TCP segments (default on). Off keeps one inner
     * packet per ESP packet on the way up, for those who check IPsec by sniffing (TALK.md §2).
     */
    public boolean gro() { return gro; }
    public boolean benchmarkOnlyNullWithoutIntegrity() { return benchmarkOnlyNullWithoutIntegrity; }

    public boolean isIpv6() { return !(destination instanceof Inet4Address); }

    /** ESP header + IV + worst-case padding + pad length/next header + ICV, without outer IP/UDP. */
    public int maxEspOverhead() {
        return 8 + encryption.ivLength() + (encryption.blockSize() - 1) + 2 + icvLength;
    }

    @Override
    public String toString() {
        boolean defaultName = name.equals("spi 0x" + Integer.toHexString(spi));
        return "SaConfig[" + (defaultName ? "" : name + " ") + "spi=0x" + Integer.toHexString(spi) + " " + mode
                + " " + source.getHostAddress() + "->" + destination.getHostAddress()
                + " " + encryption + (integrity == IntegrityAlgorithm.NONE ? "" : "+" + integrity)
                + " icv=" + icvLength + (esn ? " esn" : "") + " replay-window=" + replayWindow
                + (encapsulation != null ? " encap=udp:" + encapsulation.sourcePort() + "/" + encapsulation.destinationPort() : "")
                + (gro ? "" : " gro=off")
                + " keys=redacted]";
    }

    public static final class Builder {
        private String name;
        private InetAddress source;
        private InetAddress destination;
        private int spi;
        private SaMode mode = SaMode.TRANSPORT;
        private int reqid;
        private EncryptionAlgorithm encryption;
        private KeyMaterial encryptionKey = KeyMaterial.EMPTY;
        private IntegrityAlgorithm integrity = IntegrityAlgorithm.NONE;
        private KeyMaterial integrityKey = KeyMaterial.EMPTY;
        private int icvLength = -1;
        private UdpEncapsulation encapsulation;
        private boolean esn;
        private int replayWindow = 32;
        private long inboundSequence;
        private long outboundSequence;
        private Lifetime softLifetime = Lifetime.UNLIMITED;
        private Lifetime hardLifetime = Lifetime.UNLIMITED;
        private int tfcPadTo;
        private boolean gro = true;
        private boolean benchmarkOnlyNullWithoutIntegrity;

        private Builder() {
        }

        public Builder name(String v) { name = v; return this; }
        public Builder source(InetAddress v) { source = v; return this; }
        public Builder destination(InetAddress v) { destination = v; return this; }
        public Builder spi(int v) { spi = v; return this; }
        public Builder mode(SaMode v) { mode = v; return this; }
        public Builder reqid(int v) { reqid = v; return this; }
        /** AEAD, or cipher of a cipher + integrity pair; key includes the salt where the algorithm has one. */
        public Builder encryption(EncryptionAlgorithm alg, KeyMaterial key) { encryption = alg; encryptionKey = key; return this; }
        public Builder integrity(IntegrityAlgorithm alg, KeyMaterial key) { integrity = alg; integrityKey = key; return this; }
        public Builder icvLength(int bytes) { icvLength = bytes; return this; }
        public Builder encapsulation(UdpEncapsulation v) { encapsulation = v; return this; }
        public Builder esn(boolean v) { esn = v; return this; }
        public Builder replayWindow(int v) { replayWindow = v; return this; }
        public Builder inboundSequence(long v) { inboundSequence = v; return this; }
        public Builder outboundSequence(long v) { outboundSequence = v; return this; }
        public Builder softLifetime(Lifetime v) { softLifetime = v; return this; }
        public Builder hardLifetime(Lifetime v) { hardLifetime = v; return this; }
        public Builder tfcPadTo(int v) { tfcPadTo = v; return this; }
        /** GRO for this SA's decrypted traffic (default true). */
        public Builder gro(boolean v) { gro = v; return this; }
        /** Allows NULL encryption without integrity, which RFC 4303 §3.2 forbids. Benchmarks only. */
        public Builder benchmarkOnlyNullWithoutIntegrity(boolean v) { benchmarkOnlyNullWithoutIntegrity = v; return this; }

        public SaConfig build() {
            Objects.requireNonNull(destination, "destination address is required");
            Objects.requireNonNull(mode, "mode (tunnel or transport) is required");
            if (source == null) {
                throw new IllegalArgumentException("source address is required");
            }
            if ((source instanceof Inet4Address) != (destination instanceof Inet4Address)) {
                throw new IllegalArgumentException("source and destination must be the same address family: "
                        + source.getHostAddress() + " vs " + destination.getHostAddress());
            }
            if (spi >= 0 && spi < 256) {
                // RFC 4303 §2.1: SPI values 1-255 are reserved by IANA, 0 is for local use only.
                throw new IllegalArgumentException("spi 0x" + Integer.toHexString(spi) + " is reserved (expected >= 0x100)");
            }
            if (encryption == null) {
                throw new IllegalArgumentException("an encryption or AEAD algorithm is required");
            }
            int cipherKey = encryptionKey.length() - encryption.saltLength();
            if (!encryption.acceptsKeyLength(cipherKey)) {
                throw new IllegalArgumentException(encryption.linuxName() + ": key length " + encryptionKey.length()
                        + " bytes is invalid" + (encryption.saltLength() > 0 ? " (cipher key + " + encryption.saltLength() + "-byte salt)" : ""));
            }
            if (encryption.isAead()) {
                if (integrity != IntegrityAlgorithm.NONE) {
                    throw new IllegalArgumentException(encryption.linuxName() + " is AEAD and takes no separate integrity algorithm");
                }
                if (icvLength < 0) {
                    icvLength = 16;
                }
                if (!encryption.acceptsIcvLength(icvLength)) {
                    throw new IllegalArgumentException(encryption.linuxName() + ": ICV length " + icvLength * 8 + " bits is invalid");
                }
            } else if (integrity == IntegrityAlgorithm.NONE) {
                if (encryption == EncryptionAlgorithm.NULL && !benchmarkOnlyNullWithoutIntegrity) {
                    throw new IllegalArgumentException("NULL encryption without integrity is refused (RFC 4303 section 3.2)");
                }
                if (encryption != EncryptionAlgorithm.NULL) {
                    throw new IllegalArgumentException(encryption.linuxName()
                            + " needs an integrity algorithm (confidentiality-only ESP is not supported)");
                }
                icvLength = 0;
            } else {
                if (integrityKey.length() != integrity.keyLength()) {
                    throw new IllegalArgumentException(integrity.linuxName() + ": key length " + integrityKey.length()
                            + " bytes is invalid (expected " + integrity.keyLength() + ")");
                }
                if (icvLength < 0) {
                    icvLength = integrity.defaultIcvLength();
                }
                if (icvLength != integrity.defaultIcvLength()) {
                    throw new IllegalArgumentException(integrity.linuxName() + ": truncation " + icvLength * 8
                            + " bits is invalid (expected " + integrity.defaultIcvLength() * 8 + ")");
                }
            }
            if (replayWindow < 0 || replayWindow > ReplayLimits.MAX_WINDOW) {
                throw new IllegalArgumentException("replay-window " + replayWindow + " out of range 0.." + ReplayLimits.MAX_WINDOW);
            }
            if (!esn && ((inboundSequence >>> 32) != 0 || (outboundSequence >>> 32) != 0)) {
                throw new IllegalArgumentException("sequence numbers above 2^32 need ESN (flag esn)");
            }
            if (encapsulation != null && !(destination instanceof Inet4Address)) {
                throw new IllegalArgumentException("UDP encapsulation (RFC 3948) is defined for IPv4 only");
            }
            if (tfcPadTo < 0 || tfcPadTo > 65535) {
                throw new IllegalArgumentException("tfc padding " + tfcPadTo + " out of range 0..65535");
            }
            if (name == null) {
                name = "spi 0x" + Integer.toHexString(spi);
            }
            return new SaConfig(this);
        }
    }
}
