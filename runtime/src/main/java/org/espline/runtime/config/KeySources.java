package org.espline.runtime.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import org.espline.runtime.crypto.KeyMaterial;

/**
 * Key material and address literals as models and generated data planes spell them: literal hex
 * ({@code 0x} optional), an environment variable holding hex, or a key file holding hex text or raw key
 * bytes. One place for these rules, so the model loader and generated code read keys identically.
 * Messages name the source, never the key.
 */
public final class KeySources {
    private static final Pattern HEX_TEXT = Pattern.compile("(0[xX])?([0-9a-fA-F]{2})+");

    private KeySources() {
    }

    /** Whole bytes of hex, {@code 0x} optional; null when {@code text} is not that. */
    public static byte[] parseHex(String text) {
        if (text == null || !HEX_TEXT.matcher(text).matches()) {
            return null;
        }
        String digits = text.startsWith("0x") || text.startsWith("0X") ? text.substring(2) : text;
        byte[] out = new byte[digits.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(digits.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    /** The bytes a key file stands for: its hex text when the whole (trimmed) file is hex, else its raw bytes. */
    public static byte[] fromFileContent(byte[] content) {
        byte[] hex = parseHex(new String(content, StandardCharsets.ISO_8859_1).strip());
        return hex != null ? hex : content;
    }

    /** A literal hex key. */
    public static KeyMaterial hex(String digits) {
        byte[] bytes = parseHex(digits.strip());
        if (bytes == null) {
            throw new IllegalArgumentException("key: expected whole bytes of hex (0x optional)");
        }
        return KeyMaterial.of(bytes);
    }

    /** A key from an environment variable holding hex. */
    public static KeyMaterial environment(String variable) {
        String value = System.getenv(variable);
        if (value == null) {
            throw new IllegalStateException("key env:" + variable + ": the environment variable is not set");
        }
        byte[] bytes = parseHex(value.strip());
        if (bytes == null) {
            throw new IllegalStateException("key env:" + variable + ": expected whole bytes of hex (0x optional)");
        }
        return KeyMaterial.of(bytes);
    }

    /** A key file (see {@link #fromFileContent}); a relative path is relative to the working directory. */
    public static KeyMaterial file(String path) {
        try {
            return KeyMaterial.of(fromFileContent(Files.readAllBytes(Path.of(path))));
        } catch (IOException e) {
            throw new UncheckedIOException("key file:" + path, e);
        }
    }

    /** An IP address literal (never a host name lookup: the literal is parsed as written). */
    public static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
