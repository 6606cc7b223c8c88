package org.espline.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

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
    void aSecondRunRewritesNothing(@TempDir Path dir) throws Exception {
        assertEquals(0, run("generate", "../examples/models/site-to-site-gw-a.espl", "-o", dir.toString()), err.toString());
        Path sas = dir.resolve("site_to_site/gw_a/GwASecurityAssociations.java");
        FileTime before = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(sas, before);
        out.reset();
        assertEquals(0, run("generate", "../examples/models/site-to-site-gw-a.espl", "-o", dir.toString()), err.toString());
        assertEquals(before, Files.getLastModifiedTime(sas));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("unchanged " + sas), out.toString());
    }

    @Test
    void aDirectoryGeneratesItsModelsAndSkipsSharedOnesWithoutPackage(@TempDir Path dir) throws Exception {
        Path models = Files.createDirectories(dir.resolve("models/sub"));
        Files.writeString(models.resolve("shared.espl"), "sa x {\n\tspi 0x100\n\tmode tunnel src 10.0.0.1 dst 10.0.0.2\n"
                + "\taead aes128gcm16 key 0x000102030405060708090a0b0c0d0e0f10111213\n}\n");
        Files.writeString(models.resolve("gw.espl"), "package gw\n\nimport \"shared.espl\"\n\npolicy p {\n\tdir out\n"
                + "\tsrc 10.1.0.0/16 dst 10.2.0.0/16\n\tprotect x\n}\n");
        Path outDir = dir.resolve("out");
        assertEquals(0, run("generate", dir.resolve("models").toString(), "-o", outDir.toString()), err.toString());
        assertTrue(Files.isRegularFile(outDir.resolve("gw/GwPolicies.java")), out.toString());
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("skipped " + models.resolve("shared.espl")), out.toString());
        // Named on its own, a model without a package is an error.
        assertEquals(1, run("generate", models.resolve("shared.espl").toString(), "-o", outDir.toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("shared.espl:1:1: error: the model has no 'package NAME'"), err.toString());
    }

    @Test
    void usage() {
        assertEquals(2, run("generate", "-o"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: espline generate"));
    }
}
