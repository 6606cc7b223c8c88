package org.espline.runtime.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.util.List;

import org.espline.runtime.sa.SaMode;
import org.junit.jupiter.api.Test;

/** ip xfrm policy commands and listings; splitting a mixed file; problems with positions. */
class XfrmPolicyParserTest {
    private static final String MIXED = String.join("\n",
            "ip xfrm state add src 192.0.2.1 dst 198.51.100.1 proto esp spi 0x1001 reqid 1 mode tunnel \\",
            "    aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0fcafebabe 128",
            "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 proto tcp dport 22 dir out priority 7 \\",
            "    tmpl src 192.0.2.1 dst 198.51.100.1 proto esp reqid 1 mode tunnel",
            "src 10.2.0.0/16 dst 10.1.0.0/16 ",
            "\tdir in priority 375423 ptype main ",
            "\ttmpl src 198.51.100.1 dst 192.0.2.1",
            "\t\tproto esp spi 0x00002001 reqid 2 mode tunnel",
            "src ::/0 dst ::/0 ",
            "\tsocket out priority 0 ptype main ",
            "ip xfrm policy add src 0.0.0.0/0 dst 10.9.0.0/16 dir out action block",
            "");

    @Test
    void splitKeepsLinesInPlace() throws ConfigException {
        XfrmPolicyParser.Split split = XfrmPolicyParser.split(MIXED);
        assertEquals(MIXED.split("\n", -1).length, split.states().split("\n", -1).length);
        assertEquals(1, new XfrmStateParser().parse(split.states(), "f").size());
        List<XfrmPolicy> p = new XfrmPolicyParser().parse(split.policies(), "f");
        assertEquals(3, p.size(), "the socket policy is skipped");

        XfrmPolicy out = p.get(0);
        assertEquals(XfrmPolicy.Direction.OUT, out.direction());
        assertEquals(6, out.protocol());
        assertEquals(22, out.destinationPort());
        assertEquals(XfrmPolicy.ANY_PORT, out.sourcePort());
        assertEquals(7, out.priority());
        assertEquals(1, out.template().reqid());
        assertEquals(SaMode.TUNNEL, out.template().mode());
        assertEquals(3, out.line());

        XfrmPolicy in = p.get(1);
        assertEquals(XfrmPolicy.Direction.IN, in.direction());
        assertEquals(0x2001, in.template().spi());
        assertEquals(16, in.sourcePrefix());
        assertEquals(5, in.line());

        XfrmPolicy block = p.get(2);
        assertNull(block.template());
        assertEquals(true, block.block());
        assertEquals(0, block.sourcePrefix());
    }

    @Test
    void writesWhatItReads() throws Exception {
        XfrmPolicy p = new XfrmPolicy(XfrmPolicy.Direction.OUT, InetAddress.getByName("10.1.0.0"), 16,
                InetAddress.getByName("10.2.0.0"), 16, 17, 500, XfrmPolicy.ANY_PORT, false, 100,
                new XfrmPolicy.Template(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("198.51.100.1"), 0, 7,
                        SaMode.TUNNEL, 0, 0), 0, 0);
        String command = p.toIpXfrmCommand();
        assertEquals("ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 proto udp sport 500 dir out priority 100 action allow \\\n"
                + "    tmpl src 192.0.2.1 dst 198.51.100.1 proto esp reqid 7 mode tunnel\n", command);
        XfrmPolicy back = new XfrmPolicyParser().parse(command, "f").get(0);
        assertEquals(command, back.toIpXfrmCommand());
    }

    @Test
    void problemsCarryFileLineColumn() {
        ConfigException e = assertThrows(ConfigException.class, () -> new XfrmPolicyParser().parse(String.join("\n",
                "ip xfrm policy add src 10.1.0.0/33 dst 10.2.0.0/16 dir out",
                "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16",
                "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out mark 7",
                "ip xfrm policy delete src 10.1.0.0/16 dst 10.2.0.0/16 dir out",
                ""), "p.xfrm"));
        assertEquals(List.of(
                "p.xfrm:1:24: src: prefix length must be 0..32 in '10.1.0.0/33'",
                "p.xfrm:2:1: a policy needs dir in|out|fwd",
                "p.xfrm:3:60: unexpected 'mark' in a policy (expected src, dst, proto, sport, dport, dir, priority, action or tmpl)",
                "p.xfrm:4:16: only 'ip xfrm policy add' and 'ip xfrm policy update' are read, not 'delete'"),
                e.problems().stream().map(ConfigProblem::toString).toList());
    }
}
