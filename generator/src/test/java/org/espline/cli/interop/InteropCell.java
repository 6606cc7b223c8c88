package org.espline.cli.interop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One cell of the interop matrix as {@code esp_interop.py gen} wrote it: the directory holding
 * {@code sa.xfrm}, {@code plain.pcap}, {@code scapy-esp.pcap}, and the facts from {@code cell.json}.
 */
record InteropCell(Path dir, String name, String spiHex, long spi, int packets, String mode, String family,
        String encap, boolean esn, long firstSeq, String src, String dst, String xfrmEnc, String xfrmAuth,
        String cryptKeyHex, String authKeyHex, int icvLength) {

    Path sa() {
        return dir.resolve("sa.xfrm");
    }

    Path plain() {
        return dir.resolve("plain.pcap");
    }

    Path scapyEsp() {
        return dir.resolve("scapy-esp.pcap");
    }

    Path esplineEsp() {
        return dir.resolve("espline-esp.pcap");
    }

    Path esplinePlain() {
        return dir.resolve("espline-plain.pcap");
    }

    boolean tunnel() {
        return "tunnel".equals(mode);
    }

    boolean ipv4() {
        return "v4".equals(family);
    }

    /** The cells listed in {@code matrix/cells.txt}, in that order. */
    static List<InteropCell> loadAll(Path matrix) {
        try {
            List<InteropCell> cells = new ArrayList<>();
            for (String line : Files.readAllLines(matrix.resolve("cells.txt"))) {
                if (!line.isBlank()) {
                    cells.add(load(matrix.resolve(line.strip())));
                }
            }
            return cells;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static InteropCell load(Path dir) throws IOException {
        Map<String, String> j = FlatJson.parse(Files.readString(dir.resolve("cell.json")));
        return new InteropCell(dir, j.get("name"), j.get("spi_hex"), Long.parseLong(j.get("spi")),
                Integer.parseInt(j.get("packets")), j.get("mode"), j.get("family"), j.get("encap"),
                Boolean.parseBoolean(j.get("esn")), Long.parseLong(j.get("first_seq")), j.get("src"), j.get("dst"),
                j.get("xfrm_enc"), j.get("xfrm_auth"), j.get("crypt_key_hex"), j.get("auth_key_hex"),
                Integer.parseInt(j.get("icv_len")));
    }

    @Override
    public String toString() {
        return name;
    }
}
