package org.espline.runtime.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.espline.runtime.sa.SaConfig;

/** Hex, SA and packet building shared by the crypto tests. */
final class EspTestSupport {
    /** Filler around the regions a transform may write, to catch writes outside them. */
    static final byte CANARY = (byte) 0xA5;

    private EspTestSupport() {
    }

    /**
     * A test resource from the class path (Maven copies {@code src/test/resources} there) or, when a
     * runner compiled only the test sources, from {@code runtime/src/test/resources} under the
     * repository root named by the {@code espline.repo.root} system property.
     */
    static InputStream resource(String name) throws IOException {
        InputStream in = EspTestSupport.class.getResourceAsStream(name);
        if (in != null) {
            return in;
        }
        String root = System.getProperty("espline.repo.root");
        if (root != null) {
            Path p = Path.of(root, "runtime", "src", "test", "resources").resolve(name.substring(1));
            if (Files.isRegularFile(p)) {
                return Files.newInputStream(p);
            }
        }
        throw new IOException("test resource " + name + " is neither on the class path nor under espline.repo.root=" + root);
    }

    static byte[] hex(String s) {
        String t = s.replaceAll("\\s+", "");
        if (t.length() % 2 != 0) {
            throw new IllegalArgumentException("odd hex length " + t.length());
        }
        byte[] b = new byte[t.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(t.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    static String hex(byte[] b) {
        return hex(b, 0, b.length);
    }

    static String hex(byte[] b, int offset, int length) {
        StringBuilder sb = new StringBuilder(2 * length);
        for (int i = offset; i < offset + length; i++) {
            sb.append(Character.forDigit((b[i] >> 4) & 0xF, 16)).append(Character.forDigit(b[i] & 0xF, 16));
        }
        return sb.toString();
    }

    static byte[] random(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    static InetAddress address(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, (byte) last});
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static SaConfig sa(EncryptionAlgorithm enc, byte[] encKey, IntegrityAlgorithm integ, byte[] intKey,
                       int icvLength, boolean esn, int spi) {
        SaConfig.Builder b = SaConfig.builder()
                .source(address(1)).destination(address(2)).spi(spi)
                .encryption(enc, KeyMaterial.of(encKey))
                .esn(esn);
        if (integ != IntegrityAlgorithm.NONE) {
            b.integrity(integ, KeyMaterial.of(intKey));
        }
        if (icvLength >= 0) {
            b.icvLength(icvLength);
        }
        return b.build();
    }

    /**
     * RFC 4303 §2.4 ESP payload: {@code inner} ‖ 1, 2, 3, … ‖ pad length ‖ next header, padded to
     * {@code align} with the fewest bytes, as Linux and scapy pad.
     */
    static byte[] espPayload(byte[] inner, int align, int nextHeader) {
        int pad = Math.floorMod(-(inner.length + 2), align);
        byte[] p = Arrays.copyOf(inner, inner.length + pad + 2);
        for (int i = 0; i < pad; i++) {
            p[inner.length + i] = (byte) (i + 1);
        }
        p[p.length - 2] = (byte) pad;
        p[p.length - 1] = (byte) nextHeader;
        return p;
    }

    /**
     * {@code lead} canary bytes, then SPI, seq-low, IV room, {@code payload}, ICV room, then
     * {@code trailing} canary bytes: the linear layout {@link EspTransform} expects at offset {@code lead}.
     */
    static byte[] linearPacket(int lead, int spi, long seq, int ivLength, byte[] payload, int icvLength, int trailing) {
        byte[] p = new byte[lead + 8 + ivLength + payload.length + icvLength + trailing];
        Arrays.fill(p, CANARY);
        ReferenceEsp.putInt(p, lead, spi);
        ReferenceEsp.putInt(p, lead + 4, (int) seq);
        System.arraycopy(payload, 0, p, lead + 8 + ivLength, payload.length);
        return p;
    }

    /** One algorithm configuration of the test matrix. */
    record Suite(EncryptionAlgorithm enc, int cipherKeyLength, IntegrityAlgorithm integ, int icvLength) {
        SaConfig config(Random rnd, boolean esn, int spi) {
            byte[] encKey = random(rnd, cipherKeyLength + enc.saltLength());
            byte[] intKey = integ == IntegrityAlgorithm.NONE ? new byte[0] : random(rnd, integ.keyLength());
            return sa(enc, encKey, integ, intKey, integ == IntegrityAlgorithm.NONE ? icvLength : -1, esn, spi);
        }

        /** Alignment of the whole ESP payload. */
        int align() {
            return enc.blockSize();
        }

        @Override
        public String toString() {
            return enc + "-" + (cipherKeyLength * 8) + (integ == IntegrityAlgorithm.NONE ? "" : "+" + integ) + "/icv" + icvLength;
        }
    }

    /** Every algorithm, key size and ICV length the SA configuration accepts. */
    static List<Suite> allSuites() {
        List<Suite> s = new ArrayList<>();
        for (int k : new int[] {16, 24, 32}) {
            for (int icv : new int[] {8, 12, 16}) {
                s.add(new Suite(EncryptionAlgorithm.AES_GCM, k, IntegrityAlgorithm.NONE, icv));
                s.add(new Suite(EncryptionAlgorithm.AES_CCM, k, IntegrityAlgorithm.NONE, icv));
            }
            s.add(new Suite(EncryptionAlgorithm.AES_GMAC, k, IntegrityAlgorithm.NONE, 16));
        }
        s.add(new Suite(EncryptionAlgorithm.CHACHA20_POLY1305, 32, IntegrityAlgorithm.NONE, 16));
        for (IntegrityAlgorithm ia : new IntegrityAlgorithm[] {IntegrityAlgorithm.HMAC_SHA1_96,
                IntegrityAlgorithm.HMAC_SHA256_128, IntegrityAlgorithm.HMAC_SHA384_192, IntegrityAlgorithm.HMAC_SHA512_256}) {
            for (int k : new int[] {16, 24, 32}) {
                s.add(new Suite(EncryptionAlgorithm.AES_CBC, k, ia, ia.defaultIcvLength()));
            }
            s.add(new Suite(EncryptionAlgorithm.NULL, 0, ia, ia.defaultIcvLength()));
        }
        return s;
    }
}
