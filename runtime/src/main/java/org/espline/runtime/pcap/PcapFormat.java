package org.espline.runtime.pcap;

/**
 * Layout of a classic libpcap file, shared by {@link PcapReader} and {@link PcapWriter}.
 *
 * <pre>
 * File header (24 bytes), in the writer's byte order, which the magic reveals:
 *  0  magic          a1b2c3d4 (microseconds) or a1b23c4d (nanoseconds)
 *  4  version major  2
 *  6  version minor  4
 *  8  thiszone       0 in practice
 * 12  sigfigs        0 in practice
 * 16  snaplen        largest captured length a record may have
 * 20  linktype       LINKTYPE_* in the low 16 bits; FCS length (16-bit units) in bits 28..31 if bit 26 is set
 *
 * Record header (16 bytes), then caplen bytes of data:
 *  0  ts_sec         seconds since 1970, unsigned
 *  4  ts_frac        microseconds or nanoseconds
 *  8  caplen         bytes of data saved in the file
 * 12  len            bytes the packet had on the wire (caplen &lt; len: cut by the snaplen)
 * </pre>
 */
final class PcapFormat {
    static final int MAGIC_MICROS = 0xA1B2C3D4;
    static final int MAGIC_NANOS = 0xA1B23C4D;
    /** pcapng Section Header Block type: a different format, worth naming in the error. */
    static final int MAGIC_PCAPNG = 0x0A0D0D0A;

    static final int FILE_HEADER_LENGTH = 24;
    static final int MAGIC_OFFSET = 0;
    static final int VERSION_MAJOR_OFFSET = 4;
    static final int VERSION_MINOR_OFFSET = 6;
    static final int THISZONE_OFFSET = 8;
    static final int SIGFIGS_OFFSET = 12;
    static final int SNAPLEN_OFFSET = 16;
    static final int LINKTYPE_OFFSET = 20;

    static final int RECORD_HEADER_LENGTH = 16;
    static final int TS_SEC_OFFSET = 0;
    static final int TS_FRAC_OFFSET = 4;
    static final int CAPLEN_OFFSET = 8;
    static final int ORIGLEN_OFFSET = 12;

    static final int VERSION_MAJOR = 2;
    static final int VERSION_MINOR = 4;

    /** Largest record the reader accepts, whatever the snaplen says; libpcap's own ceiling. */
    static final int MAX_CAPTURED_LENGTH = 256 * 1024;

    static final int LINKTYPE_MASK = 0xFFFF;
    static final int FCS_PRESENT_BIT = 1 << 26;
    static final int FCS_LENGTH_SHIFT = 28;

    private PcapFormat() {
    }
}
