package org.espline.dsl.tests;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.inject.Inject;
import com.google.inject.Provider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.eclipse.emf.common.util.URI;
import org.eclipse.emf.ecore.resource.Resource;
import org.eclipse.xtext.resource.XtextResource;
import org.eclipse.xtext.resource.XtextResourceSet;
import org.eclipse.xtext.testing.InjectWith;
import org.eclipse.xtext.testing.extensions.InjectionExtension;
import org.eclipse.xtext.util.CancelIndicator;
import org.eclipse.xtext.validation.CheckMode;
import org.eclipse.xtext.validation.IResourceValidator;
import org.eclipse.xtext.validation.Issue;
import org.apache.log4j.AppenderSkeleton;
import org.apache.log4j.Level;
import org.apache.log4j.Logger;
import org.apache.log4j.spi.LoggingEvent;
import org.eclipse.xtext.validation.CompositeEValidator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Parser and validator fuzzing: random and mutated models never make an exception escape, and every
 * problem comes back as a diagnostic with a line number — what a user editing a half-written model
 * sees in the editor and on the command line. Deterministic (fixed seeds) so a failure reproduces.
 */
@ExtendWith(InjectionExtension.class)
@InjectWith(EsplineInjectorProvider.class)
class EsplineFuzzTest {
    private static final String[] WORDS = {
        "sa", "policy", "offload", "engine", "buffers", "pipeline", "import", "package", "{", "}", "spi", "dir", "in",
        "out", "mode", "tunnel", "transport", "src", "dst", "encap", "udp", "aead", "enc", "auth", "key", "env", ":",
        "file", "esn", "replay-window", "lifetime", "soft", "hard", "bytes", "packets", "seconds", "protect", "bypass",
        "discard", "proto", "sport", "dport", "-", "gso", "mss", "gro", "tap", "pcap", "tun", "link", "from", "to",
        "classify", "encrypt", "decrypt", "checksum", "headroom", "tailroom", "aes128gcm16", "aes128", "sha256",
        "null", "chacha20poly1305", "0x1001", "0x", "4500", "0", "4294967296", "99999999999999999999999",
        "192.0.2.1", "10.0.0.0/8", "999.1.1.1/99", "2001:db8::1", "::", "1::2::3", "any", "\"x\"", "\"", "name",
        "a_b", "^sa", "//", "/*", "*/", ".", "port", "rx", "tx", "batch", "workers", "order", "per-sa"};

    @Inject
    private Provider<XtextResourceSet> resourceSets;

    @Inject
    private IResourceValidator validator;

    /**
     * Xtext catches an exception thrown by a @Check method and only logs it, so the model silently
     * loses that check: count such log events as failures.
     */
    private final List<String> validatorErrors = new ArrayList<>();
    private final AppenderSkeleton validatorErrorLog = new AppenderSkeleton() {
        @Override
        protected void append(LoggingEvent event) {
            if (event.getLevel().isGreaterOrEqual(Level.ERROR)) {
                validatorErrors.add(event.getRenderedMessage() + (event.getThrowableInformation() != null
                        ? ": " + event.getThrowableInformation().getThrowable() : ""));
            }
        }

        @Override
        public void close() {
        }

        @Override
        public boolean requiresLayout() {
            return false;
        }
    };

    @BeforeEach
    void watchValidatorErrors() {
        Logger.getLogger(CompositeEValidator.class).addAppender(validatorErrorLog);
    }

    @AfterEach
    void stopWatching() {
        Logger.getLogger(CompositeEValidator.class).removeAppender(validatorErrorLog);
    }

    @Test
    void randomTokenSoupNeverThrows() {
        Random r = new Random(4303);
        for (int i = 0; i < 600; i++) {
            StringBuilder sb = new StringBuilder();
            int n = r.nextInt(60);
            for (int j = 0; j < n; j++) {
                sb.append(WORDS[r.nextInt(WORDS.length)]).append(r.nextInt(5) == 0 ? "\n" : " ");
            }
            check("soup-" + i, sb.toString());
        }
    }

    @Test
    void mutatedExampleModelsNeverThrow() throws IOException {
        Random r = new Random(8221);
        List<String> examples = exampleModels();
        assertTrue(examples.size() >= 4, "example models found: " + examples.size());
        for (int i = 0; i < 1200; i++) {
            String base = examples.get(r.nextInt(examples.size()));
            check("mutant-" + i, mutate(base, r));
        }
    }

    private static String mutate(String text, Random r) {
        StringBuilder sb = new StringBuilder(text);
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits && sb.length() > 0; e++) {
            int at = r.nextInt(sb.length());
            switch (r.nextInt(5)) {
                case 0: // delete a span
                    sb.delete(at, Math.min(sb.length(), at + 1 + r.nextInt(40)));
                    break;
                case 1: // insert a word
                    sb.insert(at, " " + WORDS[r.nextInt(WORDS.length)] + " ");
                    break;
                case 2: // duplicate a span
                    int end = Math.min(sb.length(), at + 1 + r.nextInt(80));
                    sb.insert(end, sb.substring(at, end));
                    break;
                case 3: // flip a character to a random printable one
                    sb.setCharAt(at, (char) (32 + r.nextInt(95)));
                    break;
                default: // truncate
                    sb.setLength(at);
                    break;
            }
        }
        return sb.toString();
    }

    private void check(String name, String text) {
        XtextResourceSet set = resourceSets.get();
        Resource resource = set.createResource(URI.createURI("fuzz/" + name + ".espl"));
        try {
            resource.load(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), Map.of());
            List<Issue> issues = validator.validate(resource, CheckMode.ALL, CancelIndicator.NullImpl);
            for (Issue issue : issues) {
                assertNotNull(issue.getMessage(), name + ": issue without a message");
                assertNotNull(issue.getLineNumber(), name + ": issue without a line: " + issue);
            }
            assertTrue(resource instanceof XtextResource);
            if (!validatorErrors.isEmpty()) {
                fail(name + ": a validator threw: " + validatorErrors.get(0) + " for input:\n" + text);
            }
        } catch (IOException | RuntimeException | StackOverflowError e) {
            fail(name + ": " + e + " for input:\n" + text, e);
        }
    }

    private static List<String> exampleModels() throws IOException {
        Path dir = Path.of(System.getProperty("espline.models.dir", "../../examples/models"));
        try (Stream<Path> files = Files.list(dir)) {
            List<String> texts = new ArrayList<>();
            for (Path p : files.filter(p -> p.toString().endsWith(".espl")).sorted().collect(Collectors.toList())) {
                texts.add(Files.readString(p));
            }
            return texts;
        }
    }
}
