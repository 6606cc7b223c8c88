package org.espline.runtime.crypto;

import java.util.Arrays;

/**
 * Secret key bytes. Never printed: {@link #toString()} names only the length, so a key cannot leak
 * through a log line, an exception message or a debugger's summary.
 */
public final class KeyMaterial {
    public static final KeyMaterial EMPTY = new KeyMaterial(new byte[0]);

    private final byte[] bytes;

    private KeyMaterial(byte[] bytes) {
        this.bytes = bytes;
    }

    public static KeyMaterial of(byte[] bytes) {
        return new KeyMaterial(bytes.clone());
    }

    public int length() { return bytes.length; }

    /** A copy of the bytes from {@code from} (inclusive) to {@code to} (exclusive). */
    public byte[] copyOfRange(int from, int to) {
        return Arrays.copyOfRange(bytes, from, to);
    }

    /** A copy of all bytes; callers own it and should wipe it when done. */
    public byte[] copy() {
        return bytes.clone();
    }

    /** Hex for export formats that must carry the key (ip xfrm, Wireshark esp_sa); never for logs. */
    public String toHexForExport() {
        StringBuilder sb = new StringBuilder(2 + bytes.length * 2).append("0x");
        for (byte b : bytes) {
            sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyMaterial && java.security.MessageDigest.isEqual(bytes, ((KeyMaterial) o).bytes);
    }

    @Override
    public int hashCode() {
        return bytes.length;
    }

    @Override
    public String toString() {
        return "KeyMaterial[" + bytes.length + " bytes, redacted]";
    }
}
