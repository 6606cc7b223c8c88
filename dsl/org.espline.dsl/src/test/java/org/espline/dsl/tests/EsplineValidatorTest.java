package org.espline.dsl.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.inject.Inject;
import com.google.inject.Provider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.eclipse.emf.common.util.URI;
import org.eclipse.xtext.diagnostics.Severity;
import org.eclipse.xtext.resource.XtextResourceSet;
import org.eclipse.xtext.testing.InjectWith;
import org.eclipse.xtext.testing.extensions.InjectionExtension;
import org.eclipse.xtext.testing.util.ParseHelper;
import org.eclipse.xtext.testing.validation.ValidationTestHelper;
import org.eclipse.xtext.validation.Issue;
import org.espline.dsl.espline.AeadName;
import org.espline.dsl.espline.Model;
import org.espline.dsl.validation.EsplineIssueCodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One test per validation rule with a failing model, asserting code, severity, exact message and the marked text
 * (offset and length), and a passing twin that differs only in what the rule looks at.
 */
@ExtendWith(InjectionExtension.class)
@InjectWith(EsplineInjectorProvider.class)
class EsplineValidatorTest {

    private static final String GCM128_KEY = hex(20);
    private static final String AES128_KEY = hex(16);
    private static final String SHA256_KEY = hex(32);
    /** What every SA of these models needs to be valid, besides its algorithm. */
    private static final String TUNNEL = "mode tunnel src 192.0.2.1 dst 198.51.100.1";

    @Inject
    private ParseHelper<Model> parseHelper;

    @Inject
    private ValidationTestHelper validationHelper;

    @Inject
    private Provider<XtextResourceSet> resourceSets;

    // ------------------------------------------------------------------ key length

    @Test
    void aeadKeyWithoutSaltIsTooShort() throws Exception {
        String text = sa("a", "aead aes128gcm16 key " + AES128_KEY);
        assertIssue(text, EsplineIssueCodes.KEY_LENGTH, Severity.ERROR,
                "aead aes128gcm16 key must be 20 bytes (16 + 4 salt) but is 16 bytes", "aead", AES128_KEY);
        assertNoIssue(sa("a", "aead aes128gcm16 key " + GCM128_KEY), EsplineIssueCodes.KEY_LENGTH);
    }

    @ParameterizedTest
    @CsvSource({
        "aes128gcm16, 20, 16 + 4 salt", "aes192gcm12, 28, 24 + 4 salt", "aes256gcm8, 36, 32 + 4 salt",
        "aes128ccm8, 19, 16 + 3 salt", "aes256ccm16, 35, 32 + 3 salt", "chacha20poly1305, 36, 32 + 4 salt",
        "aes128gmac, 20, 16 + 4 salt", "aes192gmac, 28, 24 + 4 salt", "aes256gmac, 36, 32 + 4 salt",
    })
    void aeadKeyLengthIncludesTheSalt(String name, int bytes, String parts) throws Exception {
        assertNoIssue(sa("a", "aead " + name + " key " + hex(bytes)), EsplineIssueCodes.KEY_LENGTH);
        String tooLong = hex(bytes + 1);
        assertIssue(sa("a", "aead " + name + " key " + tooLong), EsplineIssueCodes.KEY_LENGTH, Severity.ERROR,
                "aead " + name + " key must be " + bytes + " bytes (" + parts + ") but is " + (bytes + 1) + " bytes",
                "aead", tooLong);
    }

    /** Every AEAD: AES key from the name (or ChaCha20's 32) plus the salt of its RFC (CCM 3, the others 4). */
    @ParameterizedTest
    @EnumSource(AeadName.class)
    void everyAeadHasAKeyLength(AeadName name) throws Exception {
        String literal = name.getLiteral();
        int key = literal.startsWith("chacha20") ? 32 : Integer.parseInt(literal.substring(3, 6)) / 8;
        int salt = literal.contains("ccm") ? 3 : 4;
        assertNoIssue(sa("a", "aead " + literal + " key " + hex(key + salt)), EsplineIssueCodes.KEY_LENGTH);
        assertIssue(sa("a", "aead " + literal + " key " + hex(key)), EsplineIssueCodes.KEY_LENGTH, Severity.ERROR,
                "aead " + literal + " key must be " + (key + salt) + " bytes (" + key + " + " + salt
                        + " salt) but is " + key + " bytes", "aead", hex(key));
    }

    @ParameterizedTest
    @CsvSource({"aes128, 16", "aes192, 24", "aes256, 32"})
    void cbcKeyLength(String cipher, int bytes) throws Exception {
        assertNoIssue(cbc(cipher, hex(bytes), "sha256", SHA256_KEY), EsplineIssueCodes.KEY_LENGTH);
        String text = cbc(cipher, hex(bytes + 8), "sha256", SHA256_KEY);
        assertIssue(text, EsplineIssueCodes.KEY_LENGTH, Severity.ERROR,
                "enc " + cipher + " key must be " + bytes + " bytes but is " + (bytes + 8) + " bytes", "enc", hex(bytes + 8));
    }

    @ParameterizedTest
    @CsvSource({"sha1, 20", "sha256, 32", "sha384, 48", "sha512, 64"})
    void hmacKeyLength(String integrity, int bytes) throws Exception {
        assertNoIssue(cbc("aes128", AES128_KEY, integrity, hex(bytes)), EsplineIssueCodes.KEY_LENGTH);
        String text = cbc("aes128", AES128_KEY, integrity, hex(16));
        assertIssue(text, EsplineIssueCodes.KEY_LENGTH, Severity.ERROR,
                "auth " + integrity + " key must be " + bytes + " bytes but is 16 bytes", "auth", hex(16));
    }

    @Test
    void keyWithAnOddNumberOfDigitsIsNoWholeBytes() throws Exception {
        String key = GCM128_KEY + "f";
        assertIssue(sa("a", "aead aes128gcm16 key " + key), EsplineIssueCodes.KEY_LENGTH, Severity.ERROR,
                "aead aes128gcm16 key must be 20 bytes (16 + 4 salt) but has 41 hex digits, not whole bytes",
                "aead", key);
    }

    @Test
    void nullCipherTakesNoKey() throws Exception {
        assertIssue(sa("a", "enc null key env NULL_KEY auth sha256 key " + SHA256_KEY), EsplineIssueCodes.KEY_LENGTH,
                Severity.ERROR, "enc null takes no key but one is given", "enc", "env NULL_KEY");
        assertNoIssue(sa("a", "enc null auth sha256 key " + SHA256_KEY), EsplineIssueCodes.KEY_LENGTH);
    }

    @Test
    void cbcWithoutKey() throws Exception {
        assertIssue(sa("a", "enc aes256 auth sha256 key " + SHA256_KEY), EsplineIssueCodes.KEY_LENGTH, Severity.ERROR,
                "enc aes256 key must be 32 bytes but none is given", "enc", "aes256");
    }

    @Test
    void referencedKeysAreNotMeasured() throws Exception {
        assertNoIssue(sa("a", "enc aes128 key env ENC auth sha256 key file \"auth.key\""), EsplineIssueCodes.KEY_LENGTH);
        assertNoIssue(sa("a", "aead aes128gcm16 key env A_KEY"), EsplineIssueCodes.KEY_LENGTH);
    }

    // ------------------------------------------------------------------ integrity, NULL, RFC 8221

    @Test
    void cbcWithoutIntegrity() throws Exception {
        assertIssue(sa("a", "enc aes128 key " + AES128_KEY), EsplineIssueCodes.INTEGRITY_MISSING, Severity.ERROR,
                "enc aes128 without auth: expected an integrity algorithm (auth sha256 key ...), RFC 8221 forbids CBC "
                        + "without integrity", "enc", "aes128");
        assertNoIssue(cbc("aes128", AES128_KEY, "sha256", SHA256_KEY), EsplineIssueCodes.INTEGRITY_MISSING);
    }

    @Test
    void nullEncryptionWithoutIntegrity() throws Exception {
        assertIssue(sa("a", "enc null"), EsplineIssueCodes.NULL_WITHOUT_INTEGRITY, Severity.ERROR,
                "enc null without auth protects nothing: expected an integrity algorithm (auth sha256 key ...)"
                        + ", or 'benchmark-only' for a benchmark",
                "enc", "null");
        String twin = sa("a", "enc null auth sha256 key " + SHA256_KEY);
        assertNoIssue(twin, EsplineIssueCodes.NULL_WITHOUT_INTEGRITY);
        assertNoIssue(twin, EsplineIssueCodes.INTEGRITY_MISSING);
        assertNoIssue(twin, EsplineIssueCodes.BENCHMARK_ONLY);
    }

    @Test
    void nullWithoutIntegrityForBenchmarksIsAWarning() throws Exception {
        String text = sa("a", "enc null benchmark-only");
        assertIssue(text, EsplineIssueCodes.BENCHMARK_ONLY, Severity.WARNING,
                "enc null benchmark-only protects nothing (no confidentiality, no integrity): for benchmarks only, "
                        + "never for real traffic", "null", "benchmark-only");
        assertNoIssue(text, EsplineIssueCodes.NULL_WITHOUT_INTEGRITY);
    }

    @Test
    void benchmarkOnlyMeansNullWithoutIntegrityOnly() throws Exception {
        assertIssue(sa("a", "enc null auth sha256 key " + SHA256_KEY + " benchmark-only"), EsplineIssueCodes.BENCHMARK_ONLY,
                Severity.ERROR, "benchmark-only applies to 'enc null' without auth only", SHA256_KEY, "benchmark-only");
        assertIssue(cbc("aes128", AES128_KEY, "sha256", SHA256_KEY + " benchmark-only"), EsplineIssueCodes.BENCHMARK_ONLY,
                Severity.ERROR, "benchmark-only applies to 'enc null' without auth only", SHA256_KEY, "benchmark-only");
    }

    @Test
    void hmacSha1IsDiscouraged() throws Exception {
        assertIssue(cbc("aes128", AES128_KEY, "sha1", hex(20)), EsplineIssueCodes.ALGORITHM_DISCOURAGED, Severity.WARNING,
                "auth sha1 (HMAC-SHA-1-96) is MUST- in RFC 8221, expected to be phased out: expected sha256 or stronger",
                "auth", "sha1");
        assertNoIssue(cbc("aes128", AES128_KEY, "sha256", SHA256_KEY), EsplineIssueCodes.ALGORITHM_DISCOURAGED);
        assertNoIssue(sa("a", "aead aes192gcm16 key " + hex(28)), EsplineIssueCodes.ALGORITHM_DISCOURAGED);
    }

    @Test
    void literalKeyIsAWarningWithAVariableNameForTheFix() throws Exception {
        String text = sa("a_to_b", "enc aes128 key " + AES128_KEY + " auth sha256 key " + SHA256_KEY);
        Issue cipher = assertIssue(text, EsplineIssueCodes.LITERAL_KEY, Severity.WARNING,
                "literal key in the model: use env:NAME or file:\"path\" outside tests", "enc", AES128_KEY);
        assertEquals(List.of("A_TO_B_ENC_KEY"), List.of(cipher.getData()));
        Issue integrity = assertIssue(text, EsplineIssueCodes.LITERAL_KEY, Severity.WARNING,
                "literal key in the model: use env:NAME or file:\"path\" outside tests", "auth", SHA256_KEY);
        assertEquals(List.of("A_TO_B_AUTH_KEY"), List.of(integrity.getData()));
        assertNoIssue(sa("a_to_b", "aead aes128gcm16 key env A_TO_B_KEY"), EsplineIssueCodes.LITERAL_KEY);
    }

    // ------------------------------------------------------------------ SPI

    @Test
    void reservedSpi() throws Exception {
        assertIssue(gcm("a", "spi 0xff"), EsplineIssueCodes.SPI_RESERVED, Severity.ERROR,
                "spi 0xff is reserved (RFC 4303: 0 to 255): expected 0x100 or above", "spi", "0xff");
        assertIssue(gcm("a", "spi 0"), EsplineIssueCodes.SPI_RESERVED, Severity.ERROR,
                "spi 0 is reserved (RFC 4303: 0 to 255): expected 0x100 or above", "spi", "0");
        assertNoIssue(gcm("a", "spi 0x100"), EsplineIssueCodes.SPI_RESERVED);
        assertNoIssue(gcm("a", "spi 256"), EsplineIssueCodes.SPI_RESERVED);
    }

    @Test
    void spiAbove32Bits() throws Exception {
        assertIssue(gcm("a", "spi 0x100000000"), EsplineIssueCodes.SPI_RANGE, Severity.ERROR,
                "spi 0x100000000 does not fit the 32-bit SPI field: expected 0x100 to 0xffffffff", "spi", "0x100000000");
        assertNoIssue(gcm("a", "spi 0xffffffff"), EsplineIssueCodes.SPI_RANGE);
    }

    @Test
    void missingSpi() throws Exception {
        assertIssue("sa a { " + TUNNEL + " aead aes128gcm16 key env K }", EsplineIssueCodes.SPI_MISSING, Severity.ERROR,
                "sa 'a' has no spi: expected spi 0x100 to 0xffffffff", "sa", "a");
        assertNoIssue(gcm("a", "spi 0x1001"), EsplineIssueCodes.SPI_MISSING);
    }

    @Test
    void missingMode() throws Exception {
        assertIssue("sa a { spi 0x1001 aead aes128gcm16 key env K }", EsplineIssueCodes.MODE_MISSING, Severity.ERROR,
                "sa 'a' has no mode: expected mode tunnel src ADDRESS dst ADDRESS, or mode transport", "sa", "a");
        assertNoIssue(gcm("a", "spi 0x1001"), EsplineIssueCodes.MODE_MISSING);
    }

    @Test
    void missingAlgorithm() throws Exception {
        assertIssue("sa a { spi 0x1001 " + TUNNEL + " }", EsplineIssueCodes.ALGORITHM_MISSING, Severity.ERROR,
                "sa 'a' has no algorithm: expected aead NAME key KEY, or enc NAME key KEY auth NAME key KEY", "sa", "a");
        assertNoIssue(gcm("a", "spi 0x1001"), EsplineIssueCodes.ALGORITHM_MISSING);
    }

    @Test
    void duplicateSpiForTheSameDestinationAndDirection() throws Exception {
        String text = gcm("a", "spi 0x1001") + gcm("b", "spi 4097");
        assertIssue(text, EsplineIssueCodes.SPI_DUPLICATE, Severity.ERROR,
                "spi 4097 is already used by SA 'a' with destination 198.51.100.1 and the same direction: expected an "
                        + "SPI unique per destination and direction", "sa b", "4097");
        assertIssue(text, EsplineIssueCodes.SPI_DUPLICATE, Severity.ERROR,
                "spi 0x1001 is already used by SA 'b' with destination 198.51.100.1 and the same direction: expected an "
                        + "SPI unique per destination and direction", "sa a", "0x1001");
    }

    @Test
    void sameSpiForAnotherDestinationOrDirectionIsFine() throws Exception {
        assertNoIssue(gcm("a", "spi 0x1001") + "sa b { spi 0x1001 mode tunnel src 192.0.2.1 dst 198.51.100.2 "
                + "aead aes128gcm16 key env K }", EsplineIssueCodes.SPI_DUPLICATE);
        assertNoIssue(gcm("a", "spi 0x1001 dir in") + gcm("b", "spi 0x1001 dir out"), EsplineIssueCodes.SPI_DUPLICATE);
    }

    @Test
    void duplicateSpiInAnImportedFile(@TempDir Path folder) throws Exception {
        Files.writeString(folder.resolve("shared.espl"), gcm("a", "spi 0x1001 dir out"));
        String text = "import \"shared.espl\"\n" + gcm("b", "spi 0x1001");
        Model model = parseHelper.parse(text, URI.createFileURI(folder.resolve("gw.espl").toString()), resourceSets.get());
        List<Issue> issues = validationHelper.validate(model).stream()
                .filter(issue -> EsplineIssueCodes.SPI_DUPLICATE.equals(issue.getCode()))
                .collect(Collectors.toList());
        assertEquals(1, issues.size(), issues::toString);
        assertEquals("spi 0x1001 is already used by SA 'a' with destination 198.51.100.1 and the same direction: "
                + "expected an SPI unique per destination and direction", issues.get(0).getMessage());
        assertEquals(text.indexOf("0x1001"), issues.get(0).getOffset());
    }

    // ------------------------------------------------------------------ replay window and lifetime

    @Test
    void replayWindowAboveTheLimit() throws Exception {
        assertIssue(gcm("a", "spi 0x1001 replay-window 1048577"), EsplineIssueCodes.REPLAY_WINDOW_RANGE, Severity.ERROR,
                "replay-window 1048577 is out of range: expected 0 to 1048576", "replay-window", "1048577");
        assertNoIssue(gcm("a", "spi 0x1001 replay-window 1048576"), EsplineIssueCodes.REPLAY_WINDOW_RANGE);
        assertNoIssue(gcm("a", "spi 0x1001 replay-window 0"), EsplineIssueCodes.REPLAY_WINDOW_RANGE);
    }

    @Test
    void tfcPaddingAboveAnIpDatagram() throws Exception {
        assertIssue(gcm("a", "spi 0x1001 tfc-pad 65536"), EsplineIssueCodes.TFC_PADDING_RANGE, Severity.ERROR,
                "tfc-pad 65536 is out of range: expected 0 to 65535", "tfc-pad", "65536");
        assertNoIssue(gcm("a", "spi 0x1001 tfc-pad 65535"), EsplineIssueCodes.TFC_PADDING_RANGE);
    }

    @Test
    void packetLifetimeAbove32BitsNeedsEsn() throws Exception {
        assertIssue(gcm("a", "spi 0x1001 lifetime soft 1000 packets hard 4294967296 packets"),
                EsplineIssueCodes.LIFETIME_NEEDS_ESN, Severity.ERROR,
                "hard lifetime 4294967296 packets of SA 'a' needs esn: expected at most 4294967295 packets (2^32 - 1) "
                        + "without it", "hard", "4294967296");
        assertIssue(gcm("a", "spi 0x1001 lifetime soft 0x100000000 packets"), EsplineIssueCodes.LIFETIME_NEEDS_ESN,
                Severity.ERROR, "soft lifetime 0x100000000 packets of SA 'a' needs esn: expected at most 4294967295 "
                        + "packets (2^32 - 1) without it", "soft", "0x100000000");
        assertNoIssue(gcm("a", "spi 0x1001 esn lifetime hard 4294967296 packets"), EsplineIssueCodes.LIFETIME_NEEDS_ESN);
        assertNoIssue(gcm("a", "spi 0x1001 lifetime hard 4294967295 packets 9000000000 bytes"),
                EsplineIssueCodes.LIFETIME_NEEDS_ESN);
    }

    @Test
    void initialSequenceNumberAbove32BitsNeedsEsn() throws Exception {
        assertIssue(gcm("a", "spi 0x1001 replay-oseq 4294967296"), EsplineIssueCodes.SEQUENCE_NEEDS_ESN, Severity.ERROR,
                "replay-oseq 4294967296 of SA 'a' needs esn: expected at most 4294967295 (2^32 - 1) without it",
                "replay-oseq", "4294967296");
        assertIssue(gcm("a", "spi 0x1001 replay-seq 0x1ffffffff"), EsplineIssueCodes.SEQUENCE_NEEDS_ESN, Severity.ERROR,
                "replay-seq 0x1ffffffff of SA 'a' needs esn: expected at most 4294967295 (2^32 - 1) without it",
                "replay-seq", "0x1ffffffff");
        assertNoIssue(gcm("a", "spi 0x1001 esn replay-oseq 4294967296"), EsplineIssueCodes.SEQUENCE_NEEDS_ESN);
        assertNoIssue(gcm("a", "spi 0x1001 replay-oseq 4294967295"), EsplineIssueCodes.SEQUENCE_NEEDS_ESN);
    }

    // ------------------------------------------------------------------ offload

    @Test
    void offloadWithoutTheAlgorithm() throws Exception {
        String text = "offload nic0 { type nic algorithms aes256gcm16 aes128 sha256 }\n"
                + gcm("a", "spi 0x1001 offload nic0");
        assertIssue(text, EsplineIssueCodes.OFFLOAD_UNSUPPORTED, Severity.ERROR,
                "offload 'nic0' does not support aes128gcm16 of SA 'a': expected one of its algorithms aes256gcm16, "
                        + "aes128, sha256", "sa a", "nic0");
        assertNoIssue("offload nic0 { type nic algorithms aes128gcm16 }\n" + gcm("a", "spi 0x1001 offload nic0"),
                EsplineIssueCodes.OFFLOAD_UNSUPPORTED);
        // A target without a list claims nothing, so nothing is checked.
        assertNoIssue("offload nic0 { type nic }\n" + gcm("a", "spi 0x1001 offload nic0"),
                EsplineIssueCodes.OFFLOAD_UNSUPPORTED);
    }

    @Test
    void offloadWithoutTheIntegrityAlgorithm() throws Exception {
        String text = "offload qat { type lookaside algorithms aes128 sha256 }\n"
                + "sa a { spi 0x1001 " + TUNNEL + " offload qat enc aes128 key env E auth sha512 key env A }";
        assertIssue(text, EsplineIssueCodes.OFFLOAD_UNSUPPORTED, Severity.ERROR,
                "offload 'qat' does not support sha512 of SA 'a': expected one of its algorithms aes128, sha256",
                "sa a", "qat");
    }

    @Test
    void offloadWithFallbackIsAWarning() throws Exception {
        String text = "offload jca { type software }\n"
                + "offload nic0 { type nic algorithms aes256gcm16 fallback jca }\n"
                + gcm("a", "spi 0x1001 offload nic0");
        assertIssue(text, EsplineIssueCodes.OFFLOAD_UNSUPPORTED, Severity.WARNING,
                "offload 'nic0' does not support aes128gcm16 of SA 'a': expected one of its algorithms aes256gcm16; "
                        + "packets of this SA go to the fallback 'jca'", "sa a", "nic0");
    }

    @Test
    void bouncyCastleBackendHasNoGmacEngine() throws Exception {
        String text = "offload bc { type bouncycastle }\n"
                + "sa a { spi 0x1001 " + TUNNEL + " offload bc aead aes128gmac key env K }";
        assertIssue(text, EsplineIssueCodes.OFFLOAD_BACKEND_LACKS_ALGORITHM, Severity.WARNING,
                "offload 'bc' is a bouncycastle backend, which has no engine for aes128gmac: packets of SA 'a' go "
                        + "through software (the JCA path)", "sa a", "bc");
        assertNoIssue("offload bc { type bouncycastle }\n" + gcm("a", "spi 0x1001 offload bc"),
                EsplineIssueCodes.OFFLOAD_BACKEND_LACKS_ALGORITHM);
        assertNoIssue("offload sw { type software }\n"
                + "sa a { spi 0x1001 " + TUNNEL + " offload sw aead aes128gmac key env K }",
                EsplineIssueCodes.OFFLOAD_BACKEND_LACKS_ALGORITHM);
    }

    @Test
    void offloadTableSmallerThanItsSas() throws Exception {
        String text = "offload nic0 { type nic sa-table 1 }\n" + gcm("a", "spi 0x1001 offload nic0") + "\n"
                + gcm("b", "spi 0x1002 offload nic0");
        assertIssue(text, EsplineIssueCodes.OFFLOAD_TABLE_OVERFLOW, Severity.WARNING,
                "offload 'nic0' holds 1 SAs but 2 name it: expected sa-table at least 2; the device refuses the rest and "
                        + "their packets go through software", "offload nic0", "1");
        assertNoIssue("offload nic0 { type nic sa-table 2 }\n" + gcm("a", "spi 0x1001 offload nic0") + "\n"
                + gcm("b", "spi 0x1002 offload nic0"), EsplineIssueCodes.OFFLOAD_TABLE_OVERFLOW);
    }

    // ------------------------------------------------------------------ addresses and IP versions

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "999.1.1.1/99      | octet 999 is above 255",
        "10.0.0.0/33       | prefix length 33 is above 32",
        "1::2::3           | '::' may appear only once",
        "2001:db8::/129    | prefix length 129 is above 128",
        "1:2:3:4:5:6:7     | expected 8 groups, found 7",
        "1:2:3:4:5:6:7::8  | '::' stands for no group: 8 groups beside it",
        "2001:db8::12345   | group '12345' is not 1 to 4 hex digits",
        "::ffff:1.2.3.256  | octet 256 is above 255",
    })
    void malformedPolicyPrefix(String prefix, String reason) throws Exception {
        String text = "policy p { src " + prefix + " dst any bypass }";
        assertIssue(text, EsplineIssueCodes.ADDRESS_MALFORMED, Severity.ERROR,
                "malformed address '" + prefix + "': " + reason, "src", prefix);
    }

    @ParameterizedTest
    @CsvSource({"10.0.0.0/8", "0.0.0.0/0", "::/0", "2001:db8::/32", "::ffff:192.0.2.128", "fe80::1", "::",
        "2001:DB8:0:0:8:800:200C:417A", "1:2:3:4:5:6::7"})
    void wellFormedPolicyPrefix(String prefix) throws Exception {
        assertNoIssue("policy p { src " + prefix + " dst any bypass }", EsplineIssueCodes.ADDRESS_MALFORMED);
    }

    @Test
    void tunnelEndpointIsAnAddressWithoutPrefixLength() throws Exception {
        assertIssue("sa a { spi 0x1001 mode tunnel src 192.0.2.1/24 dst 198.51.100.1 aead aes128gcm16 key env K }",
                EsplineIssueCodes.ADDRESS_MALFORMED, Severity.ERROR,
                "malformed address '192.0.2.1/24': expected an address without prefix length", "src", "192.0.2.1/24");
        assertIssue("sa a { spi 0x1001 mode tunnel src 192.0.2.1 dst 198.51.100.300 aead aes128gcm16 key env K }",
                EsplineIssueCodes.ADDRESS_MALFORMED, Severity.ERROR,
                "malformed address '198.51.100.300': octet 300 is above 255", "dst", "198.51.100.300");
        assertNoIssue(gcm("a", "spi 0x1001"), EsplineIssueCodes.ADDRESS_MALFORMED);
    }

    @Test
    void udpPortAddress() throws Exception {
        assertIssue("pipeline p rx { from udp 1::2::3 port 4500 to link lan }", EsplineIssueCodes.ADDRESS_MALFORMED,
                Severity.ERROR, "malformed address '1::2::3': '::' may appear only once", "udp", "1::2::3");
        assertNoIssue("pipeline p rx { from udp 2001:db8::1 port 4500 to link lan }", EsplineIssueCodes.ADDRESS_MALFORMED);
    }

    @Test
    void tunnelEndpointsOfDifferentIpVersions() throws Exception {
        assertIssue("sa a { spi 0x1001 mode tunnel src 192.0.2.1 dst 2001:db8::1 aead aes128gcm16 key env K }",
                EsplineIssueCodes.IP_VERSION_MISMATCH, Severity.ERROR,
                "tunnel src 192.0.2.1 is IPv4 but dst 2001:db8::1 is IPv6: expected one IP version", "dst", "2001:db8::1");
        assertNoIssue("sa a { spi 0x1001 mode tunnel src 2001:db8::2 dst 2001:db8::1 aead aes128gcm16 key env K }",
                EsplineIssueCodes.IP_VERSION_MISMATCH);
    }

    @Test
    void policyPrefixesOfDifferentIpVersions() throws Exception {
        assertIssue("policy p { src 10.1.0.0/16 dst 2001:db8::/32 discard }", EsplineIssueCodes.IP_VERSION_MISMATCH,
                Severity.ERROR, "policy src 10.1.0.0/16 is IPv4 but dst 2001:db8::/32 is IPv6: expected one IP version",
                "dst", "2001:db8::/32");
        assertNoIssue("policy p { src 10.1.0.0/16 dst any discard }", EsplineIssueCodes.IP_VERSION_MISMATCH);
        assertNoIssue("policy p { src ::/0 dst 2001:db8::/32 discard }", EsplineIssueCodes.IP_VERSION_MISMATCH);
    }

    @Test
    void udpEncapsulationOverIpv6() throws Exception {
        assertIssue("sa a { spi 0x1001 mode tunnel src 2001:db8::1 dst 2001:db8::2 encap udp 4500 4500 "
                + "aead aes128gcm16 key env K }", EsplineIssueCodes.ENCAP_NOT_IPV4, Severity.ERROR,
                "encap udp (RFC 3948) is defined for IPv4 only but the tunnel to 2001:db8::2 is IPv6: expected IPv4 "
                        + "endpoints or no encap", "sa a", "encap udp 4500 4500");
        assertNoIssue(gcm("a", "spi 0x1001 encap udp 4500 4500"), EsplineIssueCodes.ENCAP_NOT_IPV4);
        assertNoIssue("sa a { spi 0x1001 mode tunnel src 2001:db8::1 dst 2001:db8::2 aead aes128gcm16 key env K }",
                EsplineIssueCodes.ENCAP_NOT_IPV4);
    }

    // ------------------------------------------------------------------ policies

    @Test
    void policyShadowedByAnEarlierBroaderOne() throws Exception {
        String text = """
                policy all { src any dst any discard }
                policy web { dir out src 10.1.0.0/16 dst 10.2.0.0/16 proto tcp dport 443 bypass }
                """;
        assertIssue(text, EsplineIssueCodes.POLICY_SHADOWED, Severity.WARNING,
                "policy 'web' is shadowed by the earlier policy 'all', which matches all its packets: expected a narrower "
                        + "earlier policy or this one first", "policy", "web");
    }

    @Test
    void policyShadowedByContainingPrefixesAndPorts() throws Exception {
        String text = """
                policy lan { dir out src 10.0.0.0/8 dst 10.2.0.0/16 proto tcp dport 1-1024 bypass }
                policy web { dir out src 10.1.0.0/16 dst 10.2.3.0/24 proto tcp dport 443 bypass }
                """;
        assertIssue(text, EsplineIssueCodes.POLICY_SHADOWED, Severity.WARNING,
                "policy 'web' is shadowed by the earlier policy 'lan', which matches all its packets: expected a narrower "
                        + "earlier policy or this one first", "policy", "web");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // narrower first, then broader
        "policy a { src 10.1.0.0/16 dst any discard } | policy b { src 10.0.0.0/8 dst any discard }",
        // another protocol
        "policy a { src any dst any proto udp discard } | policy b { src any dst any proto tcp discard }",
        // a port outside the earlier range
        "policy a { src any dst any proto tcp dport 1-1024 discard } | policy b { src any dst any proto tcp dport 8080 discard }",
        // the earlier one has a port range, the later one takes every port
        "policy a { src any dst any dport 443 discard } | policy b { src any dst any discard }",
        // another direction
        "policy a { dir in src any dst any discard } | policy b { dir out src any dst any discard }",
        // another IP version
        "policy a { src 0.0.0.0/0 dst 0.0.0.0/0 discard } | policy b { src ::/0 dst ::/0 discard }",
    })
    void policyNotShadowed(String first, String second) throws Exception {
        assertNoIssue(first + "\n" + second, EsplineIssueCodes.POLICY_SHADOWED);
    }

    @Test
    void inboundPolicyProtectsWithAnInboundSaNotAnOutboundOne() throws Exception {
        String text = gcm("a_to_b", "spi 0x1001 dir out") + "policy p { dir in src any dst any protect a_to_b }";
        assertIssue(text, EsplineIssueCodes.PROTECT_DIRECTION, Severity.ERROR,
                "policy 'p' (dir in) protects with SA 'a_to_b', which is outbound (dir out): expected an inbound SA",
                "protect", "a_to_b");
        assertNoIssue(gcm("b_to_a", "spi 0x2001 dir in") + "policy p { dir in src any dst any protect b_to_a }",
                EsplineIssueCodes.PROTECT_DIRECTION);
    }

    @Test
    void protectWithAnInboundSa() throws Exception {
        String text = gcm("b_to_a", "spi 0x2001 dir in") + "policy p { src any dst any protect b_to_a }";
        assertIssue(text, EsplineIssueCodes.PROTECT_DIRECTION, Severity.ERROR,
                "policy 'p' protects with SA 'b_to_a', which is inbound (dir in): expected an outbound SA", "protect",
                "b_to_a");
        assertNoIssue(gcm("a_to_b", "spi 0x1001 dir out") + "policy p { src any dst any protect a_to_b }",
                EsplineIssueCodes.PROTECT_DIRECTION);
        assertNoIssue(gcm("a_to_b", "spi 0x1001") + "policy p { src any dst any protect a_to_b }",
                EsplineIssueCodes.PROTECT_DIRECTION);
    }

    // ------------------------------------------------------------------ buffers: headroom, tailroom, GSO and MTU

    @Test
    void headroomBelowTheOuterOverheadOfAesGcmOverNatT() throws Exception {
        String text = gcm("a_to_b", "spi 0x1001 encap udp 4500 4500") + buffersAndPipeline("headroom 32 tailroom 64");
        assertIssue(text, EsplineIssueCodes.HEADROOM_TOO_SMALL, Severity.ERROR,
                "headroom 32 is too small for SA 'a_to_b': needs 44 (IPv4 20 + UDP 8 + ESP 8 + IV 8)", "pipeline", "wan");
        assertEquals(List.of("44"), List.of(issues(text, EsplineIssueCodes.HEADROOM_TOO_SMALL).get(0).getData()));
        assertNoIssue(gcm("a_to_b", "spi 0x1001 encap udp 4500 4500") + buffersAndPipeline("headroom 44 tailroom 64"),
                EsplineIssueCodes.HEADROOM_TOO_SMALL);
    }

    @Test
    void headroomOfCbcOverIpv6AndOfTransportMode() throws Exception {
        String ipv6 = "sa v6 { spi 0x1001 mode tunnel src 2001:db8::1 dst 2001:db8::2 enc aes128 key env E "
                + "auth sha256 key env A }\n";
        assertIssue(ipv6 + buffersAndPipeline("headroom 63 tailroom 64"), EsplineIssueCodes.HEADROOM_TOO_SMALL,
                Severity.ERROR, "headroom 63 is too small for SA 'v6': needs 64 (IPv6 40 + ESP 8 + IV 16)", "pipeline", "wan");
        String transport = "sa host { spi 0x1001 mode transport aead aes256gcm16 key env K }\n";
        assertIssue(transport + buffersAndPipeline("headroom 8 tailroom 64"), EsplineIssueCodes.HEADROOM_TOO_SMALL,
                Severity.ERROR, "headroom 8 is too small for SA 'host': needs 16 (ESP 8 + IV 8)", "pipeline", "wan");
        String nullCipher = "sa plain { spi 0x1001 mode transport enc null auth sha256 key env A }\n";
        assertIssue(nullCipher + buffersAndPipeline("headroom 4 tailroom 64"), EsplineIssueCodes.HEADROOM_TOO_SMALL,
                Severity.ERROR, "headroom 4 is too small for SA 'plain': needs 8 (ESP 8)", "pipeline", "wan");
    }

    @Test
    void headroomCountsTheSasThePoliciesProtectWithElseEveryOutboundSa() throws Exception {
        String sas = gcm("gcm", "spi 0x1001")
                + "sa cbc { spi 0x1002 " + TUNNEL + " enc aes128 key env E auth sha256 key env A }\n"
                + "sa inbound { spi 0x1003 dir in mode tunnel src 2001:db8::1 dst 2001:db8::2 enc aes128 key env E "
                + "auth sha256 key env A }\n";
        String buffers = buffersAndPipeline("headroom 36 tailroom 64");
        // Only 'gcm' is protected with: 20 + 8 + 8 = 36 fits, though 'cbc' would need 44.
        assertNoIssue(sas + "policy p { src any dst any protect gcm }\n" + buffers, EsplineIssueCodes.HEADROOM_TOO_SMALL);
        // Without policies every SA not written 'dir in' counts: 'cbc' needs 44; 'inbound' (64) does not count.
        assertIssue(sas + buffers, EsplineIssueCodes.HEADROOM_TOO_SMALL, Severity.ERROR,
                "headroom 36 is too small for SA 'cbc': needs 44 (IPv4 20 + ESP 8 + IV 16)", "pipeline", "wan");
        assertNoIssue(sas + buffersAndPipeline("headroom 44 tailroom 64"), EsplineIssueCodes.HEADROOM_TOO_SMALL);
    }

    @Test
    void rxPipelinesAndPipelinesWithoutEncryptionNeedNoHeadroom() throws Exception {
        String sa = gcm("a", "spi 0x1001");
        assertNoIssue(sa + "buffers wan { headroom 0 }\npipeline p rx { buffers wan from link wan decrypt to link lan }",
                EsplineIssueCodes.HEADROOM_TOO_SMALL);
        assertNoIssue(sa + "buffers wan { headroom 0 }\npipeline p tx { buffers wan from link lan to link wan }",
                EsplineIssueCodes.HEADROOM_TOO_SMALL);
    }

    @Test
    void tailroomBelowTheTrailer() throws Exception {
        String cbc = "sa b_to_a { spi 0x1001 " + TUNNEL + " enc aes128 key env E auth sha256 key env A }\n";
        String text = cbc + buffersAndPipeline("headroom 128 tailroom 32");
        assertIssue(text, EsplineIssueCodes.TAILROOM_TOO_SMALL, Severity.ERROR,
                "tailroom 32 is too small for SA 'b_to_a': needs 33 (padding 15 + trailer 2 + ICV 16) or "
                        + "reserve-trailer-slot with fragments 1 or more", "pipeline", "wan");
        assertEquals(List.of("33"), List.of(issues(text, EsplineIssueCodes.TAILROOM_TOO_SMALL).get(0).getData()));
        assertNoIssue(cbc + buffersAndPipeline("headroom 128 tailroom 33"), EsplineIssueCodes.TAILROOM_TOO_SMALL);
        assertNoIssue(cbc + buffersAndPipeline("headroom 128 reserve-trailer-slot fragments 1"),
                EsplineIssueCodes.TAILROOM_TOO_SMALL);
        // A reserved slot needs a fragment to be in.
        assertIssue(cbc + buffersAndPipeline("headroom 128 reserve-trailer-slot"), EsplineIssueCodes.TAILROOM_TOO_SMALL,
                Severity.ERROR, "tailroom 0 is too small for SA 'b_to_a': needs 33 (padding 15 + trailer 2 + ICV 16) or "
                        + "reserve-trailer-slot with fragments 1 or more", "pipeline", "wan");
    }

    @Test
    void tailroomOfAeadWithA12ByteIcv() throws Exception {
        String sa = "sa a { spi 0x1001 " + TUNNEL + " aead aes128gcm12 key env K }\n";
        assertIssue(sa + buffersAndPipeline("headroom 128 tailroom 16"), EsplineIssueCodes.TAILROOM_TOO_SMALL,
                Severity.ERROR, "tailroom 16 is too small for SA 'a': needs 17 (padding 3 + trailer 2 + ICV 12) or "
                        + "reserve-trailer-slot with fragments 1 or more", "pipeline", "wan");
    }

    @Test
    void gsoSegmentAboveTheMtu() throws Exception {
        // ESP-in-UDP with AES-GCM-16 adds 44 in front and at most 21 behind: 1400 + 40 + 65 = 1505.
        String sa = gcm("a_to_b", "spi 0x1001 encap udp 4500 4500");
        String text = sa + gsoPipeline("mtu 1500", 1400);
        assertIssue(text, EsplineIssueCodes.GSO_EXCEEDS_MTU, Severity.ERROR,
                "gso mss 1400 does not fit mtu 1500 with SA 'a_to_b': 1400 + inner IP 20 + TCP 20 + ESP 65 = 1505, "
                        + "expected mss 1395 or less", "mss", "1400");
        assertEquals(List.of("1395"), List.of(issues(text, EsplineIssueCodes.GSO_EXCEEDS_MTU).get(0).getData()));
        assertNoIssue(sa + gsoPipeline("mtu 1500", 1395), EsplineIssueCodes.GSO_EXCEEDS_MTU);
    }

    @Test
    void gsoUsesMtu1500WhenAbsentAndIpv6InnerHeadersFromThePolicy() throws Exception {
        String sa = gcm("a_to_b", "spi 0x1001");
        // 1500 - 40 - (36 + 21) = 1403
        assertIssue(sa + gsoPipeline("", 1404), EsplineIssueCodes.GSO_EXCEEDS_MTU, Severity.ERROR,
                "gso mss 1404 does not fit mtu 1500 with SA 'a_to_b': 1404 + inner IP 20 + TCP 20 + ESP 57 = 1501, "
                        + "expected mss 1403 or less", "mss", "1404");
        String ipv6Policy = "policy p { src 2001:db8:1::/48 dst 2001:db8:2::/48 protect a_to_b }\n";
        assertIssue(sa + ipv6Policy + gsoPipeline("mtu 9000", 8900), EsplineIssueCodes.GSO_EXCEEDS_MTU, Severity.ERROR,
                "gso mss 8900 does not fit mtu 9000 with SA 'a_to_b': 8900 + inner IP 40 + TCP 20 + ESP 57 = 9017, "
                        + "expected mss 8883 or less", "mss", "8900");
        assertNoIssue(sa + ipv6Policy + gsoPipeline("mtu 9000", 8883), EsplineIssueCodes.GSO_EXCEEDS_MTU);
    }

    // ------------------------------------------------------------------ references and imports

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "policy p { src any dst any protect nowhere }                        | SecurityAssociation 'nowhere'",
        "pipeline p tx { from link a encrypt engine fast to link b }         | Engine 'fast'",
        "pipeline p tx { from link a encrypt offload nic9 to link b }        | Offload 'nic9'",
        "pipeline p tx { buffers big from link a to link b }                 | Buffers 'big'",
        "sa a { spi 0x1001 offload qat }                                     | Offload 'qat'",
        "offload o { fallback gone }                                         | Offload 'gone'",
    })
    void unresolvedReferenceNamesTheMissingElement(String text, String what) throws Exception {
        Model model = parseHelper.parse(text);
        List<Issue> linking = validationHelper.validate(model).stream()
                .filter(issue -> issue.getMessage().startsWith("Couldn't resolve"))
                .collect(Collectors.toList());
        assertEquals(1, linking.size(), linking::toString);
        assertEquals(Severity.ERROR, linking.get(0).getSeverity());
        assertEquals("Couldn't resolve reference to " + what + ".", linking.get(0).getMessage());
        String name = what.substring(what.indexOf('\'') + 1, what.length() - 1);
        assertEquals(text.indexOf(name), linking.get(0).getOffset());
        assertEquals(name.length(), linking.get(0).getLength());
    }

    @Test
    void missingImportNamesTheFile(@TempDir Path folder) throws Exception {
        String text = "import \"shared/missing.espl\"";
        Model model = parseHelper.parse(text, URI.createFileURI(folder.resolve("gw.espl").toString()), resourceSets.get());
        List<Issue> issues = validationHelper.validate(model);
        assertEquals(1, issues.size(), issues::toString);
        Issue issue = issues.get(0);
        assertEquals(EsplineIssueCodes.IMPORT_MISSING, issue.getCode());
        assertEquals(Severity.ERROR, issue.getSeverity());
        assertEquals("imported file 'shared/missing.espl' not found: expected a model at "
                + URI.createFileURI(folder.resolve("shared/missing.espl").toString()), issue.getMessage());
        assertEquals(text.indexOf('"'), issue.getOffset());
        assertEquals("\"shared/missing.espl\"".length(), issue.getLength());

        Files.createDirectories(folder.resolve("shared"));
        Files.writeString(folder.resolve("shared/missing.espl"), "");
        Model twin = parseHelper.parse(text, URI.createFileURI(folder.resolve("gw.espl").toString()), resourceSets.get());
        assertNoIssue(twin, EsplineIssueCodes.IMPORT_MISSING);
    }

    // ------------------------------------------------------------------ helpers

    /** An SA named {@code name} in tunnel mode with an AES-GCM key reference, plus {@code more}. */
    private static String gcm(String name, String more) {
        return "sa " + name + " { " + more + " " + TUNNEL + " aead aes128gcm16 key env K }\n";
    }

    /** An SA with spi and tunnel mode and the algorithm {@code algorithm}. */
    private static String sa(String name, String algorithm) {
        return "sa " + name + " {\n\tspi 0x1001\n\t" + TUNNEL + "\n\t" + algorithm + "\n}\n";
    }

    private static String cbc(String cipher, String cipherKey, String integrity, String integrityKey) {
        return sa("a", "enc " + cipher + " key " + cipherKey + " auth " + integrity + " key " + integrityKey);
    }

    /** Buffers 'wan' with {@code properties}, used by a tx pipeline that encrypts. */
    private static String buffersAndPipeline(String properties) {
        return "buffers wan { " + properties + " }\n"
                + "pipeline egress tx { buffers wan from link lan classify encrypt to link wan }\n";
    }

    private static String gsoPipeline(String mtu, int mss) {
        return "buffers wan { headroom 128 tailroom 64 " + mtu + " }\n"
                + "pipeline egress tx { buffers wan from link lan gso mss " + mss + " encrypt to link wan }\n";
    }

    private static String hex(int bytes) {
        StringBuilder hex = new StringBuilder("0x");
        for (int i = 0; i < bytes; i++) {
            hex.append(String.format("%02x", i));
        }
        return hex.toString();
    }

    /**
     * Asserts an issue of {@code code} on exactly the text {@code marked} (its first occurrence after the first {@code after}),
     * with this severity and message, and returns it.
     */
    private Issue assertIssue(String text, String code, Severity severity, String message, String after, String marked)
            throws Exception {
        int offset = text.indexOf(marked, text.indexOf(after) + after.length());
        assertTrue(offset >= 0, () -> "'" + marked + "' not in " + text);
        List<Issue> issues = issues(text, code);
        for (Issue issue : issues) {
            if (issue.getOffset() == offset) {
                assertEquals(marked.length(), issue.getLength(), issue::toString);
                assertEquals(severity, issue.getSeverity(), issue::toString);
                assertEquals(message, issue.getMessage());
                return issue;
            }
        }
        return fail("no " + code + " at offset " + offset + " ('" + marked + "') in\n" + text + "\nbut " + issues);
    }

    private List<Issue> issues(String text, String code) throws Exception {
        Model model = parseHelper.parse(text);
        assertTrue(model.eResource().getErrors().isEmpty(), () -> model.eResource().getErrors().toString());
        return validationHelper.validate(model).stream()
                .filter(issue -> code.equals(issue.getCode()))
                .collect(Collectors.toList());
    }

    private void assertNoIssue(String text, String code) throws Exception {
        List<Issue> issues = issues(text, code);
        assertTrue(issues.isEmpty(), () -> text + "\n" + issues);
    }

    private void assertNoIssue(Model model, String code) {
        List<Issue> issues = validationHelper.validate(model).stream()
                .filter(issue -> code.equals(issue.getCode()))
                .collect(Collectors.toList());
        assertTrue(issues.isEmpty(), issues::toString);
    }
}
