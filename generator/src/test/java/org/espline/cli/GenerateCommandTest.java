package org.espline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code espline generate}: files written and listed; a model with errors gives file:line:col and exit 1, no files. */
class GenerateCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void writesAndListsTheGeneratedFiles(@TempDir Path dir) {
        assertEquals(0, run("generate", "../examples/models/site-to-site-gw-a.espl", "-o", dir.toString()), err.toString());
        Path sas = dir.resolve("site_to_site/gw_a/GwASecurityAssociations.java");
        assertTrue(Files.isRegularFile(sas));
        assertTrue(Files.isRegularFile(dir.resolve("site_to_site/gw_a/EgressPipeline.java")));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("wrote " + sas), out.toString());
    }

    @Test
    void aModelWithErrorsIsReportedAndNothingIsWritten(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("bad.espl");
        Files.writeString(model, "package bad\n\nsa x {\n\tspi 0x1\n\tmode tunnel src 10.0.0.1 dst 10.0.0.2\n\taead aes128gcm16 key env:X\n}\n"
                + "policy p {\n\tdir out\n\tsrc 10.1.0.0/16 dst 10.2.0.0/16\n\tprotect nosuch\n}\n");
        Path outDir = dir.resolve("out");
        assertEquals(1, run("generate", model.toString(), "-o", outDir.toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("bad.espl:11:"), err.toString());
        assertTrue(Files.notExists(outDir));
    }

    @Test
    void usage() {
        assertEquals(2, run("generate", "-o"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: espline generate"));
    }
}
