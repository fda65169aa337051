package dev.strait.gateway.ike.message;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Independent check of our wire format: Wireshark's ISAKMP dissector must read every message we encode as IKEv2
 * with the exchange type and payload sequence we meant, without malformed-packet or expert findings.
 */
class IkeTsharkDissectionTest {
    private static final Path TSHARK = Path.of("/usr/bin/tshark");
    private static final byte[] ADDR_I = {(byte) 192, 0, 2, 1};
    private static final byte[] ADDR_R = {(byte) 198, 51, 100, 2};

    @TempDir
    Path dir;

    record Frame(String name, int port, IkeMessage message) {
    }

    @Test
    void tsharkDissectsEveryEncodedMessageAsWeMeantIt() throws Exception {
        boolean available = Files.isExecutable(TSHARK);
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            assertTrue(available, "tshark is required in CI at " + TSHARK);
        }
        assumeTrue(available, "tshark not installed at " + TSHARK + ": skipping the dissection cross-check");

        List<Frame> frames = new ArrayList<>();
        for (SampleMessages.Sample s : SampleMessages.all()) {
            frames.add(new Frame(s.name(), 500, s.message()));
        }
        // one copy on the NAT-T port behind the 4-byte non-ESP marker (RFC 3948)
        frames.add(new Frame("IKE_SA_INIT request on 4500", 4500, SampleMessages.all().getFirst().message()));
        frames.add(new Frame("IKE_AUTH SK on 4500", 4500, SampleMessages.all().get(6).message()));

        PcapWriter pcap = new PcapWriter();
        for (Frame f : frames) {
            byte[] ike = IkeCodec.encode(f.message());
            byte[] udpPayload = ike;
            if (f.port() == 4500) {
                udpPayload = new byte[4 + ike.length];
                System.arraycopy(ike, 0, udpPayload, 4, ike.length);
            }
            boolean fromI = f.message().fromInitiator();
            pcap.udp(fromI ? ADDR_I : ADDR_R, f.port(), fromI ? ADDR_R : ADDR_I, f.port(), udpPayload);
        }
        Path file = dir.resolve("ike.pcap");
        Files.write(file, pcap.toByteArray());

        JsonNode packets = runTshark(file);
        assertEquals(frames.size(), packets.size(), "frames dissected");
        for (int i = 0; i < frames.size(); i++) {
            Frame f = frames.get(i);
            JsonNode layers = packets.get(i).path("_source").path("layers");
            String where = "frame " + (i + 1) + " (" + f.name() + "): " + layers;
            String protocols = layers.path("frame.protocols").path(0).asText();
            assertTrue(protocols.contains(f.port() == 4500 ? ":udp:udpencap:isakmp" : ":udp:isakmp"), where);
            assertEquals(List.of("2"), values(layers, "isakmp.mjver"), where);
            assertEquals(List.of(String.valueOf(f.message().exchangeType())), values(layers, "isakmp.exchangetype"), where);
            assertEquals(expectedPayloadTypes(f.message()), values(layers, "isakmp.typepayload"), where);
            assertFalse(layers.has("_ws.malformed"), "malformed: " + where);
            assertFalse(layers.has("_ws.expert"), "expert info: " + where);
            assertEquals(List.of(String.valueOf(IkeCodec.encode(f.message()).length)), values(layers, "isakmp.length"),
                    where);
        }
    }

    /** One datagram as the engine sent it. */
    record Sent(byte[] bytes, boolean fromInitiator, boolean viaNatt) {
    }

    /**
     * A real hybrid handshake (x25519 + ML-KEM-768: IKE_SA_INIT with ADDKE transforms, IKE_INTERMEDIATE, IKE_AUTH)
     * between two engines passing datagrams in memory: every datagram must dissect cleanly, and IKE_INTERMEDIATE (43)
     * must be among them.
     */
    @Test
    void tsharkDissectsARealHybridHandshake() throws Exception {
        assumeTrue(Files.isExecutable(TSHARK) || "true".equalsIgnoreCase(System.getenv("CI")), "tshark not installed");
        List<Sent> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.net.InetSocketAddress a = new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(ADDR_I), 500);
        java.net.InetSocketAddress b = new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(ADDR_R), 500);
        var settingsA = new dev.strait.gateway.ike.sa.IkeEngine.Settings(a, 4500, true, List.of(java.time.Duration.ofSeconds(2)),
                java.time.Duration.ofSeconds(1));
        var settingsB = new dev.strait.gateway.ike.sa.IkeEngine.Settings(b, 4500, true, List.of(java.time.Duration.ofSeconds(2)),
                java.time.Duration.ofSeconds(1));
        java.util.concurrent.CountDownLatch installed = new java.util.concurrent.CountDownLatch(2);
        try (var ea = new dev.strait.gateway.ike.sa.IkeEngine(settingsA, null);
             var eb = new dev.strait.gateway.ike.sa.IkeEngine(settingsB, null)) {
            ea.startInMemory(countingDatapath(installed), (msg, to, natt) -> {
                sent.add(new Sent(msg.clone(), true, natt));
                eb.deliver(msg, natt ? new java.net.InetSocketAddress(a.getAddress(), 4500) : a, natt);
            });
            eb.startInMemory(countingDatapath(installed), (msg, to, natt) -> {
                sent.add(new Sent(msg.clone(), false, natt));
                ea.deliver(msg, natt ? new java.net.InetSocketAddress(b.getAddress(), 4500) : b, natt);
            });
            eb.apply(List.of(dev.strait.gateway.ike.sa.TunnelDefinition.from(hybridTunnel("b.test", "a.test", a, false))));
            ea.apply(List.of(dev.strait.gateway.ike.sa.TunnelDefinition.from(hybridTunnel("a.test", "b.test", b, true))));
            assertTrue(installed.await(10, TimeUnit.SECONDS), "hybrid handshake completed");
        }
        PcapWriter pcap = new PcapWriter();
        List<IkeMessage> messages = new ArrayList<>();
        for (Sent x : sent) {
            messages.add(IkeCodec.decode(x.bytes(), 0, x.bytes().length));
            byte[] udp = x.bytes();
            if (x.viaNatt()) {
                udp = new byte[4 + x.bytes().length];
                System.arraycopy(x.bytes(), 0, udp, 4, x.bytes().length);
            }
            int port = x.viaNatt() ? 4500 : 500;
            pcap.udp(x.fromInitiator() ? ADDR_I : ADDR_R, port, x.fromInitiator() ? ADDR_R : ADDR_I, port, udp);
        }
        assertTrue(messages.stream().anyMatch(m -> m.exchangeType() == ExchangeType.IKE_INTERMEDIATE), "IKE_INTERMEDIATE sent");
        Path file = dir.resolve("hybrid.pcap");
        Files.write(file, pcap.toByteArray());
        JsonNode packets = runTshark(file);
        assertEquals(sent.size(), packets.size(), "frames dissected");
        for (int i = 0; i < sent.size(); i++) {
            JsonNode layers = packets.get(i).path("_source").path("layers");
            IkeMessage m = messages.get(i);
            String where = "frame " + (i + 1) + " (" + ExchangeType.name(m.exchangeType()) + "): " + layers;
            assertEquals(List.of(String.valueOf(m.exchangeType())), values(layers, "isakmp.exchangetype"), where);
            assertEquals(List.of(String.valueOf(sent.get(i).bytes().length)), values(layers, "isakmp.length"), where);
            assertFalse(layers.has("_ws.malformed"), "malformed: " + where);
        }
    }

    private static dev.strait.api.v1alpha1.TunnelConfig hybridTunnel(String localId, String peerId, java.net.InetSocketAddress peer,
            boolean initiator) {
        var t = new dev.strait.api.v1alpha1.TunnelConfig();
        t.name = "t";
        t.peer.address = peer.getAddress().getHostAddress();
        t.peer.id = peerId;
        t.local.id = localId;
        t.local.subnets = List.of(initiator ? "10.1.0.0/24" : "10.2.0.0/24");
        t.remote.subnets = List.of(initiator ? "10.2.0.0/24" : "10.1.0.0/24");
        t.auth.psk = new dev.strait.api.v1alpha1.TunnelSpec.Psk();
        t.auth.psk.value = "tshark-hybrid-psk-0123456789";
        t.ike.proposals = List.of("aes256gcm16-prfsha384-x25519-ke1_mlkem768");
        t.esp.proposals = List.of("aes256gcm16");
        t.initiation = initiator ? dev.strait.api.v1alpha1.TunnelSpec.Initiation.Start
                : dev.strait.api.v1alpha1.TunnelSpec.Initiation.Passive;
        return t;
    }

    private static dev.strait.gateway.datapath.Datapath countingDatapath(java.util.concurrent.CountDownLatch installed) {
        return new dev.strait.gateway.datapath.Datapath() {
            public void addTunnel(String tunnel, List<dev.strait.api.net.Cidr> l, List<dev.strait.api.net.Cidr> r,
                    boolean onTraffic) {
            }

            public void removeTunnel(String tunnel) {
            }

            public void installChildSa(dev.strait.gateway.datapath.ChildSaSpec sa, Outbound outbound) {
                installed.countDown();
            }

            public void removeChildSa(int inboundSpi) {
            }

            public SaCounters counters(int inboundSpi) {
                return null;
            }

            public void setListener(Listener listener) {
            }

            public void close() {
            }
        };
    }

    /** Payload types in the order tshark lists them: each payload, with SA proposals (2) and transforms (3) nested. */
    private static List<String> expectedPayloadTypes(IkeMessage m) {
        List<String> out = new ArrayList<>();
        for (Payload p : m.payloads()) {
            out.add(String.valueOf(p.type()));
            if (p instanceof Payload.Sa sa) {
                for (Payload.Proposal prop : sa.proposals()) {
                    out.add("2");
                    prop.transforms().forEach(t -> out.add("3"));
                }
            }
        }
        return out;
    }

    private static List<String> values(JsonNode layers, String field) {
        List<String> out = new ArrayList<>();
        layers.path(field).forEach(n -> out.add(String.valueOf(Long.decode(n.asText())))); // tshark prints some as 0x..
        return out;
    }

    private static JsonNode runTshark(Path file) throws Exception {
        Path stdout = file.resolveSibling("tshark.json");
        Path stderr = file.resolveSibling("tshark.err");
        Process p = new ProcessBuilder(TSHARK.toString(), "-n", "-r", file.toString(), "-T", "json",
                "-e", "frame.protocols", "-e", "isakmp.mjver", "-e", "isakmp.exchangetype", "-e", "isakmp.length",
                "-e", "isakmp.typepayload", "-e", "_ws.malformed", "-e", "_ws.expert", "-e", "_ws.expert.message",
                "-e", "_ws.expert.severity")
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "tshark did not finish");
        assertEquals(0, p.exitValue(), "tshark failed: " + Files.readString(stderr));
        return new ObjectMapper().readTree(stdout.toFile());
    }
}
