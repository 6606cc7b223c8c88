package org.espline.dsl.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.inject.Inject;
import com.google.inject.Provider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.eclipse.emf.common.util.URI;
import org.eclipse.emf.ecore.resource.Resource;
import org.eclipse.emf.ecore.util.EcoreUtil;
import org.eclipse.xtext.diagnostics.Severity;
import org.eclipse.xtext.resource.SaveOptions;
import org.eclipse.xtext.resource.XtextResourceSet;
import org.eclipse.xtext.serializer.ISerializer;
import org.eclipse.xtext.testing.InjectWith;
import org.eclipse.xtext.testing.extensions.InjectionExtension;
import org.eclipse.xtext.testing.validation.ValidationTestHelper;
import org.eclipse.xtext.validation.Issue;
import org.espline.dsl.espline.AeadAlgorithm;
import org.espline.dsl.espline.AeadName;
import org.espline.dsl.espline.CipherName;
import org.espline.dsl.espline.EnvironmentKey;
import org.espline.dsl.espline.EsplineFactory;
import org.espline.dsl.espline.IntegrityName;
import org.espline.dsl.espline.Model;
import org.espline.dsl.espline.OffloadKind;
import org.espline.dsl.espline.Ordering;
import org.espline.dsl.espline.Policy;
import org.espline.dsl.espline.ProtectAction;
import org.espline.dsl.espline.Protocol;
import org.espline.dsl.espline.SecurityAssociation;
import org.espline.dsl.espline.TunnelMode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serializer writes back what the parser reads: for every example model and for hand-written models that together
 * use every grammar rule and every enum literal, parse, serialize, parse the text again, and the two models are
 * {@link EcoreUtil#equals equal} (cross-references resolved, so compared as the elements they name); serializing the
 * reparsed model gives the same text again. Each model is serialized three ways: as parsed (the serializer keeps the
 * node model's text), formatted, and as a copy without a node model (the semantic sequencer alone decides the text).
 */
@ExtendWith(InjectionExtension.class)
@InjectWith(EsplineInjectorProvider.class)
class EsplineSerializerTest {

    private static final String GCM_KEY = "0x0123456789abcdef0123456789abcdef01234567";
    private static final String AES128_KEY = "0x00112233445566778899aabbccddeeff";
    private static final String SHA256_KEY = "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    /** Hand-written models: between them every rule of Espline.xtext and every literal of its enums. */
    private static final Map<String, String> MODELS = Map.ofEntries(
            Map.entry("empty", ""),
            Map.entry("comments-only", "// nothing yet\n/* still nothing */\n"),
            Map.entry("package", "package org.example.site2site"),
            Map.entry("import", "package gw\nimport \"shared.espl\"\npolicy p { src any dst any protect shared_sa }\n"
                    + "pipeline e tx { buffers shared_buffers from link lan encrypt engine shared_engine"
                    + " decrypt offload shared_offload to link wan }"),
            Map.entry("sa-every-property", """
                    offload nic0 { type nic }
                    sa a_to_b {
                        spi 0x00001001
                        dir out
                        mode tunnel src 192.0.2.1 dst 198.51.100.1
                        encap udp 4500 4501
                        aead aes128gcm16 key %s
                        esn
                        replay-window 1024
                        replay-seq 7
                        replay-oseq 0x10
                        lifetime soft 1000000 packets hard 2000000 packets
                        offload nic0
                        gro off
                        tfc-pad 64
                    }
                    """.formatted(GCM_KEY)),
            Map.entry("sa-any-order", """
                    sa b_to_a {
                        gro on
                        replay-window 64
                        enc aes128 key %s auth sha256 key %s
                        dir in
                        mode transport
                        spi 4097
                    }
                    """.formatted(AES128_KEY, SHA256_KEY)),
            Map.entry("sa-empty", "sa x { }"),
            Map.entry("sa-ipv6-tunnel", "sa x { mode tunnel src 2001:db8::1 dst fe80::1 }"),
            Map.entry("sa-keys", """
                    sa cbc_only { enc aes192 key %s }
                    sa null_enc { enc null auth sha1 key %s }
                    sa env_colon { aead aes256gcm16 key env:GW_KEY }
                    sa env_space { aead chacha20poly1305 key env GW_KEY }
                    sa file_colon { enc aes256 key file:"/etc/espline/a.key" auth sha512 key env AUTH }
                    sa file_space { enc aes128 key file "b.key" auth sha384 key file:"c.key" }
                    sa default_integrity { enc aes128 key env K auth sha1 key env A }
                    """.formatted(AES128_KEY + "0011223344556677", SHA256_KEY)),
            Map.entry("sa-lifetimes", """
                    sa every_unit { lifetime soft 3000000000 bytes 1000000 packets 3300 seconds
                                             hard 4000000000 bytes 0x2000000 packets 3600 seconds }
                    sa hard_only { lifetime hard 3600 seconds }
                    sa soft_only { lifetime soft 100 bytes }
                    sa no_limits { lifetime }
                    """),
            Map.entry("aead-names", Arrays.stream(AeadName.values())
                    .map(name -> "sa s_" + name.getLiteral() + " { aead " + name.getLiteral() + " key env K }")
                    .collect(Collectors.joining("\n"))),
            Map.entry("policy-every-selector", """
                    sa a_to_b { dir out }
                    policy web {
                        dir out
                        src 10.1.0.0/16 dst 10.2.0.0/16
                        proto tcp
                        sport 1024-65535
                        dport 443
                        protect a_to_b
                    }
                    """),
            Map.entry("policy-actions", """
                    policy ike { src any dst any proto udp dport 500 bypass }
                    policy rest { dir in src ::/0 dst 2001:db8::/32 discard }
                    policy v4 { src 0.0.0.0/0 dst 192.0.2.7 sport 7 discard }
                    """),
            Map.entry("policy-protocols", Arrays.stream(Protocol.values())
                    .map(p -> "policy p_" + p.getLiteral() + " { src any dst any proto " + p.getLiteral() + " bypass }")
                    .collect(Collectors.joining("\n"))),
            Map.entry("offload-every-property", """
                    offload jca { type software }
                    offload qat0 {
                        type lookaside
                        tso
                        algorithms aes128gcm16 aes256gcm16 aes128 null chacha20poly1305 sha256
                        sa-table 4096
                        fallback jca
                        latency-us 20
                        workers 4
                        ring 512
                    }
                    """),
            Map.entry("offload-every-algorithm-and-kind", Stream.concat(
                    Stream.of("offload every { algorithms " + Stream.of(
                                    Arrays.stream(AeadName.values()).map(AeadName::getLiteral),
                                    Arrays.stream(CipherName.values()).map(CipherName::getLiteral),
                                    Arrays.stream(IntegrityName.values()).map(IntegrityName::getLiteral))
                            .flatMap(Function.identity()).collect(Collectors.joining(" ")) + " }"),
                    Arrays.stream(OffloadKind.values())
                            .map(kind -> "offload o_" + kind.getLiteral() + " { type " + kind.getLiteral() + " }"))
                    .collect(Collectors.joining("\n"))),
            Map.entry("engines", Stream.concat(Stream.of("engine here { inline }", "engine bare { }"),
                    Arrays.stream(Ordering.values()).map(o -> "engine e_" + o.name().toLowerCase()
                            + " { order " + o.getLiteral() + " queue 1024 workers 3 }"))
                    .collect(Collectors.joining("\n"))),
            Map.entry("buffers", """
                    buffers wan { headroom 128 tailroom 64 mtu 1500 fragments 17 reserve-trailer-slot pool 4096 }
                    buffers ^pool { pool 1 }
                    """),
            Map.entry("pipeline-tx-every-stage", """
                    buffers wan { headroom 128 }
                    engine crypto { workers 2 }
                    offload nic0 { type nic tso }
                    pipeline egress tx {
                        buffers wan
                        batch 32
                        from tun "esp0"
                        classify
                        gso mss 1360
                        checksum
                        encrypt engine crypto
                        encrypt offload nic0
                        encrypt
                        tap pcap "out-esp.pcap"
                        to udp 192.0.2.1 port 4500
                    }
                    """),
            Map.entry("pipeline-rx-every-stage", """
                    engine crypto { workers 2 }
                    offload nic0 { type nic }
                    pipeline ingress rx {
                        from udp 2001:db8::1 port 4500
                        decrypt
                        decrypt engine crypto
                        decrypt offload nic0
                        gro max-size 65535 max-segments 64 flush-us 50
                        gro flush-us 10 max-size 32768
                        gro
                        checksum
                        tap pcap "in-clear.pcap"
                        to pcap "in.pcap"
                    }
                    """),
            Map.entry("pipeline-links", """
                    pipeline egress tx { from link lan encrypt to link wan }
                    pipeline ingress rx { from link wan decrypt to link lan }
                    pipeline copy rx { from pcap "in.pcap" to pcap "out.pcap" }
                    """),
            Map.entry("escaped-names", "engine ^pool { inline }\nengine ^rx { inline }\n"
                    + "pipeline p tx { from link ^in encrypt engine ^pool to link ^soft }"));

    /** Imported by the "import" model. */
    private static final String SHARED = """
            sa shared_sa { spi 0x1001 }
            engine shared_engine { inline }
            offload shared_offload { type nic }
            buffers shared_buffers { mtu 1500 }
            """;

    @Inject
    private Provider<XtextResourceSet> resourceSets;

    @Inject
    private ISerializer serializer;

    @Inject
    private ValidationTestHelper validationHelper;

    @TempDir
    Path folder;

    @TestFactory
    Stream<DynamicTest> everyExampleModelRoundTrips() throws IOException {
        List<Path> models;
        try (Stream<Path> files = Files.list(modelsFolder())) {
            models = files.filter(file -> file.getFileName().toString().endsWith(".espl")).sorted()
                    .collect(Collectors.toList());
        }
        assertFalse(models.isEmpty(), () -> "no .espl files in " + modelsFolder());
        return models.stream().flatMap(file -> roundTrips(file.getFileName().toString(), () -> {
            // Copied next to their imports, so that 'import "site-to-site.espl"' resolves from the reparsed text too.
            for (Path model : models) {
                Files.copy(model, folder.resolve(model.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            return load(resourceSets.get(), file.getFileName().toString());
        }));
    }

    @TestFactory
    Stream<DynamicTest> everyHandWrittenModelRoundTrips() {
        return MODELS.keySet().stream().sorted().flatMap(name -> roundTrips(name, () -> {
            Files.writeString(folder.resolve("shared.espl"), SHARED);
            Files.writeString(folder.resolve(name + ".espl"), MODELS.get(name));
            return load(resourceSets.get(), name + ".espl");
        }));
    }

    @Test
    void aModelBuiltInCodeSerializesToTextThatParses() throws Exception {
        EsplineFactory factory = EsplineFactory.eINSTANCE;
        SecurityAssociation sa = factory.createSecurityAssociation();
        sa.setName("a_to_b");
        sa.setSpi("0x1001");
        TunnelMode tunnel = factory.createTunnelMode();
        tunnel.setSource("192.0.2.1");
        tunnel.setDestination("198.51.100.1");
        sa.setMode(tunnel);
        AeadAlgorithm aead = factory.createAeadAlgorithm();
        aead.setName(AeadName.AES128GCM16);
        EnvironmentKey key = factory.createEnvironmentKey();
        key.setVariable("A_TO_B_KEY");
        aead.setKey(key);
        sa.setAlgorithm(aead);
        Policy policy = factory.createPolicy();
        policy.setName("to_b");
        policy.setSource("10.1.0.0/16");
        policy.setDestination("any");
        ProtectAction protect = factory.createProtectAction();
        protect.setSa(sa);
        policy.setAction(protect);
        Model model = factory.createModel();
        model.setName("built");
        model.getElements().add(sa);
        model.getElements().add(policy);
        XtextResourceSet resourceSet = resourceSets.get();
        resourceSet.createResource(URI.createFileURI(folder.resolve("built.espl").toString())).getContents().add(model);

        // Without a node model every hidden region is undefined, so even the plain serialization is laid out by
        // EsplineFormatter; 'key env NAME' comes without the optional ':' (the formatter keeps what it is given).
        String expected = """
                package built

                sa a_to_b {
                \tspi 0x1001
                \tmode tunnel src 192.0.2.1 dst 198.51.100.1
                \taead aes128gcm16 key env A_TO_B_KEY
                }

                policy to_b {
                \tsrc 10.1.0.0/16 dst any
                \tprotect a_to_b
                }
                """;
        assertEquals(expected, serializer.serialize(model));
        String formatted = serializer.serialize(model, SaveOptions.newBuilder().format().getOptions());
        assertEquals(expected, formatted);

        Model reparsed = parse(resourceSets.get(), "reparsed.espl", formatted);
        assertEquals(List.of(), validationHelper.validate(reparsed).stream()
                .filter(issue -> issue.getSeverity() == Severity.ERROR).map(Issue::getMessage)
                .collect(Collectors.toList()));
        assertTrue(EcoreUtil.equals(model, reparsed), formatted);
    }

    /**
     * An explicit {@code dir in} survives serialization without a node model: {@code any} is Direction's first
     * (EMF default) literal, so "in" is a set value, not the default. Absent, {@code any} and nothing are the same
     * meaning and all serialize to nothing. Other optional enums ({@code gro on}, {@code type software},
     * {@code order per-sa}, {@code proto any}) still drop their first literal without a node model, which is
     * harmless: absent means the same as that literal for each of them.
     */
    @Test
    void explicitDirectionSurvivesWithoutANodeModel() throws Exception {
        Files.writeString(folder.resolve("inbound.espl"), "policy from_b { dir in src 10.2.0.0/16 dst 10.1.0.0/16 discard }");
        Model parsed = load(resourceSets.get(), "inbound.espl");
        Model copy = EcoreUtil.copy(parsed);
        resourceSets.get().createResource(URI.createFileURI(folder.resolve("copy.espl").toString())).getContents().add(copy);

        assertEquals("policy from_b {\n\tdir in\n\tsrc 10.2.0.0/16 dst 10.1.0.0/16\n\tdiscard\n}\n", serializer.serialize(copy));
        assertEquals("policy from_b { dir in src 10.2.0.0/16 dst 10.1.0.0/16 discard }\n", serializer.serialize(parsed));
    }

    // ------------------------------------------------------------------ helpers

    private interface ModelLoader {
        Model load() throws Exception;
    }

    /** Three round trips of one model: as parsed, formatted, and as a copy that has no node model. */
    private Stream<DynamicTest> roundTrips(String name, ModelLoader loader) {
        return Stream.of(
                DynamicTest.dynamicTest(name + " as parsed", () -> {
                    // An unchanged parsed model serializes to its text, comments and layout included; only a missing
                    // final newline after the last token is added (the empty region at the end is undefined, so the formatter fills it).
                    Model parsed = loader.load();
                    String original = Files.readString(Path.of(parsed.eResource().getURI().toFileString()));
                    assertEquals(original.isEmpty() || original.endsWith("\n") ? original : original + "\n",
                            serializer.serialize(parsed));
                    assertRoundTrip(parsed, SaveOptions.defaultOptions());
                }),
                DynamicTest.dynamicTest(name + " formatted", () -> assertRoundTrip(loader.load(),
                        SaveOptions.newBuilder().format().getOptions())),
                DynamicTest.dynamicTest(name + " without node model", () -> {
                    Model parsed = loader.load();
                    // A copy carries no node model adapters; its resource sits next to the original, so imports resolve.
                    Model copy = EcoreUtil.copy(parsed);
                    parsed.eResource().getResourceSet()
                            .createResource(parsed.eResource().getURI().trimSegments(1).appendSegment("copy.espl"))
                            .getContents().add(copy);
                    assertRoundTrip(copy, SaveOptions.defaultOptions());
                }));
    }

    /**
     * serialize, parse the text in a fresh resource set next to the original, and compare: the models are equal, and
     * serializing the reparsed model in the same way gives the same text (a fixpoint).
     */
    private void assertRoundTrip(Model model, SaveOptions options) {
        String text = serializer.serialize(model, options);
        Model reparsed = parse(resourceSets.get(), "roundtrip.espl", text);
        assertTrue(EcoreUtil.equals(model, reparsed), () -> "not equal after a round trip:\n" + text);
        String again = serializer.serialize(reparsed, options);
        assertEquals(text, again);
    }

    private Model parse(XtextResourceSet resourceSet, String name, String text) {
        try {
            Files.writeString(folder.resolve(name), text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return load(resourceSet, name);
    }

    /** Loads a model and resolves its cross-references, which must all resolve: no syntax or linking errors. */
    private Model load(XtextResourceSet resourceSet, String name) {
        Resource resource = resourceSet.getResource(URI.createFileURI(folder.resolve(name).toString()), true);
        EcoreUtil.resolveAll(resource);
        assertTrue(resource.getErrors().isEmpty(), () -> name + ": " + resource.getErrors() + "\n" + read(name));
        return (Model) resource.getContents().get(0);
    }

    private String read(String name) {
        try {
            return Files.readString(folder.resolve(name));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static Path modelsFolder() {
        return Path.of(System.getProperty("espline.models.dir", "../../examples/models"));
    }
}
