package dev.strait.gateway.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.strait.api.net.Cidr;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.gateway.datapath.packet.Checksum;
import dev.strait.gateway.datapath.spi.ChildSaSpec;
import dev.strait.gateway.datapath.spi.Datapath;
import dev.strait.gateway.esp.DropReason;
import dev.strait.gateway.linux.NetNs;
import dev.strait.gateway.esp.EspCipher;
import dev.strait.gateway.esp.EspCounters;
import dev.strait.gateway.esp.EspOutbound;
import dev.strait.gateway.ike.crypto.Algorithms.Encr;
import dev.strait.gateway.testing.Privileged;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two sites in namespaces dp-a-PID and dp-b-PID joined by a veth pair, each with a userspace datapath and static SAs.
 * Traffic only flows between the namespaces; the links are created inside them, so their names are theirs alone.
 */
@Privileged
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatapathIntegrationTest {
    private static final String A = NetNs.perRun("dp-a");
    private static final String B = NetNs.perRun("dp-b");
    private static final InetSocketAddress A_UDP = new InetSocketAddress("198.19.0.1", 4500);
    private static final InetSocketAddress B_UDP = new InetSocketAddress("198.19.0.2", 4500);
    private static final List<Cidr> LAN_A = List.of(Cidr.parse("10.11.0.0/24"));
    private static final List<Cidr> LAN_B = List.of(Cidr.parse("10.21.0.0/24"));
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] KEY_AB = bytes(36);
    private static final byte[] KEY_BA = bytes(36);
    private static final byte[] KEY_TEST = bytes(36);
    private static final int TEST_SPI = 0x7777;

    private static Datapaths.Started siteA;
    private static Datapaths.Started siteB;
    private static PrometheusMeterRegistry metricsA;
    private static PrometheusMeterRegistry metricsB;

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    @BeforeAll
    static void sites() throws Exception {
        assumeTrue(NetNs.usable(), "needs /dev/net/tun and iproute2");
        NetNs.create(A);
        NetNs.create(B);
        NetNs.mustSh("ip", "link", "add", "dp-va", "netns", A, "type", "veth", "peer", "name", "dp-vb", "netns", B);
        NetNs.mustSh("ip", "-n", A, "addr", "add", "198.19.0.1/30", "dev", "dp-va");
        NetNs.mustSh("ip", "-n", B, "addr", "add", "198.19.0.2/30", "dev", "dp-vb");
        // The LAN address lives on lo (no dummy module needed): it is what the tunnel carries traffic between.
        for (String[] lan : new String[][] {{A, "10.11.0.1/32", "dp-va"}, {B, "10.21.0.1/32", "dp-vb"}}) {
            NetNs.mustSh("ip", "-n", lan[0], "link", "set", lan[2], "up");
            NetNs.mustSh("ip", "-n", lan[0], "addr", "add", lan[1], "dev", "lo");
        }
        GatewayConfig.Datapath cfg = new GatewayConfig.Datapath();
        metricsB = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metricsA = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        siteA = NetNs.inside(A, () -> Datapaths.start(cfg, A_UDP, (b, o, l, f) -> { }, metricsA));
        siteB = NetNs.inside(B, () -> Datapaths.start(cfg, B_UDP, (b, o, l, f) -> { }, metricsB));
        siteA.datapath().addTunnel("t", LAN_A, LAN_B, true);
        siteB.datapath().addTunnel("t", LAN_B, LAN_A, false);
    }

    @AfterAll
    static void cleanup() {
        try {
            if (siteA != null) {
                siteA.datapath().close();
            }
            if (siteB != null) {
                siteB.datapath().close();
            }
        } finally {
            NetNs.delete(A);
            NetNs.delete(B);
        }
    }

    /** A drop counter as exported: strait_esp_drops_total{tunnel, reason} ("" for traffic of no tunnel). */
    private static long drops(PrometheusMeterRegistry metrics, String tunnel, DropReason reason) {
        return (long) metrics.get("strait.esp.drops").tag("tunnel", tunnel).tag("reason", reason.label())
                .functionCounter().count();
    }

    private static ChildSaSpec spec(int in, int out, byte[] inKey, byte[] outKey, List<Cidr> local,
                                    List<Cidr> remote, InetSocketAddress peer) {
        return new ChildSaSpec("t", in, out, Encr.AES_GCM_16, 256, null, false, inKey, new byte[0], outKey,
                new byte[0], local, remote, peer);
    }

    private static NetNs.Result ping(String ns, String... extra) {
        String[] cmd = new String[6 + extra.length];
        System.arraycopy(new String[] {"ip", "netns", "exec", ns, "ping", "-n"}, 0, cmd, 0, 6);
        System.arraycopy(extra, 0, cmd, 6, extra.length);
        return NetNs.sh(30, cmd);
    }

    private static void eventually(LongSupplier value, long atLeast, String what) throws InterruptedException {
        for (int i = 0; i < 40 && value.getAsLong() < atLeast; i++) {
            Thread.sleep(50);
        }
        assertTrue(value.getAsLong() >= atLeast, what + ": " + value.getAsLong() + " < " + atLeast);
    }

    @Test
    @Order(1)
    void noSaDropsAndAcquiresThenPingFlowsOnceSasAreInstalled() throws Exception {
        String[] acquired = new String[1];
        siteA.datapath().setListener(new Datapath.Listener() {
            @Override
            public void onAcquire(String tunnel) {
                acquired[0] = tunnel;
            }

            @Override
            public void onRekeyNeeded(int inboundSpi) {
            }
        });
        assertTrue(ping(A, "-c", "1", "-W", "1", "-I", "10.11.0.1", "10.21.0.1").exit() != 0);
        assertTrue(drops(metricsA, "t", DropReason.NO_SA) >= 1);
        assertEquals("t", acquired[0]);

        siteA.datapath().installChildSa(spec(0xA1, 0xB1, KEY_BA, KEY_AB, LAN_A, LAN_B, B_UDP), Datapath.Outbound.NOW);
        siteB.datapath().installChildSa(spec(0xB1, 0xA1, KEY_AB, KEY_BA, LAN_B, LAN_A, A_UDP), Datapath.Outbound.NOW);
        NetNs.Result r = ping(A, "-c", "3", "-i", "0.2", "-W", "2", "-I", "10.11.0.1", "10.21.0.1");
        assertEquals(0, r.exit(), r.output());
        Datapath.SaCounters a = siteA.datapath().counters(0xA1);
        Datapath.SaCounters b = siteB.datapath().counters(0xB1);
        assertTrue(a.packetsOut() >= 3 && a.packetsIn() >= 3, a.drops().toString());
        assertTrue(b.packetsIn() >= 3 && b.packetsOut() >= 3);
        assertTrue(b.lastInboundNanos() > 0);
        String link = NetNs.sh("ip", "-n", A, "-d", "link", "show", "strait0").output();
        assertTrue(link.contains("mtu " + UserspaceDatapath.tunnelMtu(new GatewayConfig.Datapath())), link);
        assertTrue(NetNs.sh("ip", "-n", A, "route", "show").output().contains("10.21.0.0/24 dev strait0"));
    }

    @Test
    @Order(2)
    void garbageOnTheNattPortDoesNotStopTraffic() throws Exception {
        CompletableFuture<NetNs.Result> pinging = CompletableFuture.supplyAsync(
                () -> ping(A, "-c", "5", "-i", "0.2", "-W", "2", "-I", "10.11.0.1", "10.21.0.1"));
        long before = drops(metricsB, "", DropReason.NO_SA);
        NetNs.inside(A, () -> {
            try (DatagramChannel ch = DatagramChannel.open()) {
                for (int i = 0; i < 300; i++) {
                    byte[] junk = bytes(8 + RANDOM.nextInt(1400));
                    junk[0] = (byte) 0x55; // neither the IKE marker nor a known SPI
                    ch.send(ByteBuffer.wrap(junk), B_UDP);
                    ch.send(ByteBuffer.wrap(new byte[] {1, 2, 3}), B_UDP);
                    if (i % 50 == 0) {
                        Thread.sleep(100);
                    }
                }
            }
            return null;
        });
        NetNs.Result r = pinging.get();
        assertEquals(0, r.exit(), r.output());
        eventually(() -> drops(metricsB, "", DropReason.NO_SA) - before, 300, "garbage counted");
    }

    @Test
    @Order(3)
    void largeDfPingPassesOrGetsFragNeededNeverSilence() {
        NetNs.Result r = ping(A, "-c", "2", "-W", "2", "-M", "do", "-s", "1400", "-I", "10.11.0.1", "10.21.0.1");
        String out = r.output();
        boolean told = out.contains("Frag needed") || out.contains("message too long") || out.contains("mtu=");
        assertTrue(r.exit() == 0 || told, out);
        System.out.println("DF 1400 ping: exit " + r.exit() + (told ? " (told: too big)" : " (passed)"));
    }

    @Test
    @Order(4)
    void injectedPacketsAreCountedAsPolicyReplayAndAuthDrops() throws Exception {
        List<Cidr> other = List.of(Cidr.parse("10.77.0.0/24"));
        siteB.datapath().installChildSa(new ChildSaSpec("t", TEST_SPI, 0x7778, Encr.AES_GCM_16, 256, null, false,
                KEY_TEST, new byte[0], bytes(36), new byte[0], LAN_B, other, A_UDP), Datapath.Outbound.NOW);
        EspOutbound sealer = new EspOutbound(TEST_SPI, false,
                EspCipher.create(Encr.AES_GCM_16, 256, null, KEY_TEST, null), new EspCounters(null), null);
        byte[] outside = ipv4("10.11.0.1", "10.21.0.1");
        byte[] inside = ipv4("10.77.0.5", "10.21.0.1");
        byte[] policy = seal(sealer, outside);
        byte[] good = seal(sealer, inside);
        byte[] flipped = seal(sealer, inside);
        flipped[flipped.length - 20] ^= 0x10;
        NetNs.inside(A, () -> {
            try (DatagramChannel ch = DatagramChannel.open()) {
                for (byte[] p : new byte[][] {policy, good, good, flipped}) {
                    ch.send(ByteBuffer.wrap(p), B_UDP);
                }
            }
            return null;
        });
        Datapath.SaCounters c = siteB.datapath().counters(TEST_SPI);
        eventually(() -> c.drops().get("auth"), 1, "auth drop");
        assertEquals(1L, c.drops().get("policy"));
        assertEquals(1L, c.drops().get("replay"));
        assertEquals(1L, c.drops().get("auth"));
        assertEquals(2, c.packetsIn(), "policy packet authenticated, good packet once");
        // Traffic of the real SA is untouched by the extra SA.
        NetNs.Result r = ping(A, "-c", "2", "-i", "0.2", "-W", "2", "-I", "10.11.0.1", "10.21.0.1");
        assertEquals(0, r.exit(), r.output());
    }

    @Test
    @Order(5)
    void prometheusNamesAreExactlyTheDocumentedOnes() {
        String scrape = metricsB.scrape();
        for (String name : new String[] {"strait_esp_rx_bytes_total{tunnel=\"t\"}",
                "strait_esp_tx_bytes_total{tunnel=\"t\"}", "strait_esp_rx_packets_total{tunnel=\"t\"}",
                "strait_esp_tx_packets_total{tunnel=\"t\"}",
                "strait_esp_drops_total{reason=\"replay\",tunnel=\"t\"} 1.0",
                "strait_esp_drops_total{reason=\"policy\",tunnel=\"t\"} 1.0"}) {
            assertTrue(scrape.contains(name), name + " missing in:\n" + scrape);
        }
    }

    @Test
    @Order(6)
    void iperf3ThroughTheTunnelIfInstalled() throws Exception {
        assumeTrue(NetNs.sh("sh", "-c", "command -v iperf3").exit() == 0, "iperf3 not installed");
        Process server = new ProcessBuilder("ip", "netns", "exec", B, "iperf3", "-s", "-1", "-B", "10.21.0.1")
                .redirectErrorStream(true).start();
        try {
            Thread.sleep(500);
            NetNs.Result r = NetNs.sh(30, "ip", "netns", "exec", A, "iperf3", "-c", "10.21.0.1", "-B", "10.11.0.1",
                    "-t", "5", "-f", "m");
            String summary = Arrays.stream(r.output().split("\n")).filter(l -> l.contains("receiver"))
                    .findFirst().orElse(r.output());
            System.out.println("iperf3 TCP through the userspace tunnel: " + summary.trim());
            System.out.println("drops A " + siteA.datapath().counters(0xA1).drops() + " B "
                    + siteB.datapath().counters(0xB1).drops());
        } finally {
            server.destroy();
        }
    }

    /**
     * 8 MiB each way over one TCP connection: with TSO on the sending TUN and GRO on the receiving one, every
     * byte goes through userspace segmentation, ESP, UDP GSO/GRO and coalescing; TCP would stall or the echo differ
     * if a checksum, sequence number or length were wrong.
     */
    @Test
    @Order(6)
    void bulkTcpThroughOffloadsArrivesIntactBothWays() throws Exception {
        // TunDeviceTest checks that the kernel grants TSO on such a TUN.
        byte[] data = bytes(8 << 20);
        java.util.concurrent.atomic.AtomicLong serverGot = new java.util.concurrent.atomic.AtomicLong();
        ServerSocket server = NetNs.inside(B, () -> new ServerSocket(5301, 1, InetAddress.getByName("10.21.0.1")));
        // Own threads: the common pool may have a single worker on this machine, and both ends block.
        try (server; var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(30_000);
                    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
                    byte[] chunk = new byte[65536];
                    for (int n; (n = s.getInputStream().read(chunk)) > 0; ) {
                        all.write(chunk, 0, n);
                        serverGot.addAndGet(n);
                    }
                    s.getOutputStream().write(all.toByteArray());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, threads);
            Socket client = NetNs.inside(A, () -> {
                Socket s = new Socket();
                s.bind(new InetSocketAddress("10.11.0.1", 0));
                s.connect(new InetSocketAddress("10.21.0.1", 5301), 5000);
                return s;
            });
            try (client) {
                client.setSoTimeout(30_000);
                CompletableFuture<byte[]> back = CompletableFuture.supplyAsync(() -> {
                    try {
                        return client.getInputStream().readAllBytes();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, threads);
                client.getOutputStream().write(data);
                client.shutdownOutput();
                try {
                    echo.get(20, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new AssertionError("server got " + serverGot.get() + " of " + data.length
                            + "; drops A " + siteA.datapath().counters(0xA1).drops()
                            + " B " + siteB.datapath().counters(0xB1).drops());
                }
                byte[] got = back.get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(data.length, got.length);
                assertTrue(Arrays.equals(data, got), "the echo equals what was sent");
            }
        }
    }

    @Test
    @Order(7)
    void aRekeyResponderSendsOnTheNewSaOnlyOnceThePeerUsesItOrTheOldOneIsGone() throws Exception {
        byte[] ab2 = bytes(36);
        byte[] ba2 = bytes(36);
        // B answered a rekey: its half of the new SA is held while A (the initiator) may not have the answer yet.
        siteB.datapath().installChildSa(spec(0xB2, 0xA2, ab2, ba2, LAN_B, LAN_A, A_UDP), Datapath.Outbound.AFTER_PEER);
        NetNs.Result r = ping(A, "-c", "3", "-i", "0.2", "-W", "2", "-I", "10.11.0.1", "10.21.0.1");
        assertEquals(0, r.exit(), "B answers on the old SA: " + r.output());
        assertEquals(0, siteB.datapath().counters(0xB2).packetsOut(), "nothing sent on the held SA");
        // A got the answer and sends on its half: B's first packet on the new SA moves B's outbound traffic there.
        siteA.datapath().installChildSa(spec(0xA2, 0xB2, ba2, ab2, LAN_A, LAN_B, B_UDP), Datapath.Outbound.NOW);
        long oldOut = siteB.datapath().counters(0xB1).packetsOut();
        r = ping(A, "-c", "3", "-i", "0.2", "-W", "2", "-I", "10.11.0.1", "10.21.0.1");
        assertEquals(0, r.exit(), r.output());
        assertTrue(siteB.datapath().counters(0xB2).packetsOut() >= 3, "B answers on the new SA");
        assertEquals(oldOut, siteB.datapath().counters(0xB1).packetsOut(), "and no longer on the old one");
        // Another held SA that A never uses: once the SA before it is removed (the initiator's DELETE), it sends.
        siteB.datapath().installChildSa(spec(0xB3, 0xA3, bytes(36), bytes(36), LAN_B, LAN_A, A_UDP), Datapath.Outbound.AFTER_PEER);
        ping(B, "-c", "1", "-W", "1", "-I", "10.21.0.1", "10.11.0.1");
        assertEquals(0, siteB.datapath().counters(0xB3).packetsOut(), "held while B2 may send");
        siteB.datapath().removeChildSa(0xB2);
        siteB.datapath().removeChildSa(0xB1);
        ping(B, "-c", "1", "-W", "1", "-I", "10.21.0.1", "10.11.0.1");
        assertEquals(1, siteB.datapath().counters(0xB3).packetsOut(), "the only SA left sends");
    }

    @Test
    @Order(8)
    void closeRemovesDeviceAndRoutes() {
        siteA.datapath().close();
        assertTrue(NetNs.sh("ip", "-n", A, "link", "show", "strait0").exit() != 0);
        assertNotNull(NetNs.sh("ip", "-n", A, "route", "show").output());
        assertTrue(!NetNs.sh("ip", "-n", A, "route", "show").output().contains("10.21.0.0/24"));
    }

    private static byte[] seal(EspOutbound sealer, byte[] inner) {
        byte[] out = new byte[inner.length + 100];
        int n = sealer.seal(inner, 0, inner.length, 4, out, 0);
        return Arrays.copyOf(out, n);
    }

    /** An ICMP echo request with valid checksums. */
    private static byte[] ipv4(String src, String dst) throws Exception {
        byte[] p = new byte[28];
        p[0] = 0x45;
        p[3] = 28;
        p[8] = 64;
        p[9] = 1;
        System.arraycopy(java.net.InetAddress.getByName(src).getAddress(), 0, p, 12, 4);
        System.arraycopy(java.net.InetAddress.getByName(dst).getAddress(), 0, p, 16, 4);
        int c = checksum(p, 0, 20, 0);
        p[10] = (byte) (c >> 8);
        p[11] = (byte) c;
        p[20] = 8;
        int ic = checksum(p, 20, 8, 0);
        p[22] = (byte) (ic >> 8);
        p[23] = (byte) ic;
        return p;
    }

    /** The Internet checksum of b[off, off+len) over an initial sum, as written into a header. */
    private static int checksum(byte[] b, int off, int len, long initial) {
        return Checksum.finish(Checksum.sum(b, off, len, initial));
    }
}
