package dev.strait.gateway.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Wireshark's dissectors as an independent reader of our IKE messages: runs {@code tshark -T json} on a capture and
 * returns each frame's layers with the fields asked for (a field appears only when the frame has it). Shared by the
 * gateway's dissection tests and the e2e captures.
 */
public final class Tshark {
    public static final Path BINARY = Path.of("/usr/bin/tshark");
    /** The fields that say a frame did not dissect cleanly. */
    public static final List<String> PROBLEM_FIELDS = List.of("_ws.malformed", "_ws.expert", "_ws.expert.message",
            "_ws.expert.severity");
    /** {@code _ws.expert.severity} of a warning; errors are higher, notes and chats lower. */
    public static final long SEVERITY_WARN = 0x00600000L;

    private Tshark() {
    }

    public static boolean available() {
        return Files.isExecutable(BINARY);
    }

    /**
     * The layers of every frame in {@code capture}, with {@code fields} (plus {@link #PROBLEM_FIELDS}); {@code options}
     * go before them, e.g. {@code -o uat:ikev2_decryption_table:...}. Fails with tshark's stderr when it fails.
     */
    public static List<JsonNode> frames(Path capture, List<String> options, List<String> fields)
            throws IOException, InterruptedException {
        Path stdout = capture.resolveSibling(capture.getFileName() + ".tshark.json");
        Path stderr = capture.resolveSibling(capture.getFileName() + ".tshark.err");
        List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "-n", "-r", capture.toString()));
        cmd.addAll(options);
        cmd.addAll(List.of("-T", "json"));
        for (String f : fields) {
            cmd.addAll(List.of("-e", f));
        }
        for (String f : PROBLEM_FIELDS) {
            if (!fields.contains(f)) {
                cmd.addAll(List.of("-e", f));
            }
        }
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("tshark did not finish within 30 s on " + capture);
        }
        if (p.exitValue() != 0) {
            throw new IOException("tshark exited " + p.exitValue() + " on " + capture + ": " + Files.readString(stderr));
        }
        List<JsonNode> out = new ArrayList<>();
        new ObjectMapper().readTree(stdout.toFile()).forEach(packet -> out.add(packet.path("_source").path("layers")));
        return out;
    }

    /** A field's values in one frame's layers, as strings (empty when the frame has no such field). */
    public static List<String> values(JsonNode layers, String field) {
        List<String> out = new ArrayList<>();
        layers.path(field).forEach(n -> out.add(n.asText()));
        return out;
    }

    /** What is wrong with a frame: malformed, or expert findings of warning severity or worse; empty when clean. */
    public static List<String> problems(JsonNode layers) {
        List<String> out = new ArrayList<>();
        if (layers.has("_ws.malformed")) {
            out.add("malformed");
        }
        List<String> messages = values(layers, "_ws.expert.message");
        List<String> severities = values(layers, "_ws.expert.severity");
        for (int i = 0; i < severities.size(); i++) {
            if (Long.decode(severities.get(i)) >= SEVERITY_WARN) {
                out.add("expert: " + (i < messages.size() ? messages.get(i) : "(no message)"));
            }
        }
        return out;
    }
}
