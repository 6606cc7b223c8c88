package org.espline.dsl.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.inject.Inject;
import com.google.inject.Provider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.eclipse.xtext.formatting2.FormatterRequest;
import org.eclipse.xtext.formatting2.IFormatter2;
import org.eclipse.xtext.formatting2.regionaccess.ITextRegionAccess;
import org.eclipse.xtext.formatting2.regionaccess.ITextReplacement;
import org.eclipse.xtext.formatting2.regionaccess.TextRegionAccessBuilder;
import org.eclipse.xtext.resource.XtextResource;
import org.eclipse.xtext.testing.InjectWith;
import org.eclipse.xtext.testing.extensions.InjectionExtension;
import org.eclipse.xtext.testing.formatter.FormatterTestHelper;
import org.eclipse.xtext.testing.util.ParseHelper;
import org.espline.dsl.espline.Model;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;

/** The formatter turns messy models into the layout of the examples, and formatting twice changes nothing. */
@ExtendWith(InjectionExtension.class)
@InjectWith(EsplineInjectorProvider.class)
class EsplineFormatterTest {

    @Inject
    private FormatterTestHelper formatterHelper;

    @Inject
    private ParseHelper<Model> parseHelper;

    @Inject
    private Provider<IFormatter2> formatters;

    @Inject
    private Provider<FormatterRequest> requests;

    @Inject
    private TextRegionAccessBuilder regionAccessBuilder;

    @Test
    void saPropertiesOnePerLineIndentedByATab() throws Exception {
        assertFormatted(
                "sa   a_to_b{spi 0x1001   mode tunnel src 192.0.2.1 dst 198.51.100.1 encap udp 4500 4500"
                        + " enc aes128 key env : CBC_KEY auth sha256 key file \"hmac.key\" esn replay-window 64"
                        + " lifetime soft 1000 packets hard 2000 packets offload card gro off}",
                "sa a_to_b {\n"
                        + "\tspi 0x1001\n"
                        + "\tmode tunnel src 192.0.2.1 dst 198.51.100.1\n"
                        + "\tencap udp 4500 4500\n"
                        + "\tenc aes128 key env:CBC_KEY\n"
                        + "\tauth sha256 key file \"hmac.key\"\n"
                        + "\tesn\n"
                        + "\treplay-window 64\n"
                        + "\tlifetime soft 1000 packets hard 2000 packets\n"
                        + "\toffload card\n"
                        + "\tgro off\n"
                        + "}\n");
    }

    @Test
    void packageImportsAndElementsSeparatedByBlankLines() throws Exception {
        assertFormatted(
                "package  site.gw_a import \"a.espl\"\nimport \"b.espl\" sa a {aead aes128gcm16 key 0x00} sa b {"
                        + "\n\n\n   spi 300 }",
                "package site.gw_a\n"
                        + "\n"
                        + "import \"a.espl\"\n"
                        + "import \"b.espl\"\n"
                        + "\n"
                        + "sa a {\n"
                        + "\taead aes128gcm16 key 0x00\n"
                        + "}\n"
                        + "\n"
                        + "sa b {\n"
                        + "\tspi 300\n"
                        + "}\n");
    }

    @Test
    void policySelectorsOnTheirOwnLines() throws Exception {
        assertFormatted(
                "policy p{dir out src 10.1.0.0/16 dst any proto tcp sport 1024 - 65535 dport 443 protect a}",
                "policy p {\n"
                        + "\tdir out\n"
                        + "\tsrc 10.1.0.0/16 dst any\n"
                        + "\tproto tcp\n"
                        + "\tsport 1024-65535\n"
                        + "\tdport 443\n"
                        + "\tprotect a\n"
                        + "}\n");
    }

    @Test
    void offloadEngineAndBuffersOnePropertyPerLine() throws Exception {
        assertFormatted(
                "offload card{type nic tso algorithms aes128gcm16 aes256gcm16 sha256 sa-table 4096 fallback sw}"
                        + "offload sw{type software}\n"
                        + "engine crypto{workers 2 queue 1024 order per-sa}"
                        + "buffers wan{headroom 128 tailroom 64 mtu 1500 fragments 17 reserve-trailer-slot pool 8192}",
                "offload card {\n"
                        + "\ttype nic\n"
                        + "\ttso\n"
                        + "\talgorithms aes128gcm16 aes256gcm16 sha256\n"
                        + "\tsa-table 4096\n"
                        + "\tfallback sw\n"
                        + "}\n"
                        + "\n"
                        + "offload sw {\n"
                        + "\ttype software\n"
                        + "}\n"
                        + "\n"
                        + "engine crypto {\n"
                        + "\tworkers 2\n"
                        + "\tqueue 1024\n"
                        + "\torder per-sa\n"
                        + "}\n"
                        + "\n"
                        + "buffers wan {\n"
                        + "\theadroom 128\n"
                        + "\ttailroom 64\n"
                        + "\tmtu 1500\n"
                        + "\tfragments 17\n"
                        + "\treserve-trailer-slot\n"
                        + "\tpool 8192\n"
                        + "}\n");
    }

    @Test
    void pipelineStagesOnePerLine() throws Exception {
        assertFormatted(
                "pipeline ingress rx { buffers wan batch 32 from udp 192.0.2.1 port 4500 decrypt engine crypto"
                        + "   gro max-size 65535 max-segments 64 flush-us 50 tap pcap \"in.pcap\" checksum to tun \"esp0\" }",
                "pipeline ingress rx {\n"
                        + "\tbuffers wan\n"
                        + "\tbatch 32\n"
                        + "\tfrom udp 192.0.2.1 port 4500\n"
                        + "\tdecrypt engine crypto\n"
                        + "\tgro max-size 65535 max-segments 64 flush-us 50\n"
                        + "\ttap pcap \"in.pcap\"\n"
                        + "\tchecksum\n"
                        + "\tto tun \"esp0\"\n"
                        + "}\n");
    }

    @Test
    void commentsStay() throws Exception {
        String model = "// shared SAs\n"
                + "sa a { // outbound\n"
                + "\tspi 300 /* reserved below 256 */\n"
                + "}\n";
        assertEquals(model, format(model));
    }

    @Test
    void aModelWithSyntaxErrorsIsLeftAlone() throws Exception {
        String broken = "sa a{spi   }\nengine e{workers 2}";
        XtextResource resource = (XtextResource) parseHelper.parse(broken).eResource();
        ITextRegionAccess regions = regionAccessBuilder.forNodeModel(resource).create();
        FormatterRequest request = requests.get();
        request.setTextRegionAccess(regions);
        assertEquals(List.of(), formatters.get().format(request));
    }

    /** format(format(x)) == format(x) for every model in examples/models. */
    @TestFactory
    Stream<DynamicTest> formattingTheExamplesIsIdempotent() throws IOException {
        List<Path> models = exampleModels();
        assertFalse(models.isEmpty(), () -> "no .espl files in " + modelsFolder());
        return models.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            String once = format(text);
            assertEquals(once, format(once));
        }));
    }

    private void assertFormatted(String messy, String expected) throws Exception {
        formatterHelper.assertFormatted(request -> {
            request.setToBeFormatted(messy);
            request.setExpectation(expected);
        });
        assertEquals(expected, format(expected), "formatting the formatted text changes it");
    }

    /** The text of {@code model} after the formatter's replacements (node-model based, as in an editor). */
    private String format(String model) throws Exception {
        XtextResource resource = (XtextResource) parseHelper.parse(model).eResource();
        assertEquals(List.of(), resource.getErrors(), "syntax errors");
        ITextRegionAccess regions = regionAccessBuilder.forNodeModel(resource).create();
        FormatterRequest request = requests.get();
        request.setTextRegionAccess(regions);
        List<ITextReplacement> replacements = formatters.get().format(request);
        return regions.getRewriter().renderToString(replacements);
    }

    private static List<Path> exampleModels() throws IOException {
        try (Stream<Path> files = Files.list(modelsFolder())) {
            return files.filter(file -> file.getFileName().toString().endsWith(".espl")).sorted().collect(Collectors.toList());
        }
    }

    private static Path modelsFolder() {
        return Path.of(System.getProperty("espline.models.dir", "../../examples/models"));
    }
}
