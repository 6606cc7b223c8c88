package org.espline.runtime.config;

import static org.espline.runtime.config.XfrmTestSupport.GCM;
import static org.espline.runtime.config.XfrmTestSupport.HEAD;
import static org.espline.runtime.config.XfrmTestSupport.K_AES128;
import static org.espline.runtime.config.XfrmTestSupport.K_CHACHA;
import static org.espline.runtime.config.XfrmTestSupport.K_GCM128;
import static org.espline.runtime.config.XfrmTestSupport.K_SHA1;
import static org.espline.runtime.config.XfrmTestSupport.K_SHA256;
import static org.espline.runtime.config.XfrmTestSupport.at;
import static org.espline.runtime.config.XfrmTestSupport.atColumn;
import static org.espline.runtime.config.XfrmTestSupport.fails;
import static org.espline.runtime.config.XfrmTestSupport.one;
import static org.espline.runtime.config.XfrmTestSupport.parse;
import static org.espline.runtime.config.XfrmTestSupport.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;

import org.espline.runtime.sa.SaConfig;
import org.junit.jupiter.api.Test;

/** Errors: exact {@code file:line:col: message}, issue code, and no key material anywhere. */
class XfrmStateParserErrorTest {

    @Test
    void unknownToken() {
        String line = HEAD + GCM + " frobnicate 1";
        assertEquals(at(line, "frobnicate", "unknown token 'frobnicate' (not an ip xfrm state keyword)"),
                problem(line, XfrmIssueCodes.UNKNOWN_TOKEN));
    }

    @Test
    void missingValue() {
        String line = "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp " + GCM + " spi";
        assertEquals(at(line, "spi", "missing value after 'spi' (expected an SPI)"),
                problem(line, XfrmIssueCodes.MISSING_VALUE));
    }

    @Test
    void missingIcvLength() {
        String line = HEAD + "aead 'rfc4106(gcm(aes))' " + K_GCM128;
        assertEquals(at(line, "aead", "missing value after 'aead' (expected the ICV length in bits)"),
                problem(line, XfrmIssueCodes.MISSING_VALUE));
    }

    @Test
    void badHexKey() {
        String key = K_GCM128.substring(0, 6) + "zz" + K_GCM128.substring(8);
        String line = HEAD + "aead 'rfc4106(gcm(aes))' " + key + " 128";
        assertEquals(at(line, key, "key is not valid hex: digit 5 of 40 is not 0-9 or a-f"),
                problem(line, XfrmIssueCodes.BAD_KEY));
    }

    @Test
    void oddNumberOfHexDigits() {
        String key = K_GCM128 + "5";
        String line = HEAD + "aead 'rfc4106(gcm(aes))' " + key + " 128";
        assertEquals(at(line, key, "key has an odd number of hex digits (41); a key is whole bytes"),
                problem(line, XfrmIssueCodes.BAD_KEY));
    }

    @Test
    void upperCaseHexPrefixIsTextToLinux() {
        String key = "0X" + K_GCM128.substring(2);
        String line = HEAD + "aead 'rfc4106(gcm(aes))' " + key + " 128";
        assertEquals(at(line, key, "key starts with '0X', which Linux reads as text, not hex; write '0x'"),
                problem(line, XfrmIssueCodes.BAD_KEY));
    }

    @Test
    void wrongAeadKeyLength() {
        String key = K_GCM128.substring(0, K_GCM128.length() - 4); // 18 bytes
        String line = HEAD + "aead 'rfc4106(gcm(aes))' " + key + " 128";
        String message = problem(line, XfrmIssueCodes.KEY_LENGTH);
        assertEquals(at(line, key, "rfc4106(gcm(aes)): key is 18 bytes (expected 20, 28 or 36, cipher key + 4-byte salt)"),
                message);
        assertFalse(message.contains(key.substring(2, 20)), message);
    }

    @Test
    void wrongIntegrityKeyLength() {
        String key = K_SHA1; // 20 bytes, but hmac(sha256) needs 32 (RFC 4868)
        String line = HEAD + "enc 'cbc(aes)' " + K_AES128 + " auth-trunc 'hmac(sha256)' " + key + " 128";
        String message = problem(line, XfrmIssueCodes.KEY_LENGTH);
        assertEquals(at(line, key, "hmac(sha256): key is 20 bytes (expected 32)"), message);
        assertFalse(message.contains(key.substring(2, 20)), message);
    }

    @Test
    void unsupportedProto() {
        String line = HEAD.replace("proto esp", "proto ah") + "auth-trunc 'hmac(sha256)' " + K_SHA256 + " 128";
        assertEquals(at(line, "ah", "only proto esp is supported (found 'ah')"), problem(line, XfrmIssueCodes.UNSUPPORTED));
    }

    @Test
    void missingProto() {
        String line = HEAD.replace(" proto esp", "") + GCM;
        assertEquals(atColumn(1, "missing 'proto esp'"), problem(line, XfrmIssueCodes.MISSING));
    }

    @Test
    void unknownAlgorithm() {
        String line = HEAD + "aead 'rfc9999(gcm(aes))' " + K_GCM128 + " 128";
        assertEquals(at(line, "'rfc9999", "unknown aead algorithm 'rfc9999(gcm(aes))' (supported: rfc4106(gcm(aes)),"
                + " rfc4309(ccm(aes)), rfc7539esp(chacha20,poly1305), rfc4543(gcm(aes)))"),
                problem(line, XfrmIssueCodes.UNKNOWN_ALGORITHM));
    }

    @Test
    void linuxAlgorithmEsplineDoesNotImplement() {
        String line = HEAD + "enc 'cbc(des3_ede)' 0x" + "11".repeat(24) + " auth-trunc 'hmac(sha1)' " + K_SHA1 + " 96";
        assertEquals(at(line, "'cbc(des3_ede)'", "enc algorithm 'cbc(des3_ede)' is not supported by Espline"
                + " (supported: cbc(aes), ecb(cipher_null))"), problem(line, XfrmIssueCodes.UNSUPPORTED));
    }

    @Test
    void aeadNameUnderEnc() {
        String line = HEAD + "enc 'rfc4106(gcm(aes))' " + K_GCM128;
        assertEquals(at(line, "'rfc4106", "rfc4106(gcm(aes)) is an AEAD transform; write aead 'rfc4106(gcm(aes))' KEY ICV-BITS"),
                problem(line, XfrmIssueCodes.UNKNOWN_ALGORITHM));
    }

    @Test
    void authHmacSha256WithoutTrunc() {
        String line = HEAD + "enc 'cbc(aes)' " + K_AES128 + " auth 'hmac(sha256)' " + K_SHA256;
        assertEquals(at(line, "auth", "auth 'hmac(sha256)' truncates the ICV to 96 bits in Linux (pre-RFC 4868);"
                + " use auth-trunc 'hmac(sha256)' KEY 128"), problem(line, XfrmIssueCodes.LEGACY_TRUNCATION));
    }

    @Test
    void conflictingAlgorithms() {
        String line = HEAD + GCM + " enc 'cbc(aes)' " + K_AES128;
        assertEquals(at(line, "enc", "'enc' conflicts with 'aead' at 1:" + (line.indexOf("aead") + 1)
                + " (an SA has one aead, or one enc and one auth)"), problem(line, XfrmIssueCodes.DUPLICATE));
    }

    @Test
    void missingAlgorithm() {
        assertEquals(atColumn(1, "missing algorithm: ESP needs aead NAME KEY ICV-BITS, or enc NAME KEY with auth-trunc"
                + " NAME KEY BITS"), problem(HEAD.trim(), XfrmIssueCodes.MISSING));
    }

    @Test
    void keywordGivenTwice() {
        String line = HEAD + GCM + " spi 0x2000";
        assertEquals(at(line, "spi 0x2000", "'spi' given twice in one SA (first at 1:" + (line.indexOf("spi") + 1) + ")"),
                problem(line, XfrmIssueCodes.DUPLICATE));
    }

    @Test
    void badNumber() {
        String line = HEAD.replace("reqid 1", "reqid one") + GCM;
        assertEquals(at(line, "one", "expected a REQID (0x hex or decimal, at most 4294967295) after 'reqid' but was 'one'"),
                problem(line, XfrmIssueCodes.BAD_VALUE));
        String octal = HEAD.replace("reqid 1", "reqid 09") + GCM;
        assertEquals(at(octal, "09", "expected a REQID (0x hex or decimal, at most 4294967295) after 'reqid' but was '09'"),
                problem(octal, XfrmIssueCodes.BAD_VALUE));
    }

    @Test
    void hostNamesAreNotResolved() {
        String line = HEAD.replace("dst 192.0.2.2", "dst gateway.example") + GCM;
        assertEquals(at(line, "gateway.example", "expected an IPv4 or IPv6 address after 'dst' but was 'gateway.example'"
                + " (host names are not resolved)"), problem(line, XfrmIssueCodes.BAD_VALUE));
    }

    @Test
    void addressFamiliesMustMatch() {
        String line = HEAD.replace("dst 192.0.2.2", "dst 2001:db8::2") + GCM;
        assertEquals(at(line, "dst", "src 192.0.2.1 and dst 2001:db8:0:0:0:0:0:2 are of different address families"),
                problem(line, XfrmIssueCodes.BAD_VALUE));
        String six = "ip -6 xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 " + GCM;
        assertEquals(at(six, "192.0.2.1", "IPv4 address '192.0.2.1' in an 'ip -6' command"), problem(six, XfrmIssueCodes.BAD_VALUE));
    }

    @Test
    void saConfigRejectionIsReportedAtTheSaStart() {
        String line = "ip xfrm state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x1000 " + GCM
                + " encap espinudp 4500 4500 ::";
        assertEquals(atColumn(1, "UDP encapsulation (RFC 3948) is defined for IPv4 only"),
                problem(line, XfrmIssueCodes.INVALID_SA));
        String reserved = HEAD.replace("spi 0x1000", "spi 0x10") + GCM;
        assertEquals(atColumn(1, "spi 0x10 is reserved (expected >= 0x100)"), problem(reserved, XfrmIssueCodes.INVALID_SA));
    }

    @Test
    void unterminatedQuote() {
        String line = HEAD + "aead 'rfc4106(gcm(aes)) " + K_GCM128 + " 128";
        assertEquals(at(line, "'", "unterminated ' quote (quotes must close on the same line)"),
                problem(line, XfrmIssueCodes.SYNTAX));
    }

    @Test
    void otherIpCommandsAreNotSas() {
        assertEquals(atColumn(9, "expected 'state' (only SAs are read, not policies) but was 'policy'"),
                problem("ip xfrm policy add src 10.0.0.0/24 dst 10.0.1.0/24 dir out", XfrmIssueCodes.NOT_AN_SA));
        assertEquals(atColumn(15, "only 'ip xfrm state add' and 'ip xfrm state update' are read, not 'flush'"),
                problem("ip xfrm state flush", XfrmIssueCodes.NOT_AN_SA));
        assertEquals(atColumn(4, "unsupported ip option '-batch' (expected -4, -6, -f, -n, -s or -d)"),
                problem("ip -batch sas.txt", XfrmIssueCodes.NOT_AN_SA));
        assertEquals(atColumn(1, "unexpected 'echo' (expected 'ip xfrm state add|update ...' or a listing line"
                + " starting with 'src')"), problem("echo hello", XfrmIssueCodes.NOT_AN_SA));
    }

    @Test
    void duplicateSa() {
        String text = HEAD + GCM + "\n" + "ip xfrm state add src 192.0.2.9 dst 192.0.2.2 proto esp spi 4096 " + GCM + "\n";
        ConfigException e = fails(text);
        int col = "ip xfrm state add src 192.0.2.9 dst 192.0.2.2 proto esp ".length() + 1;
        assertEquals("sas.conf:2:" + col + ": duplicate SA: dst 192.0.2.2 spi 0x00001000 is already defined at 1:1"
                + " (use 'update' to replace it)", e.getMessage());
        assertEquals(XfrmIssueCodes.DUPLICATE, e.problems().get(0).code());
    }

    @Test
    void everyProblemOfTheFileIsCollectedOnePerLine() {
        String text = HEAD + GCM + " frobnicate\n"                                      // 1: unknown token
                + HEAD.replace("0x1000", "0x1001") + GCM + "\n"                          // 2: fine
                + HEAD.replace("0x1000", "0x1002").replace("proto esp", "proto ah") + GCM + "\n" // 3: proto
                + HEAD.replace("0x1000", "0x1003") + "aead 'rfc4106(gcm(aes))' 0x01 128\n"; // 4: key length
        ConfigException e = fails(text);
        assertEquals(3, e.problems().size(), e.getMessage());
        String[] lines = e.getMessage().split("\n");
        assertEquals(3, lines.length);
        assertEquals("sas.conf:1:" + (HEAD.length() + GCM.length() + 2) + ": unknown token 'frobnicate' (not an ip xfrm"
                + " state keyword)", lines[0]);
        assertEquals("sas.conf:3:" + (HEAD.indexOf("esp") + 1) + ": only proto esp is supported (found 'ah')", lines[1]);
        assertEquals("sas.conf:4:" + (HEAD.length() + "aead 'rfc4106(gcm(aes))' ".length() + 1)
                + ": rfc4106(gcm(aes)): key is 1 bytes (expected 20, 28 or 36, cipher key + 4-byte salt)", lines[2]);
        assertEquals(List.of(1, 3, 4), e.problems().stream().map(ConfigProblem::line).toList());
    }

    /** A key must not leak: not through a message, not through SaConfig.toString(). */
    @Test
    void keysNeverAppearInMessagesOrToString() throws Exception {
        String secret = K_CHACHA;
        String body = secret.substring(2);
        List<String> broken = new ArrayList<>();
        String aead = "aead 'rfc7539esp(chacha20,poly1305)' ";
        broken.add(HEAD + aead + secret + " 96");                                    // ICV
        broken.add(HEAD + aead + secret.substring(0, secret.length() - 2) + " 128"); // length
        broken.add(HEAD + aead + secret + "z 128");                                  // hex
        broken.add(HEAD + aead + " 128 " + secret);                                  // misplaced: ICV read as key
        broken.add(HEAD + aead + secret);                                            // missing ICV
        broken.add(HEAD + GCM + " " + secret);                                       // stray key word
        broken.add(HEAD + GCM + " spi " + secret);                                   // key where a number goes
        broken.add(HEAD + GCM + " flag " + secret);
        broken.add(HEAD + "enc 'cbc(aes)' " + secret + " auth 'hmac(sha256)' " + secret);
        broken.add(HEAD + "enc 'cbc(aes)' " + K_AES128 + " auth-trunc 'hmac(sha256)' " + secret + " 128");
        broken.add(HEAD + GCM + " 'rawsecretkeymaterial!!'");                       // quoted raw key, stray
        broken.add(HEAD + "aead 'rfc4106(gcm(aes))' 'rawsecretkeymaterial!!' 128");  // raw key, wrong length
        for (String line : broken) {
            ConfigException e = fails(line);
            String all = e.getMessage() + e.problems();
            assertFalse(all.contains(body.substring(0, 16)) || all.contains(body.substring(24, 40))
                    || all.contains("rawsecretkeymaterial"), () -> "key leaked for: " + line + "\n" + all);
        }
        SaConfig sa = one(HEAD + aead + secret + " 128");
        assertFalse(sa.toString().contains(body.substring(0, 16)), sa.toString());
        for (SaConfig s : parse(XfrmTestSupport.resource("ip-s-xfrm-state.txt"))) {
            assertFalse(s.toString().matches(".*[0-9a-f]{16}.*"), s.toString());
        }
    }
}
