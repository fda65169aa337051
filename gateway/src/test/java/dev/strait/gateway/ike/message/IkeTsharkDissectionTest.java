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
