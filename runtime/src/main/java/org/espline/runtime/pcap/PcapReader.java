package org.espline.runtime.pcap;

import static org.espline.runtime.pcap.PcapFormat.CAPLEN_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.FILE_HEADER_LENGTH;
import static org.espline.runtime.pcap.PcapFormat.LINKTYPE_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.MAGIC_MICROS;
import static org.espline.runtime.pcap.PcapFormat.MAGIC_NANOS;
import static org.espline.runtime.pcap.PcapFormat.MAGIC_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.MAGIC_PCAPNG;
import static org.espline.runtime.pcap.PcapFormat.MAX_CAPTURED_LENGTH;
import static org.espline.runtime.pcap.PcapFormat.ORIGLEN_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.RECORD_HEADER_LENGTH;
import static org.espline.runtime.pcap.PcapFormat.SNAPLEN_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.TS_FRAC_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.TS_SEC_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.VERSION_MAJOR;
import static org.espline.runtime.pcap.PcapFormat.VERSION_MAJOR_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.VERSION_MINOR_OFFSET;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Streams the records of a classic libpcap file (not pcapng): either byte order, microsecond or nanosecond
 * timestamps, link types Ethernet, raw IP, raw IPv4/IPv6 and Linux SLL (see {@link PcapLinkType}).
 *
 * <pre>{@code
 * try (PcapReader reader = new PcapReader(path)) {
 *     PcapRecord record = new PcapRecord();
 *     while (reader.next(record)) {
 *         if (record.isIp()) {
 *             process(record.data(), record.ipOffset(), record.ipEnd());
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>A file that is cut short or corrupt throws {@link PcapFormatException} naming the file, record and byte
 * offset; nothing else escapes for bad input (an {@link IOException} from the stream itself still does). After
 * such an exception every further {@code next} throws it again. A record that is not IP (ARP, LLDP, a runt
 * frame) is not an error: {@link PcapRecord#isIp()} is false.
 *
 * <p>Not thread-safe.
 */
public final class PcapReader implements Closeable {
    private static final VarHandle INT_BIG = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT_LITTLE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT_BIG = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle SHORT_LITTLE = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private static final int BUFFER_SIZE = 64 * 1024;
    private static final int MICROS_PER_SECOND = 1_000_000;
    private static final int NANOS_PER_SECOND = 1_000_000_000;

    static final int ETHERNET_HEADER_LENGTH = 14;
    static final int ETHERTYPE_OFFSET = 12;
    static final int VLAN_TAG_LENGTH = 4;
    /** Inside a VLAN tag, the EtherType of what follows comes after the 2-byte TCI. */
    static final int VLAN_INNER_TYPE_OFFSET = 2;
    static final int SLL_HEADER_LENGTH = 16;
    static final int SLL_PROTOCOL_OFFSET = 14;

    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_IPV6 = 0x86DD;
    static final int ETHERTYPE_VLAN = 0x8100;
    static final int ETHERTYPE_QINQ = 0x88A8;
    /** Pre-standard QinQ outer tag, still sent by older switches. */
    static final int ETHERTYPE_QINQ_LEGACY = 0x9100;

    private final InputStream in;
    private final String name;
    private final byte[] recordHeader = new byte[RECORD_HEADER_LENGTH];

    private boolean bigEndian;
    private boolean nanosecond;
    private int versionMajor;
    private int versionMinor;
    private long snapLength;
    private int linkType;
    private int fcsLength;

    /** Bytes consumed from the stream, i.e. the file offset of the next record header. */
    private long position;
    private long recordCount;
    private PcapFormatException failure;

    /** Opens a file; its path is the name used in error messages. */
    public PcapReader(Path path) throws IOException {
        this(Files.newInputStream(path), path.toString());
    }

    /** Reads a stream with no name for error messages. */
    public PcapReader(InputStream in) throws IOException {
        this(in, null);
    }

    /**
     * Reads the file header from {@code in}, which this reader then owns: {@link #close()} closes it, and so
     * does a failure in this constructor.
     *
     * @param name file name for error messages, or null
     */
    public PcapReader(InputStream in, String name) throws IOException {
        Objects.requireNonNull(in, "in");
        this.in = in instanceof BufferedInputStream || in instanceof ByteArrayInputStream
                ? in : new BufferedInputStream(in, BUFFER_SIZE);
        this.name = name;
        try {
            readFileHeader();
        } catch (IOException | RuntimeException e) {
            try {
                this.in.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private void readFileHeader() throws IOException {
        final byte[] header = new byte[FILE_HEADER_LENGTH];
        final int found = readFully(header, FILE_HEADER_LENGTH);
        if (found < 4) {
            throw fileHeaderError("file header truncated (expected " + FILE_HEADER_LENGTH + " bytes, found " + found + ")");
        }
        final int magic = (int) INT_BIG.get(header, MAGIC_OFFSET);
        if (magic == MAGIC_MICROS || magic == MAGIC_NANOS) {
            bigEndian = true;
        } else if (Integer.reverseBytes(magic) == MAGIC_MICROS || Integer.reverseBytes(magic) == MAGIC_NANOS) {
            bigEndian = false;
        } else if (magic == MAGIC_PCAPNG) {
            throw fileHeaderError("pcapng file (magic 0a0d0d0a); only classic pcap is supported, convert with"
                    + " 'editcap -F pcap'");
        } else {
            throw fileHeaderError(String.format("bad magic %08x (expected a1b2c3d4 or a1b23c4d, either byte order)", magic));
        }
        nanosecond = magic == MAGIC_NANOS || Integer.reverseBytes(magic) == MAGIC_NANOS;
        if (found < FILE_HEADER_LENGTH) {
            throw fileHeaderError("file header truncated (expected " + FILE_HEADER_LENGTH + " bytes, found " + found + ")");
        }
        versionMajor = u16(header, VERSION_MAJOR_OFFSET);
        versionMinor = u16(header, VERSION_MINOR_OFFSET);
        if (versionMajor != VERSION_MAJOR) {
            throw fileHeaderError("unsupported version " + versionMajor + "." + versionMinor + " (expected 2.x)");
        }
        snapLength = u32(header, SNAPLEN_OFFSET);
        final int rawLinkType = i32(header, LINKTYPE_OFFSET);
        linkType = rawLinkType & PcapFormat.LINKTYPE_MASK;
        // The FCS length is counted in 16-bit units (pcap spec, "LinkType and additional information").
        fcsLength = (rawLinkType & PcapFormat.FCS_PRESENT_BIT) != 0 ? (rawLinkType >>> PcapFormat.FCS_LENGTH_SHIFT) * 2 : 0;
        if (!PcapLinkType.isSupported(linkType)) {
            throw fileHeaderError("unsupported link type " + linkType + " (expected 1 Ethernet, 101 raw IP,"
                    + " 113 Linux SLL, 228 IPv4 or 229 IPv6)");
        }
    }

    /**
     * Reads the next record into {@code record}.
     *
     * @return false at a clean end of file (right after the last complete record)
     * @throws PcapFormatException for a record header or data cut short, or a captured length over the
     *                             snaplen or over 256 KiB
     */
    public boolean next(PcapRecord record) throws IOException {
        if (failure != null) {
            throw failure;
        }
        final long recordOffset = position;
        final long number = recordCount + 1;
        final int headerFound = readFully(recordHeader, RECORD_HEADER_LENGTH);
        if (headerFound == 0) {
            return false;
        }
        if (headerFound < RECORD_HEADER_LENGTH) {
            throw fail(number, recordOffset, "record header truncated (expected " + RECORD_HEADER_LENGTH
                    + " bytes, found " + headerFound + ")");
        }
        final long capturedLength = u32(recordHeader, CAPLEN_OFFSET);
        if (capturedLength > MAX_CAPTURED_LENGTH) {
            throw fail(number, recordOffset, "captured length " + capturedLength + " exceeds the "
                    + MAX_CAPTURED_LENGTH + "-byte limit");
        }
        // A snaplen of 0 appears in some hand-made files; the 256 KiB ceiling still holds then.
        if (snapLength != 0 && capturedLength > snapLength) {
            throw fail(number, recordOffset, "captured length " + capturedLength + " exceeds snaplen " + snapLength);
        }
        final int length = (int) capturedLength;
        final byte[] data = record.ensureCapacity(length);
        final int dataFound = readFully(data, length);
        if (dataFound < length) {
            throw fail(number, recordOffset, "packet data truncated (expected " + length + " bytes, found "
                    + dataFound + ")");
        }
        recordCount = number;

        // Normalise a fraction of a second or more (seen from some writers) into the seconds.
        long seconds = u32(recordHeader, TS_SEC_OFFSET);
        long fraction = u32(recordHeader, TS_FRAC_OFFSET);
        final int perSecond = nanosecond ? NANOS_PER_SECOND : MICROS_PER_SECOND;
        seconds += fraction / perSecond;
        fraction %= perSecond;
        final int nanos = (int) (nanosecond ? fraction : fraction * 1000);
        record.setRecord(number, recordOffset, seconds, nanos, u32(recordHeader, ORIGLEN_OFFSET), length, linkType);
        decodeLinkLayer(record, data, length);
        return true;
    }

    // ------------------------------------------------------------------ link layer

    private void decodeLinkLayer(PcapRecord record, byte[] data, int capturedLength) {
        final int length = capturedLength >= fcsLength ? capturedLength - fcsLength : capturedLength;
        switch (linkType) {
            case PcapLinkType.ETHERNET:
                decodeEtherType(record, data, length, ETHERNET_HEADER_LENGTH, ETHERTYPE_OFFSET);
                break;
            case PcapLinkType.LINUX_SLL:
                decodeEtherType(record, data, length, SLL_HEADER_LENGTH, SLL_PROTOCOL_OFFSET);
                break;
            case PcapLinkType.RAW: {
                final int version = length > 0 ? (data[0] & 0xFF) >>> 4 : 0;
                if (version == 4 || version == 6) {
                    setIp(record, data, length, version == 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, 0, version, 0);
                } else {
                    record.setPayload(-1, 0, 0, -1, 0);
                }
                break;
            }
            case PcapLinkType.IPV4:
                setIp(record, data, length, ETHERTYPE_IPV4, 0, 4, 0);
                break;
            case PcapLinkType.IPV6:
                setIp(record, data, length, ETHERTYPE_IPV6, 0, 6, 0);
                break;
            default:
                // The constructor admits only the types above.
                throw new IllegalStateException("link type " + linkType);
        }
    }

    /** Ethernet and SLL: a type field, then zero or more VLAN tags, each naming the type after it. */
    private static void decodeEtherType(PcapRecord record, byte[] data, int length, int headerLength, int typeOffset) {
        if (length < headerLength) {
            record.setPayload(-1, 0, 0, -1, 0);
            return;
        }
        int type = bigEndianU16(data, typeOffset);
        int offset = headerLength;
        int tags = 0;
        while ((type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_LEGACY)
                && length - offset >= VLAN_TAG_LENGTH) {
            type = bigEndianU16(data, offset + VLAN_INNER_TYPE_OFFSET);
            offset += VLAN_TAG_LENGTH;
            tags++;
        }
        if (type == ETHERTYPE_IPV4) {
            setIp(record, data, length, type, tags, 4, offset);
        } else if (type == ETHERTYPE_IPV6) {
            setIp(record, data, length, type, tags, 6, offset);
        } else {
            record.setPayload(type, tags, 0, -1, 0);
        }
    }

    /** Records an IP payload, trimming link padding when the IP length field says the packet ends earlier. */
    private static void setIp(PcapRecord record, byte[] data, int length, int etherType, int tags, int version, int offset) {
        int ipLength = length - offset;
        if (version == 4 && ipLength >= 4) {
            final int totalLength = bigEndianU16(data, offset + 2);
            if (totalLength >= 20 && totalLength < ipLength) {
                ipLength = totalLength;
            }
        } else if (version == 6 && ipLength >= 6) {
            // Payload length 0 may be a jumbogram, whose size only the Hop-by-Hop option knows: keep it all.
            final int packetLength = 40 + bigEndianU16(data, offset + 4);
            if (packetLength > 40 && packetLength < ipLength) {
                ipLength = packetLength;
            }
        }
        record.setPayload(etherType, tags, version, offset, ipLength);
    }

    private static int bigEndianU16(byte[] data, int index) {
        return (short) SHORT_BIG.get(data, index) & 0xFFFF;
    }

    // ------------------------------------------------------------------ file properties

    /** File name used in error messages, or null. */
    public String name() { return name; }

    /** LINKTYPE_* of every record (see {@link PcapLinkType}). */
    public int linkType() { return linkType; }

    /** Bytes of frame check sequence at the end of each record, from the link-type field (usually 0). */
    public int fcsLength() { return fcsLength; }

    /** Largest captured length the file promises, unsigned; 0 in some hand-made files. */
    public long snapLength() { return snapLength; }

    /** True for the a1b23c4d magic: timestamps carry nanoseconds. */
    public boolean isNanosecond() { return nanosecond; }

    /** Byte order the file was written in. */
    public ByteOrder byteOrder() { return bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN; }

    public int versionMajor() { return versionMajor; }

    public int versionMinor() { return versionMinor; }

    /** Records read so far. */
    public long recordCount() { return recordCount; }

    /** Bytes read so far: the file offset of the next record header. */
    public long position() { return position; }

    @Override
    public void close() throws IOException {
        in.close();
    }

    @Override
    public String toString() {
        return "PcapReader{name=" + name
                + ", byteOrder=" + byteOrder()
                + ", nanosecond=" + nanosecond
                + ", version=" + versionMajor + '.' + versionMinor
                + ", snapLength=" + snapLength
                + ", linkType=" + PcapLinkType.name(linkType)
                + ", fcsLength=" + fcsLength
                + ", records=" + recordCount
                + ", position=" + position
                + '}';
    }

    // ------------------------------------------------------------------ plumbing

    /** Reads until {@code length} bytes or end of stream; returns how many arrived. */
    private int readFully(byte[] buffer, int length) throws IOException {
        int total = 0;
        while (total < length) {
            final int n = in.read(buffer, total, length - total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        position += total;
        return total;
    }

    private PcapFormatException fileHeaderError(String reason) {
        return new PcapFormatException(name, 0, 0, reason);
    }

    private PcapFormatException fail(long number, long offset, String reason) {
        failure = new PcapFormatException(name, number, offset, reason);
        return failure;
    }

    private int i32(byte[] array, int index) {
        return bigEndian ? (int) INT_BIG.get(array, index) : (int) INT_LITTLE.get(array, index);
    }

    private long u32(byte[] array, int index) {
        return i32(array, index) & 0xFFFF_FFFFL;
    }

    private int u16(byte[] array, int index) {
        return (bigEndian ? (short) SHORT_BIG.get(array, index) : (short) SHORT_LITTLE.get(array, index)) & 0xFFFF;
    }
}
