package org.espline.runtime.pcap;

import static org.espline.runtime.pcap.PcapFormat.CAPLEN_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.FILE_HEADER_LENGTH;
import static org.espline.runtime.pcap.PcapFormat.LINKTYPE_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.MAGIC_MICROS;
import static org.espline.runtime.pcap.PcapFormat.MAGIC_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.ORIGLEN_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.RECORD_HEADER_LENGTH;
import static org.espline.runtime.pcap.PcapFormat.SIGFIGS_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.SNAPLEN_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.THISZONE_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.TS_FRAC_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.TS_SEC_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.VERSION_MAJOR;
import static org.espline.runtime.pcap.PcapFormat.VERSION_MAJOR_OFFSET;
import static org.espline.runtime.pcap.PcapFormat.VERSION_MINOR;
import static org.espline.runtime.pcap.PcapFormat.VERSION_MINOR_OFFSET;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Writes a classic pcap file: microsecond timestamps, little-endian (the a1b2c3d4 magic stored as
 * {@code d4 c3 b2 a1}, as libpcap writes it on x86 and ARM), snaplen 262144, link type raw IP unless told
 * otherwise. A packet longer than the snaplen is stored cut to it, with its full length as the original length,
 * the way a capture would.
 *
 * <p>Buffered: the file is complete only after {@link #flush()} or {@link #close()}. Not thread-safe.
 */
public final class PcapWriter implements Closeable, Flushable {
    /** The snaplen written in the file header. */
    public static final int SNAP_LENGTH = 262_144;

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int BUFFER_SIZE = 64 * 1024;
    private static final long MAX_SECONDS = 0xFFFF_FFFFL;
    private static final int MICROS_PER_SECOND = 1_000_000;

    private final OutputStream out;
    private final int linkType;
    private final byte[] recordHeader = new byte[RECORD_HEADER_LENGTH];
    private long recordCount;
    private boolean closed;

    /** Creates or truncates {@code path} and writes a raw-IP file header. */
    public PcapWriter(Path path) throws IOException {
        this(Files.newOutputStream(path), PcapLinkType.RAW);
    }

    /** Creates or truncates {@code path} and writes a file header for {@code linkType}. */
    public PcapWriter(Path path, int linkType) throws IOException {
        this(Files.newOutputStream(path), linkType);
    }

    /** Writes a raw-IP file header to {@code out}, which this writer then owns. */
    public PcapWriter(OutputStream out) throws IOException {
        this(out, PcapLinkType.RAW);
    }

    /**
     * Writes a file header for {@code linkType} (any LINKTYPE_* value; {@link PcapLinkType} lists the ones
     * {@link PcapReader} reads back) to {@code out}, which this writer then owns.
     */
    public PcapWriter(OutputStream out, int linkType) throws IOException {
        Objects.requireNonNull(out, "out");
        if (linkType < 0 || linkType > PcapFormat.LINKTYPE_MASK) {
            throw new IllegalArgumentException("linkType: " + linkType + " (expected: 0..65535)");
        }
        this.out = new BufferedOutputStream(out, BUFFER_SIZE);
        this.linkType = linkType;
        final byte[] header = new byte[FILE_HEADER_LENGTH];
        INT.set(header, MAGIC_OFFSET, MAGIC_MICROS);
        SHORT.set(header, VERSION_MAJOR_OFFSET, (short) VERSION_MAJOR);
        SHORT.set(header, VERSION_MINOR_OFFSET, (short) VERSION_MINOR);
        INT.set(header, THISZONE_OFFSET, 0);
        INT.set(header, SIGFIGS_OFFSET, 0);
        INT.set(header, SNAPLEN_OFFSET, SNAP_LENGTH);
        INT.set(header, LINKTYPE_OFFSET, linkType);
        try {
            this.out.write(header);
        } catch (IOException e) {
            try {
                out.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Appends one record holding {@code array[offset .. offset+length)}.
     *
     * @param epochSeconds capture time, seconds since 1970 (0 .. 2^32-1)
     * @param micros       microseconds within the second (0 .. 999999)
     */
    public void write(byte[] array, int offset, int length, long epochSeconds, int micros) throws IOException {
        Objects.checkFromIndexSize(offset, length, array.length);
        if (epochSeconds < 0 || epochSeconds > MAX_SECONDS) {
            throw new IllegalArgumentException("epochSeconds: " + epochSeconds + " (expected: 0 <= epochSeconds <= 4294967295)");
        }
        if (micros < 0 || micros >= MICROS_PER_SECOND) {
            throw new IllegalArgumentException("micros: " + micros + " (expected: 0 <= micros <= 999999)");
        }
        if (closed) {
            throw new IOException("PcapWriter is closed");
        }
        final int captured = Math.min(length, SNAP_LENGTH);
        final byte[] header = recordHeader;
        INT.set(header, TS_SEC_OFFSET, (int) epochSeconds);
        INT.set(header, TS_FRAC_OFFSET, micros);
        INT.set(header, CAPLEN_OFFSET, captured);
        INT.set(header, ORIGLEN_OFFSET, length);
        out.write(header, 0, RECORD_HEADER_LENGTH);
        out.write(array, offset, captured);
        recordCount++;
    }

    /** The LINKTYPE_* in the file header. */
    public int linkType() { return linkType; }

    /** Records written so far. */
    public long recordCount() { return recordCount; }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    /** Flushes and closes the underlying stream; a second call does nothing. */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            out.close();
        }
    }

    @Override
    public String toString() {
        return "PcapWriter{linkType=" + PcapLinkType.name(linkType) + ", records=" + recordCount + ", closed=" + closed + '}';
    }
}
