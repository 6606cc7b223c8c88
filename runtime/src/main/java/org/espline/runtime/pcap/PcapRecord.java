package org.espline.runtime.pcap;

import java.util.Arrays;

/**
 * One record of a pcap file, filled in place by {@link PcapReader#next(PcapRecord)} so that streaming a large
 * capture reuses one buffer.
 *
 * <pre>
 *   data()
 *   0                 ipOffset()                     ipOffset() + ipLength()      capturedLength()
 *   +-----------------+------------------------------+----------------------------+
 *   | link header     | IP packet                    | link padding / FCS         |
 *   +-----------------+------------------------------+----------------------------+
 * </pre>
 *
 * <p>{@link #data()} may be replaced by a larger array when a longer record arrives: read it again after every
 * {@code next}. Bytes past {@link #capturedLength()} are left over from earlier records.
 *
 * <p>Not thread-safe.
 */
public final class PcapRecord {
    private static final int INITIAL_CAPACITY = 2048;

    private byte[] data = new byte[INITIAL_CAPACITY];
    private long recordNumber;
    private long fileOffset;
    private long timestampSeconds;
    private int timestampNanos;
    private long originalLength;
    private int capturedLength;
    private int linkType = -1;
    private int linkProtocol = -1;
    private int vlanTags;
    private int ipVersion;
    private int ipOffset = -1;
    private int ipLength;

    /** The captured bytes, valid from 0 to {@link #capturedLength()}; link-layer header included. */
    public byte[] data() { return data; }

    /** 1-based position of the record in the file. */
    public long recordNumber() { return recordNumber; }

    /** Offset in the file of this record's 16-byte header. */
    public long fileOffset() { return fileOffset; }

    /** Capture time, whole seconds since 1970-01-01T00:00Z. */
    public long timestampSeconds() { return timestampSeconds; }

    /** Capture time, nanoseconds within the second (a microsecond file gives multiples of 1000). */
    public int timestampNanos() { return timestampNanos; }

    /** Length of the packet on the wire, which may exceed what was captured. */
    public long originalLength() { return originalLength; }

    /** Bytes saved in the file for this record. */
    public int capturedLength() { return capturedLength; }

    /** True if the capture kept fewer bytes than the packet had (cut at the snaplen). */
    public boolean isTruncated() { return capturedLength < originalLength; }

    /** The file's LINKTYPE_* (see {@link PcapLinkType}). */
    public int linkType() { return linkType; }

    /**
     * EtherType of the payload (after any VLAN tags) for Ethernet and Linux SLL, e.g. 0x0806 for ARP;
     * 0x0800 or 0x86DD for the raw IP link types when the record is IP; -1 if the frame was too short to say.
     */
    public int linkProtocol() { return linkProtocol; }

    /** 802.1Q/802.1ad tags skipped in front of the payload. */
    public int vlanTagCount() { return vlanTags; }

    /** True if the link layer says this is an IPv4 or IPv6 packet. */
    public boolean isIp() { return ipOffset >= 0; }

    /** 4 or 6 as the link layer (or, for raw IP, the version nibble) says; 0 when not IP. */
    public int ipVersion() { return ipVersion; }

    /** Offset in {@link #data()} of the IP header, or -1 when the record is not IP. */
    public int ipOffset() { return ipOffset; }

    /**
     * Bytes of the IP packet present in {@link #data()}: what follows the link header, less a trailing FCS,
     * and less link padding when the IP length field says the packet is shorter. 0 when not IP. May be
     * shorter than the IP length field says if the record {@link #isTruncated()}.
     */
    public int ipLength() { return ipLength; }

    /** {@code ipOffset() + ipLength()}, the packet end to hand to the header views; 0 when not IP. */
    public int ipEnd() { return ipOffset < 0 ? 0 : ipOffset + ipLength; }

    /** A copy of the IP packet (tests and tools; allocates). Empty when not IP. */
    public byte[] copyIpPacket() {
        return ipOffset < 0 ? new byte[0] : Arrays.copyOfRange(data, ipOffset, ipOffset + ipLength);
    }

    /** Makes {@link #data()} hold at least {@code length} bytes; contents are not kept. */
    byte[] ensureCapacity(int length) {
        if (data.length < length) {
            data = new byte[Math.max(length, Math.min(data.length * 2, PcapFormat.MAX_CAPTURED_LENGTH))];
        }
        return data;
    }

    void setRecord(long recordNumber, long fileOffset, long seconds, int nanos, long originalLength,
                   int capturedLength, int linkType) {
        this.recordNumber = recordNumber;
        this.fileOffset = fileOffset;
        this.timestampSeconds = seconds;
        this.timestampNanos = nanos;
        this.originalLength = originalLength;
        this.capturedLength = capturedLength;
        this.linkType = linkType;
    }

    void setPayload(int linkProtocol, int vlanTags, int ipVersion, int ipOffset, int ipLength) {
        this.linkProtocol = linkProtocol;
        this.vlanTags = vlanTags;
        this.ipVersion = ipVersion;
        this.ipOffset = ipOffset;
        this.ipLength = ipLength;
    }

    @Override
    public String toString() {
        return "PcapRecord{number=" + recordNumber
                + ", fileOffset=" + fileOffset
                + ", time=" + timestampSeconds + '.' + String.format("%09d", timestampNanos)
                + ", originalLength=" + originalLength
                + ", capturedLength=" + capturedLength
                + ", truncated=" + isTruncated()
                + ", linkType=" + PcapLinkType.name(linkType)
                + ", linkProtocol=" + (linkProtocol < 0 ? "-1" : String.format("0x%04x", linkProtocol))
                + ", vlanTags=" + vlanTags
                + ", ipVersion=" + ipVersion
                + ", ipOffset=" + ipOffset
                + ", ipLength=" + ipLength
                + '}';
    }
}
