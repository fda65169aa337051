package dev.strait.e2e.support;

import dev.strait.gateway.ike.crypto.ProposalParser;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeCodec;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.sa.ProposalMatcher;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** IKE floods for the DoS tests: IKE_SA_INIT templates and the bounded generators in the test resources. */
public final class IkeFlood {
    private IkeFlood() {
    }

    /**
     * An IKE_SA_INIT (hex) that a responder configured with {@code ikeProposal} accepts: SA, KE, Ni last. The KE is a
     * valid P-384 point (the generator), so a request that gets through admission costs a real key exchange and leaves a
     * half-open SA that never gets its IKE_AUTH, which is what a spoofing attacker achieves. The group must be ecp384.
     */
    public static String template(String ikeProposal) {
        var offer = ProposalMatcher.ikeOffer(List.of(ProposalParser.parseIke(ikeProposal, false)), new byte[0]);
        var g = org.bouncycastle.crypto.ec.CustomNamedCurves.getByName("secp384r1").getG().normalize();
        byte[] point = new byte[96];
        System.arraycopy(g.getAffineXCoord().getEncoded(), 0, point, 0, 48);
        System.arraycopy(g.getAffineYCoord().getEncoded(), 0, point, 48, 48);
        IkeMessage m = new IkeMessage(1L, 0, ExchangeType.IKE_SA_INIT, IkeMessage.FLAG_INITIATOR, 0,
                List.of(new Payload.Sa(offer), new Payload.KeyExchange(20, point), new Payload.Nonce(new byte[32])));
        return HexFormat.of().formatHex(IkeCodec.encode(m));
    }

    /** What a generator reports: datagrams sent, over how many seconds, and cookies echoed (cookie-echo mode). */
    public record Result(long sent, double seconds, long echoed) {
        public double rate() {
            return sent / seconds;
        }
    }

    /** Runs ike-flood.py (see its usage) in {@code ns}; template "-" for garbage. Blocks until it ends. */
    public static Result run(Sites s, String ns, String mode, String template, String dest, List<String> sources,
                             long count, int rate, double seconds) {
        Path script = script("/ike-flood.py");
        List<String> cmd = new ArrayList<>(List.of("python3", script.toString(), mode, template, dest, String.join(",", sources),
                Long.toString(count), Integer.toString(rate), Double.toString(seconds)));
        ExecResult r = s.exec(ns, Duration.ofSeconds((long) seconds + 30), cmd.toArray(String[]::new));
        if (r.exitCode() != 0) {
            throw new IllegalStateException("flood generator failed: " + r.describe());
        }
        String[] out = r.stdout().strip().split(" ");
        return new Result(Long.parseLong(out[0]), Double.parseDouble(out[1]), Long.parseLong(out[2]));
    }

    private static Path script(String resource) {
        try (InputStream in = IkeFlood.class.getResourceAsStream(resource)) {
            Path p = Files.createTempFile("strait-flood", ".py");
            Files.write(p, in.readAllBytes());
            p.toFile().deleteOnExit();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The sum of a Prometheus counter's samples whose labels contain {@code labelFilter} (e.g. reason="malformed"). */
    public static double sum(String metrics, String name, String labelFilter) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} ([0-9.eE+-]+)$").matcher(metrics);
        double total = 0;
        while (m.find()) {
            if (labelFilter == null || m.group(1).contains(labelFilter)) {
                total += Double.parseDouble(m.group(2));
            }
        }
        return total;
    }
}
