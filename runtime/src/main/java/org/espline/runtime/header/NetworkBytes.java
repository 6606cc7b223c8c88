package org.espline.runtime.header;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Big-endian (network order) loads and stores on a {@code byte[]}, shared by the header views.
 *
 * <p>Byte-array view VarHandles let the JIT emit one wide load plus a byte swap instead of
 * assembling a field from shifted bytes; the array's own bounds check is the only check.
 */
public final class NetworkBytes {
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private NetworkBytes() {
    }

    public static int u8(byte[] array, int index) {
        return array[index] & 0xFF;
    }

    public static int u16(byte[] array, int index) {
        return (short) SHORT.get(array, index) & 0xFFFF;
    }

    public static int i32(byte[] array, int index) {
        return (int) INT.get(array, index);
    }

    public static void put8(byte[] array, int index, int value) {
        array[index] = (byte) value;
    }

    public static void put16(byte[] array, int index, int value) {
        SHORT.set(array, index, (short) value);
    }

    public static void put32(byte[] array, int index, int value) {
        INT.set(array, index, value);
    }

    /** Dotted quad for toString; allocation is fine there. */
    public static String ipv4ToString(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    /** Eight uncompressed hex groups for toString; unambiguous, which matters more than brevity there. */
    public static String ipv6ToString(byte[] array, int index) {
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(Integer.toHexString(u16(array, index + i)));
        }
        return sb.toString();
    }
}
