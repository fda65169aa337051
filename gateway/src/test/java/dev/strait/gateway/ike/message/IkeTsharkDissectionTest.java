package dev.strait.gateway.ike.message;

import dev.strait.gateway.ike.sa.MemoryEngines;
import dev.strait.gateway.ike.sa.MemoryNetwork;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strait.gateway.testing.Tshark;
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
    private static final Path TSHARK = Tshark.BINARY;
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

        List<JsonNode> packets = runTshark(file);
        assertEquals(frames.size(), packets.size(), "frames dissected");
        for (int i = 0; i < frames.size(); i++) {
            Frame f = frames.get(i);
            JsonNode layers = packets.get(i);
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
        java.net.InetSocketAddress a = new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(ADDR_I), 500);
        java.net.InetSocketAddress b = new java.net.InetSocketAddress(java.net.InetAddress.getByAddress(ADDR_R), 500);
        List<Sent> sent = new ArrayList<>();
        try (MemoryEngines engines = new MemoryEngines()) {
            MemoryEngines.Side ea = engines.start(a.getAddress().getHostAddress());
            MemoryEngines.Side eb = engines.start(b.getAddress().getHostAddress());
            eb.engine.apply(List.of(dev.strait.gateway.ike.sa.TunnelDefinition.from(hybridTunnel("b.test", "a.test", a, false))));
            ea.engine.apply(List.of(dev.strait.gateway.ike.sa.TunnelDefinition.from(hybridTunnel("a.test", "b.test", b, true))));
            MemoryEngines.await(() -> ea.datapath.installed.size() == 1
                    && eb.datapath.installed.size() == 1, "hybrid handshake completed");
            for (MemoryNetwork.Datagram d : engines.network.wire()) {
                sent.add(new Sent(d.bytes(), d.from().equals(a.getAddress().getHostAddress()), d.viaNatt()));
            }
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
        List<JsonNode> packets = runTshark(file);
        assertEquals(sent.size(), packets.size(), "frames dissected");
        for (int i = 0; i < sent.size(); i++) {
            JsonNode layers = packets.get(i);
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

    private static List<JsonNode> runTshark(Path file) throws Exception {
        return Tshark.frames(file, List.of(), List.of("frame.protocols", "isakmp.mjver", "isakmp.exchangetype",
                "isakmp.length", "isakmp.typepayload"));
    }
}
