package dev.strait.e2e.support;

import com.fasterxml.jackson.databind.JsonNode;
import dev.strait.gateway.testing.Tshark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * tcpdump of IKE (UDP 500 and 4500) on one interface of a namespace, read back with tshark: every frame must dissect
 * as IKEv2 without malformed-packet or warning findings, and the frames of IKE SAs whose keys are given are decrypted,
 * so the payloads inside SK are checked too.
 */
public final class IkeCapture implements AutoCloseable {
    private static final List<String> FIELDS = List.of("frame.number", "frame.protocols", "ip.src", "isakmp.ispi",
            "isakmp.rspi", "isakmp.exchangetype", "isakmp.flags", "isakmp.typepayload", "isakmp.enc.decrypted",
            "isakmp.notify.msgtype");

    private final Path file;
    private final Path stderr;
    private final Process tcpdump;

    /** One IKE message as tshark read it; {@code payloads} lists the payload types, those inside SK included. */
    public record Frame(int number, String source, String spiI, String spiR, int exchangeType, boolean response,
            List<Integer> payloads, List<Integer> notifies, boolean decrypted) {
        public static final int SK = 46;
        /** An encrypted fragment (RFC 7383): tshark shows the reassembled message's payloads on the last one. */
        public static final int SKF = 53;
        public static final int DELETE = 42;
        public static final int SA = 33;
        public static final int IKE_SA_INIT = 34;
        public static final int IKE_AUTH = 35;
        public static final int CREATE_CHILD_SA = 36;
        public static final int INFORMATIONAL = 37;

        /** The payloads inside SK or SKF (empty when there is none, it was not decrypted or is an early fragment). */
        public List<Integer> inner() {
            int sk = payloads.indexOf(SK);
            int skf = payloads.indexOf(SKF);
            int at = sk >= 0 ? sk : skf;
            return at < 0 ? List.of() : payloads.subList(at + 1, payloads.size());
        }

        public boolean encrypted() {
            return payloads.contains(SK) || payloads.contains(SKF);
        }
    }

    private IkeCapture(Path file, Path stderr, Process tcpdump) {
        this.file = file;
        this.stderr = stderr;
        this.tcpdump = tcpdump;
    }

    /** Starts tcpdump in {@code ns} on {@code iface} writing {@code name}.pcap under e2e-work/captures; returns once it listens. */
    public static IkeCapture start(String ns, String iface, String name) {
        Path dir = E2eDirs.work("captures");
        Path file = dir.resolve(name + ".pcap");
        Path err = dir.resolve(name + ".tcpdump.err");
        try {
            Files.deleteIfExists(file);
            // -U: each packet reaches the file at once, so nothing is lost when tcpdump is stopped
            Process p = new ProcessBuilder("ip", "netns", "exec", ns, "tcpdump", "-U", "-n", "-i", iface, "-w",
                    file.toString(), "udp port 500 or udp port 4500")
                    .redirectErrorStream(true).redirectOutput(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            IkeCapture c = new IkeCapture(file, err, p);
            Await.await(() -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("tcpdump exited: " + Files.readString(err));
                }
                return Files.readString(err).contains("listening on") ? true : null;
            }, Duration.ofSeconds(10), Duration.ofMillis(50), "tcpdump listens on " + iface + " in " + ns);
            return c;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public Path file() {
        return file;
    }

    /** Stops tcpdump (SIGTERM: it flushes and closes the file). */
    @Override
    public void close() {
        if (tcpdump.isAlive()) {
            tcpdump.destroy();
            try {
                if (!tcpdump.waitFor(5, TimeUnit.SECONDS)) {
                    tcpdump.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The frames captured so far (tshark reads the file tcpdump still writes), unchecked: for waiting on an exchange. */
    public List<Frame> peek(List<String> tsharkKeys) throws IOException, InterruptedException {
        return read(tsharkKeys, new ArrayList<>());
    }

    /**
     * Stops the capture and reads it with tshark, decrypting with {@code tsharkKeys} (see
     * {@link Libreswan#tsharkKeys()}). Throws when a frame is not IKE, is malformed or has expert findings of warning
     * severity or worse, or when an SK payload of an IKE SA with known keys was not decrypted.
     */
    public List<Frame> checkedFrames(List<String> tsharkKeys) throws IOException, InterruptedException {
        close();
        List<String> problems = new ArrayList<>();
        List<Frame> frames = read(tsharkKeys, problems);
        if (!problems.isEmpty()) {
            throw new AssertionError("tshark finds problems in " + file + ": " + problems);
        }
        for (Frame f : frames) {
            if (f.encrypted() && !f.decrypted() && keysFor(tsharkKeys, f)) {
                throw new AssertionError("tshark could not decrypt frame " + f.number() + " of " + file
                        + " although pluto logged its IKE SA's keys: " + f);
            }
        }
        return frames;
    }

    private List<Frame> read(List<String> tsharkKeys, List<String> problems) throws IOException, InterruptedException {
        List<Frame> frames = new ArrayList<>();
        for (JsonNode layers : Tshark.frames(file, tsharkKeys, FIELDS)) {
            int number = Integer.parseInt(first(layers, "frame.number", "0"));
            String protocols = first(layers, "frame.protocols", "");
            if (protocols.endsWith(":udpencap") || protocols.endsWith(":udpencap:esp")) {
                continue; // NAT keepalive (0xff) or ESP in UDP: not IKE
            }
            if (!protocols.contains(":isakmp")) {
                problems.add("frame " + number + " is not IKE: " + protocols);
                continue;
            }
            List<String> found = Tshark.problems(layers);
            if (!found.isEmpty()) {
                problems.add("frame " + number + ": " + found);
            }
            List<Integer> payloads = Tshark.values(layers, "isakmp.typepayload").stream().map(Integer::decode).toList();
            int flags = Integer.decode(first(layers, "isakmp.flags", "0"));
            frames.add(new Frame(number, first(layers, "ip.src", ""), first(layers, "isakmp.ispi", ""),
                    first(layers, "isakmp.rspi", ""), Integer.decode(first(layers, "isakmp.exchangetype", "0")),
                    (flags & 0x20) != 0, payloads,
                    Tshark.values(layers, "isakmp.notify.msgtype").stream().map(Integer::decode).toList(),
                    layers.has("isakmp.enc.decrypted")));
        }
        return frames;
    }

    private static boolean keysFor(List<String> tsharkKeys, Frame f) {
        String prefix = "uat:ikev2_decryption_table:" + f.spiI() + "," + f.spiR() + ",";
        return tsharkKeys.stream().anyMatch(k -> k.startsWith(prefix));
    }

    private static String first(JsonNode layers, String field, String otherwise) {
        List<String> v = Tshark.values(layers, field);
        return v.isEmpty() ? otherwise : v.getFirst();
    }

    /** The tcpdump's own messages, for a failure report. */
    public String tcpdumpOutput() throws IOException {
        return Files.readString(stderr);
    }
}
