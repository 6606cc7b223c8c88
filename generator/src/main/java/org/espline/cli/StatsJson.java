package org.espline.cli;

import java.util.Map;

import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/** The counters of a run as one JSON object: global counters by Linux name, then per-SA counters. */
final class StatsJson {
    private StatsJson() {
    }

    static String format(long records, long written, XfrmStats stats, SaDatabase sad) {
        StringBuilder sb = new StringBuilder(1024).append("{\n");
        sb.append("  \"records\": ").append(records).append(",\n");
        sb.append("  \"written\": ").append(written).append(",\n");
        appendCounters(sb, stats.snapshot(), "  ");
        sb.append("  \"drops\": ").append(stats.totalDrops()).append(",\n");
        sb.append("  \"sas\": [");
        boolean first = true;
        for (SecurityAssociation sa : sad.all()) {
            sb.append(first ? "\n" : ",\n");
            first = false;
            sb.append("    {\n");
            sb.append("      \"name\": \"").append(escape(sa.config().name())).append("\",\n");
            sb.append("      \"spi\": \"0x").append(String.format("%08x", sa.spi())).append("\",\n");
            sb.append("      \"packets\": ").append(sa.packets()).append(",\n");
            sb.append("      \"bytes\": ").append(sa.bytes()).append(",\n");
            appendCounters(sb, sa.stats().snapshot(), "      ");
            sb.append("      \"drops\": ").append(sa.stats().totalDrops()).append("\n");
            sb.append("    }");
        }
        sb.append(first ? "]\n" : "\n  ]\n");
        return sb.append("}\n").toString();
    }

    private static void appendCounters(StringBuilder sb, Map<XfrmCounter, Long> counters, String indent) {
        counters.forEach((c, v) -> sb.append(indent).append('"').append(c.name()).append("\": ").append(v).append(",\n"));
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
