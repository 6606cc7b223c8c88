package org.espline.runtime.crypto;

/**
 * NULL encryption with no integrity at all: every packet "opens", nothing is protected. RFC 4303 §3.2
 * forbids this combination; it exists only so benchmarks can measure the ESP framing cost with no
 * crypto, and {@link EspTransforms#create} builds it only when the SA says
 * {@code benchmarkOnlyNullWithoutIntegrity}. Stateless.
 */
final class BenchmarkOnlyNullTransform extends EspTransform {
    private static final int BLOCK_SIZE = 4;

    @Override
    public int ivLength() {
        return 0;
    }

    @Override
    public int icvLength() {
        return 0;
    }

    @Override
    public int blockSize() {
        return BLOCK_SIZE;
    }

    @Override
    public boolean writesNothing() {
        return true;
    }

    @Override
    public void seal(byte[] packet, int espOffset, int payloadLength, byte[] tail, int tailOffset, int tailLength, long seq) {
        EspLayout.checkSeal(payloadLength, tail, tailLength, BLOCK_SIZE);
    }

    @Override
    public boolean open(byte[] packet, int espOffset, int payloadLength, long seq) {
        return true;
    }

    @Override
    public String toString() {
        return "BenchmarkOnlyNullTransform[no confidentiality, no integrity]";
    }
}
