package org.espline.runtime.pcap;

import java.io.IOException;

/**
 * A capture file that is not a classic pcap file Espline can read, or that is cut short or corrupt.
 *
 * <p>The message says where: {@code capture.pcap: record 7 at byte 1234: record header truncated (expected 16
 * bytes, found 5)}. The file name is left out when the reader was given a bare stream; record 0 is the file
 * header. Checked, and an {@link IOException}, so that one {@code catch} covers bad files and failing disks.
 */
public final class PcapFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final long recordNumber;
    private final long byteOffset;
    private final String reason;

    /**
     * @param source       file name, or null if unknown
     * @param recordNumber 1-based record number, or 0 for the file header
     * @param byteOffset   offset in the file of the start of that record header (or file header)
     * @param reason       what is wrong, with the expected and actual values
     */
    public PcapFormatException(String source, long recordNumber, long byteOffset, String reason) {
        super(format(source, recordNumber, byteOffset, reason));
        this.source = source;
        this.recordNumber = recordNumber;
        this.byteOffset = byteOffset;
        this.reason = reason;
    }

    private static String format(String source, long recordNumber, long byteOffset, String reason) {
        final String where = recordNumber == 0
                ? "file header at byte " + byteOffset
                : "record " + recordNumber + " at byte " + byteOffset;
        return source == null ? where + ": " + reason : source + ": " + where + ": " + reason;
    }

    /** File name, or null if the reader was given a bare stream. */
    public String source() { return source; }

    /** 1-based record number, or 0 for the file header. */
    public long recordNumber() { return recordNumber; }

    /** Offset in the file of the header (record or file) the problem was found in. */
    public long byteOffset() { return byteOffset; }

    /** The message without the location. */
    public String reason() { return reason; }
}
