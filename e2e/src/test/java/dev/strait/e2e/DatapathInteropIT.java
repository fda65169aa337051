package dev.strait.e2e;

import static dev.strait.e2e.support.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.e2e.support.Commands;
import dev.strait.e2e.support.ExecResult;
import dev.strait.e2e.support.GatewayConfigs;
import dev.strait.e2e.support.GatewayProcess;
import dev.strait.e2e.support.StrongSwan;
import dev.strait.e2e.support.SwanctlConf;
import dev.strait.e2e.support.SwanctlConf.Role;
import dev.strait.e2e.support.SwanctlConf.StartAction;
import dev.strait.e2e.support.UdpSender;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The userspace datapath end to end: real traffic (ping, iperf3 TCP) between the two sites' LAN addresses through
 * our gateway, against strongSwan (kernel-libipsec) in both roles and against another Strait gateway; IPv6 inner
 * traffic; and hostile input (tampered, replayed, out-of-policy ESP crafted with strongSwan's logged keys, random
 * garbage on UDP 4500) counted by reason in /status and /metrics while real traffic keeps flowing.
 */
@Timeout(120)
class DatapathInteropIT extends OnTwoSites {
    private static final String PSK = "datapath-test-psk-not-secret";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);

    // ------------------------------------------------------------------ against strongSwan

    @Test
    void javaInitiatorCarriesTrafficToStrongSwanAndDropsTamperedReplayedAndOutOfPolicyEsp() throws Exception {
        // chd=4 makes charon log the Child SA keys: the test uses strongSwan's outbound key to craft ESP for us.
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(swanB(Role.RESPONDER).build(),
                "charon { filelog { main { chd = 4 } } }\n");
        GatewayProcess gw = gatewayA(TunnelSpec.Initiation.Start);
        JsonNode child = awaitChild(gw);

        // Crafted ESP from strongSwan's side: SPI = our inbound SPI, key = strongSwan's outbound (responder) key.
        int spi = (int) Long.parseLong(child.path("spiIn").asText(), 16);
        byte[] keyAndSalt = childKey(Files.readString(swan.logFile()), "encryption responder key");
        // Sent before any real traffic: strongSwan's own sequence numbers 1..999 stay inside our replay window.
        long seq = 1000;
        byte[] inner = icmpEcho(s.lanB(), s.lanA());
        byte[] good = esp(keyAndSalt, spi, seq, inner);
        byte[] flipped = good.clone();
        flipped[20] ^= 0x01; // one bit of ciphertext
        byte[] outside = esp(keyAndSalt, spi, seq + 1, icmpEcho("10.99.0.1", s.lanA()));
        JsonNode before = drops(gw);
        send(s.nsB(), s.transitA(), flipped, good, good, outside);

        JsonNode after = await(() -> {
            JsonNode d = drops(gw);
            return d.path("auth").asLong() > before.path("auth").asLong()
                    && d.path("replay").asLong() > before.path("replay").asLong()
                    && d.path("policy").asLong() > before.path("policy").asLong() ? d : null;
        }, "auth, replay and policy drops counted in /status");
        assertEquals(1, after.path("auth").asLong() - before.path("auth").asLong(), "one tampered packet: " + after);
        assertEquals(1, after.path("replay").asLong() - before.path("replay").asLong(), "one replay: " + after);
        assertEquals(1, after.path("policy").asLong() - before.path("policy").asLong(), "one out-of-policy: " + after);
        String metrics = gw.metrics();
        for (String reason : List.of("auth", "replay", "policy")) {
            assertTrue(metric(metrics, "strait_esp_drops_total", "reason=\"" + reason + "\",tunnel=\"to-b\"") >= 1,
                    reason + " in /metrics");
        }
        assertTrue(metric(metrics, "strait_esp_rx_packets_total", "tunnel=\"to-b\"") > 0);

        // The SA still carries real traffic after the hostile packets.
        pingBothWays();
        iperf("Java -> strongSwan");
    }

    @Test
    void strongSwanInitiatorCarriesTrafficToJava() {
        gatewayA(TunnelSpec.Initiation.Passive);
        StrongSwan swan = SITES.strongSwan(s.nsB()).start(swanB(Role.INITIATOR).build());
        assertEquals(0, swan.initiate("lan-lan", WAIT).exitCode());
        pingBothWays();
        iperf("strongSwan -> Java (Java responder)");
    }

    // ------------------------------------------------------------------ Java <-> Java

    @Test
    void javaToJavaCarriesTrafficThroughGarbageAndAnswersOversizedDfPackets() throws Exception {
        GatewayProcess b = gatewayB(TunnelSpec.Initiation.Passive);
        GatewayProcess a = gatewayA(TunnelSpec.Initiation.Start);
        awaitChild(a);
        awaitChild(b);
        pingBothWays();
        iperf("Java <-> Java");

        // Garbage to B's UDP 4500 for 4 s while A pings B through the tunnel: every ping must still come back.
        CompletableFuture<ExecResult> garbage = CompletableFuture.supplyAsync(() -> Commands.run(Duration.ofSeconds(30),
                UdpSender.command(s.nsA(), s.transitB(), 4500, "random", "4", "42")));
        Thread.sleep(500);
        int replies = s.ping(s.nsA(), s.lanA(), s.lanB(), 15);
        ExecResult sent = garbage.get().orThrow();
        assertEquals(15, replies, "traffic keeps flowing while garbage arrives on 4500 (" + sent.stdout().strip() + ")");
        assertTrue(metric(b.metrics(), "strait_esp_drops_total", "reason=\"no_sa\",tunnel=\"\"") > 100,
                "garbage counted as unattributed no_sa");

        // 1400 bytes with DF set does not fit the tunnel MTU: it must pass or fail loudly, never vanish.
        ExecResult df = s.exec(s.nsA(), "ping", "-n", "-c", "3", "-W", "1", "-M", "do", "-s", "1372",
                "-I", s.lanA(), s.lanB());
        String out = df.stdout() + df.stderr();
        assertTrue(out.contains("bytes from") || out.contains("mtu") || out.contains("Frag needed")
                || out.contains("too long"), "DF ping answered or refused with a reason: " + out);
    }

    @Test
    void javaToJavaCarriesIpv6InnerTraffic() {
        String[] v6a = {"fd00:a::1", "fd00:a::/64"};
        String[] v6b = {"fd00:b::1", "fd00:b::/64"};
        try {
            enableIpv6(s.nsA(), v6a[0] + "/64");
            enableIpv6(s.nsB(), v6b[0] + "/64");
            GatewayConfig cb = GatewayConfigs.siteBToA(s, "to-a", PSK);
            cb.tunnels.getFirst().initiation = TunnelSpec.Initiation.Passive;
            cb.tunnels.getFirst().local.subnets.add(v6b[1]);
            cb.tunnels.getFirst().remote.subnets.add(v6a[1]);
            GatewayProcess b = SITES.gateway(s.nsB(), s.transitB()).start(cb).awaitReady(WAIT);
            GatewayConfig ca = GatewayConfigs.siteAToB(s, "to-b", PSK);
            ca.tunnels.getFirst().local.subnets.add(v6a[1]);
            ca.tunnels.getFirst().remote.subnets.add(v6b[1]);
            GatewayProcess a = SITES.gateway(s.nsA(), s.transitA()).start(ca).awaitReady(WAIT);
            awaitChild(a);
            awaitChild(b);
            int replies = await(() -> {
                int n = ping6(v6a[0], v6b[0], 1);
                return n == 1 ? n : null;
            }, "first IPv6 ping through the tunnel");
            assertEquals(1, replies);
            assertEquals(5, ping6(v6a[0], v6b[0], 5), "IPv6 A -> B");
            assertEquals(5, s.ping(s.nsA(), s.lanA(), s.lanB(), 5), "IPv4 still flows on the same SA");
            JsonNode child = awaitChild(b);
            assertTrue(child.path("packetsIn").asLong() >= 11 && child.path("packetsOut").asLong() >= 11,
                    "B counted the inner packets: " + child);
        } finally {
            s.exec(s.nsA(), "ip", "-6", "addr", "flush", "dev", "lan0");
            s.exec(s.nsB(), "ip", "-6", "addr", "flush", "dev", "lan0");
        }
    }

    // ------------------------------------------------------------------ helpers

    private GatewayProcess gatewayA(TunnelSpec.Initiation initiation) {
        GatewayConfig c = GatewayConfigs.siteAToB(s, "to-b", PSK);
        c.datapath.mode = "Userspace";
        c.tunnels.getFirst().initiation = initiation;
        return SITES.gateway(s.nsA(), s.transitA()).start(c).awaitReady(WAIT);
    }

    private GatewayProcess gatewayB(TunnelSpec.Initiation initiation) {
        GatewayConfig c = GatewayConfigs.siteBToA(s, "to-a", PSK);
        c.datapath.mode = "Userspace";
        c.tunnels.getFirst().initiation = initiation;
        return SITES.gateway(s.nsB(), s.transitB()).start(c).awaitReady(WAIT);
    }

    private SwanctlConf.Builder swanB(Role role) {
        return SwanctlConf.builder().name("site-b").role(role).startAction(StartAction.NONE)
                .local(s.transitB(), "site-b.test").remote(role == Role.INITIATOR ? s.transitA() : null, "site-a.test")
                .psk(PSK).ikeProposals("aes256gcm16-prfsha384-ecp384").espProposals("aes256gcm16")
                .localTs(s.lanSubnetB()).remoteTs(s.lanSubnetA());
    }

    private static JsonNode awaitChild(GatewayProcess gw) {
        return await(() -> {
            JsonNode t = gw.status().path("tunnels").path(0);
            JsonNode c = t.path("children").path(0);
            return "Established".equals(t.path("phase").asText()) && !c.isMissingNode() ? c : null;
        }, "a Child SA in " + gw.namespace());
    }

    private static JsonNode drops(GatewayProcess gw) {
        return gw.status().path("tunnels").path(0).path("children").path(0).path("drops");
    }

    /** Ping LAN A -> LAN B and LAN B -> LAN A; the first packets may be lost while the SA is being installed. */
    private void pingBothWays() {
        await(() -> s.ping(s.nsA(), s.lanA(), s.lanB(), 1) == 1 ? true : null, "first ping A -> B");
        assertEquals(5, s.ping(s.nsA(), s.lanA(), s.lanB(), 5), "ping LAN A -> LAN B");
        assertEquals(5, s.ping(s.nsB(), s.lanB(), s.lanA(), 5), "ping LAN B -> LAN A");
    }

    /** 10 s of iperf3 TCP from LAN A to LAN B: must finish and move data; prints the rate (no rate assertion). */
    private void iperf(String label) {
        Process server;
        try {
            server = new ProcessBuilder("ip", "netns", "exec", s.nsB(), "iperf3", "-s", "-1", "-B", s.lanB())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start iperf3 server", e);
        }
        try {
            Thread.sleep(300);
            ExecResult r = s.exec(s.nsA(), Duration.ofSeconds(30), "iperf3", "-c", s.lanB(), "-B", s.lanA(),
                    "-t", "10", "-J").orThrow();
            JsonNode end = JSON.readTree(r.stdout()).path("end");
            long bytes = end.path("sum_received").path("bytes").asLong();
            double bps = end.path("sum_received").path("bits_per_second").asDouble();
            long retransmits = end.path("sum_sent").path("retransmits").asLong();
            System.out.printf("iperf3 %s: %.3f Gbit/s, %d bytes, %d retransmits, load %s%n", label, bps / 1e9, bytes,
                    retransmits, loadAverage());
            assertTrue(bytes > 0, "iperf3 moved data: " + r.stdout());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            server.destroy();
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private void enableIpv6(String ns, String cidr) {
        for (String key : List.of("all", "default", "lan0")) {
            s.exec(ns, "sysctl", "-qw", "net.ipv6.conf." + key + ".disable_ipv6=0").orThrow();
        }
        s.exec(ns, "ip", "-6", "addr", "replace", cidr, "dev", "lan0", "nodad").orThrow();
    }

    private int ping6(String from, String to, int count) {
        ExecResult r = s.exec(s.nsA(), Duration.ofSeconds(count + 10L), "ping", "-6", "-n", "-q", "-c",
                Integer.toString(count), "-i", "0.2", "-W", "1", "-I", from, to);
        Matcher m = Pattern.compile("(\\d+) (?:packets )?received").matcher(r.stdout());
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    private void send(String ns, String host, byte[]... datagrams) {
        List<String> hex = new ArrayList<>(List.of("hex"));
        for (byte[] d : datagrams) {
            hex.add(HexFormat.of().formatHex(d));
        }
        Commands.run(Duration.ofSeconds(30), UdpSender.command(ns, host, 4500, hex.toArray(String[]::new))).orThrow();
    }

    /** Sum of the samples of a Prometheus metric whose labels contain {@code labels}. */
    static double metric(String metrics, String name, String labels) {
        double sum = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + "{") && line.contains(labels)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /**
     * Key material (key || 4-byte salt) that charon logs at chd=4 as "LABEL => N bytes @ ADDR" followed by hex dump
     * lines "   0: 12 34 ...".
     */
    static byte[] childKey(String log, String label) {
        String[] lines = log.split("\n");
        Pattern dump = Pattern.compile("\\s(\\d+): ((?:[0-9A-F]{2} ){1,16})");
        for (int i = lines.length - 1; i >= 0; i--) {
            Matcher head = Pattern.compile(Pattern.quote(label) + " => (\\d+) bytes").matcher(lines[i]);
            if (!head.find()) {
                continue;
            }
            int len = Integer.parseInt(head.group(1));
            ByteBuffer key = ByteBuffer.allocate(len);
            for (int j = i + 1; j < lines.length && key.hasRemaining(); j++) {
                Matcher m = dump.matcher(lines[j] + " ");
                if (!m.find()) {
                    break;
                }
                for (String b : m.group(2).trim().split(" ")) {
                    if (key.hasRemaining()) {
                        key.put((byte) Integer.parseInt(b, 16));
                    }
                }
            }
            if (!key.hasRemaining()) {
                return key.array();
            }
        }
        throw new AssertionError("no '" + label + "' key dump in the charon log");
    }

    /** RFC 4303 + RFC 4106 ESP (AES-GCM-16, 8-byte IV = seq, no ESN), written independently of the gateway. */
    static byte[] esp(byte[] keyAndSalt, int spi, long seq, byte[] inner) throws Exception {
        int keyLen = keyAndSalt.length - 4;
        int padLen = (4 - (inner.length + 2) % 4) % 4;
        byte[] plain = new byte[inner.length + padLen + 2];
        System.arraycopy(inner, 0, plain, 0, inner.length);
        for (int i = 0; i < padLen; i++) {
            plain[inner.length + i] = (byte) (i + 1);
        }
        plain[plain.length - 2] = (byte) padLen;
        plain[plain.length - 1] = 4; // IPv4
        ByteBuffer header = ByteBuffer.allocate(16).putInt(spi).putInt((int) seq).putLong(seq);
        byte[] nonce = ByteBuffer.allocate(12).put(keyAndSalt, keyLen, 4).putLong(seq).array();
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keyAndSalt, 0, keyLen, "AES"), new GCMParameterSpec(128, nonce));
        gcm.updateAAD(header.array(), 0, 8);
        byte[] ct = gcm.doFinal(plain);
        return ByteBuffer.allocate(16 + ct.length).put(header.array()).put(ct).array();
    }

    /** A minimal IPv4 ICMP echo request (checksums filled in). */
    static byte[] icmpEcho(String src, String dst) throws IOException {
        byte[] p = new byte[28];
        ByteBuffer b = ByteBuffer.wrap(p);
        b.put((byte) 0x45).put((byte) 0).putShort((short) 28).putShort((short) 0x1234).putShort((short) 0)
                .put((byte) 64).put((byte) 1).putShort((short) 0)
                .put(java.net.InetAddress.getByName(src).getAddress()).put(java.net.InetAddress.getByName(dst).getAddress())
                .put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) 0x5354).putShort((short) 1);
        b.putShort(10, checksum(p, 0, 20));
        b.putShort(22, checksum(p, 20, 8));
        return p;
    }

    private static short checksum(byte[] p, int off, int len) {
        int sum = 0;
        for (int i = off; i < off + len; i += 2) {
            sum += ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (short) ~sum;
    }

}
