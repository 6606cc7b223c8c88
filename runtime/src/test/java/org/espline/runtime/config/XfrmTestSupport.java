package org.espline.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.espline.runtime.sa.SaConfig;

/** Keys, one-SA helpers and a field-by-field comparison (SaConfig has no equals). */
final class XfrmTestSupport {
    static final String FILE = "sas.conf";

    /** Keys with recognisable, distinct bytes so a leak into a message is easy to find. */
    static final String K_GCM128 = "0x00112233445566778899aabbccddeeff01020304"; // 16 + 4 salt
    static final String K_GCM192 = "0x00112233445566778899aabbccddeeff0011223344556677c0c1c2c3"; // 24 + 4
    static final String K_GCM256 = "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeffa0a1a2a3"; // 32 + 4
    static final String K_CCM128 = "0xffeeddccbbaa99887766554433221100f1f2f3"; // 16 + 3 salt
    static final String K_CHACHA = "0x1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100d0d1d2d3"; // 32 + 4
    static final String K_AES128 = "0x0f0e0d0c0b0a09080706050403020100";
    static final String K_AES256 = "0x0f0e0d0c0b0a090807060504030201000f0e0d0c0b0a09080706050403020100";
    static final String K_SHA1 = "0x5a5b5c5d5e5f606162636465666768696a6b6c6d"; // 20
    static final String K_SHA256 = "0x8081828384858687888990919293949596979899a0a1a2a3a4a5a6a7a8a9b0b1"; // 32
    static final String K_SHA384 = "0x" + "c3".repeat(48);
    static final String K_SHA512 = "0x" + "e5".repeat(64);

    /** An SA head every command test shares; the clause under test follows it. */
    static final String HEAD = "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 mode tunnel ";
    static final String GCM = "aead 'rfc4106(gcm(aes))' " + K_GCM128 + " 128";

    private XfrmTestSupport() {
    }

    static List<SaConfig> parse(String text) throws ConfigException {
        return new XfrmStateParser().parse(text, FILE);
    }

    static SaConfig one(String text) throws ConfigException {
        List<SaConfig> sas = parse(text);
        assertEquals(1, sas.size(), "number of SAs");
        return sas.get(0);
    }

    static ConfigException fails(String text) {
        return assertThrows(ConfigException.class, () -> parse(text));
    }

    /** The single problem of {@code text} as {@code file:line:col: message}, asserting its code. */
    static String problem(String text, String code) {
        ConfigException e = fails(text);
        assertEquals(1, e.problems().size(), () -> "problems: " + e.getMessage());
        assertEquals(code, e.problems().get(0).code(), () -> "code of " + e.getMessage());
        return e.getMessage();
    }

    /** {@code sas.conf:1:<column of needle>: message}; needle must occur once in the line. */
    static String at(String line, String needle, String message) {
        int i = line.indexOf(needle);
        if (i < 0 || line.indexOf(needle, i + 1) >= 0) {
            throw new IllegalArgumentException("needle must occur exactly once: " + needle);
        }
        return FILE + ":1:" + (i + 1) + ": " + message;
    }

    /** {@code sas.conf:1:col: message}. */
    static String atColumn(int column, String message) {
        return FILE + ":1:" + column + ": " + message;
    }

    static byte[] hex(String key) {
        String h = key.substring(2);
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    static void assertSameConfig(SaConfig expected, SaConfig actual) {
        String where = expected.name();
        assertEquals(expected.source(), actual.source(), where + " source");
        assertEquals(expected.destination(), actual.destination(), where + " destination");
        assertEquals(expected.spi(), actual.spi(), where + " spi");
        assertEquals(expected.mode(), actual.mode(), where + " mode");
        assertEquals(expected.reqid(), actual.reqid(), where + " reqid");
        assertEquals(expected.encryption(), actual.encryption(), where + " encryption");
        assertEquals(expected.encryptionKey(), actual.encryptionKey(), where + " encryption key");
        assertEquals(expected.integrity(), actual.integrity(), where + " integrity");
        assertEquals(expected.integrityKey(), actual.integrityKey(), where + " integrity key");
        assertEquals(expected.icvLength(), actual.icvLength(), where + " icv");
        assertEquals(expected.encapsulation(), actual.encapsulation(), where + " encapsulation");
        assertEquals(expected.esn(), actual.esn(), where + " esn");
        assertEquals(expected.replayWindow(), actual.replayWindow(), where + " replay window");
        assertEquals(expected.inboundSequence(), actual.inboundSequence(), where + " inbound sequence");
        assertEquals(expected.outboundSequence(), actual.outboundSequence(), where + " outbound sequence");
        assertEquals(expected.softLifetime(), actual.softLifetime(), where + " soft lifetime");
        assertEquals(expected.hardLifetime(), actual.hardLifetime(), where + " hard lifetime");
        assertEquals(expected.tfcPadTo(), actual.tfcPadTo(), where + " tfc");
    }

    /** A file under src/test/resources/config: from the class path (Maven) or the source tree. */
    static String resource(String name) {
        try (InputStream in = XfrmTestSupport.class.getResourceAsStream("/config/" + name)) {
            if (in != null) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Path root = Path.of(System.getProperty("espline.repo.root", "."));
            Path file = root.resolve("runtime/src/test/resources/config").resolve(name);
            if (!Files.exists(file)) {
                file = Path.of("src/test/resources/config").resolve(name);
            }
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
