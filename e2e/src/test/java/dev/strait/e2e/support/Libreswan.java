package dev.strait.e2e.support;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Libreswan peer (pluto 4.10 through e2e/bin/libreswan.sh) in one namespace of {@link Sites}, configured from an
 * {@link IpsecConf}. pluto always runs with debug {@code crypt private}: its log then holds each IKE SA's keys, which
 * {@link #tsharkKeys()} turns into tshark's IKEv2 decryption table (tests only; it is a test peer's log).
 */
public final class Libreswan extends SiteProcess implements PeerDaemon {
    private static final Pattern STATE = Pattern.compile("^\\d+ #(\\d+): \"([^\"]+)\"\\S* (STATE_\\S+)", Pattern.MULTILINE);
    private static final Pattern KEY_LINE = Pattern.compile(
            "\\| ikev2 ([IR]) 0x([0-9a-f]+) 0x([0-9a-f]+) ([a-z0-9_]+):(?:0x([0-9a-f]+))? ([a-z0-9_]+):0x([0-9a-f]+)");

    private final Set<String> keys = new LinkedHashSet<>();

    /** One pluto state in {@code whack --showstates}: an IKE SA or a Child SA. */
    public record State(int number, String conn, String state) {
        public boolean ikeEstablished() {
            return state.equals("STATE_V2_ESTABLISHED_IKE_SA");
        }
    }

    public Libreswan(Sites sites, String ns) {
        super(sites, ns, "libreswan", "libreswan.sh");
    }

    @Override
    public String kind() {
        return "pluto";
    }

    /**
     * Writes ipsec.conf and ipsec.secrets (mode 600) and starts pluto with these impairments (e.g.
     * {@code omit-v2-ike-auth-child}, {@code revival}), stopping a running one first.
     */
    public Libreswan start(IpsecConf conf, String... impairments) {
        stop();
        harvestKeys(); // the log of a previous run is about to be rotated away
        try {
            Files.writeString(dir.resolve("ipsec.conf"), conf.renderConf());
            writePrivate(dir.resolve("ipsec.secrets"), conf.renderSecrets());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> env = new java.util.HashMap<>(sites.scriptEnv());
        env.put("PLUTO_DEBUG", "crypt private");
        env.put("PLUTO_IMPAIR", String.join(" ", impairments));
        startScript(Duration.ofSeconds(30), env, ns, dir.toString());
        return this;
    }

    /** SIGTERM (pluto sends Delete for its SAs), SIGKILL after 10 s. */
    @Override
    public void stop() {
        if (stopScript(sites.scriptEnv(), ns, dir.toString())) {
            harvestKeys();
        }
    }

    /** Any whack command against this pluto; check the exit code yourself. */
    public ExecResult whack(String... args) {
        List<String> a = new ArrayList<>(List.of("whack", ns, dir.toString()));
        a.addAll(List.of(args));
        return script(Duration.ofSeconds(30), a.toArray(String[]::new));
    }

    /** whack that must succeed. */
    public ExecResult whackOk(String... args) {
        return whack(args).orThrow();
    }

    /** Brings the conn up (its IKE SA, and its Child SA unless impaired); returns when pluto's exchange ends. */
    public ExecResult initiate(String conn) {
        return whack("--initiate", "--name", conn);
    }

    public List<State> states() {
        String out = whackOk("--showstates").stdout();
        List<State> states = new ArrayList<>();
        Matcher m = STATE.matcher(out);
        while (m.find()) {
            states.add(new State(Integer.parseInt(m.group(1)), m.group(2), m.group(3)));
        }
        return states;
    }

    @Override
    public String describeSas() {
        return whack("--showstates").stdout();
    }

    @Override
    public Path logFile() {
        return dir.resolve("pluto.log");
    }

    /** The log's size now: {@link #logSince} reads what pluto writes after it. */
    public long logMark() {
        try {
            return Files.exists(logFile()) ? Files.size(logFile()) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** pluto's log lines since {@code mark}, without the debug lines. */
    public String logSince(long mark) {
        try (RandomAccessFile f = new RandomAccessFile(logFile().toFile(), "r")) {
            long from = Math.min(mark, f.length());
            byte[] bytes = new byte[(int) (f.length() - from)];
            f.seek(from);
            f.readFully(bytes);
            StringBuilder out = new StringBuilder();
            for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
                if (!line.contains(": | ")) {
                    out.append(line).append('\n');
                }
            }
            return out.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The whole log of this run, without the debug lines. */
    public String log() {
        return logSince(0);
    }

    /**
     * tshark options ({@code -o uat:ikev2_decryption_table:...}, two list entries per IKE SA) for every IKE SA this
     * object's plutos logged keys for, those of earlier runs included. AEAD keys get their salt, which pluto dumps
     * shortly before. tshark 4.0 cannot decrypt ChaCha20-Poly1305: such IKE SAs are left out.
     */
    public List<String> tsharkKeys() {
        harvestKeys();
        List<String> options = new ArrayList<>();
        for (String k : keys) {
            options.add("-o");
            options.add("uat:ikev2_decryption_table:" + k);
        }
        return options;
    }

    private void harvestKeys() {
        if (!Files.isReadable(logFile())) {
            return;
        }
        try (var lines = Files.lines(logFile(), StandardCharsets.UTF_8)) {
            keys.addAll(parseKeys(lines.toList()));
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalStateException("cannot read " + logFile(), e);
        }
    }

    /** Table rows (SPIi,SPIr,SK_ei,SK_er,"encr",SK_ai,SK_ar,"integ") from pluto's debug "crypt private" lines. */
    static List<String> parseKeys(List<String> lines) {
        List<String> rows = new ArrayList<>();
        String want = null;
        String saltI = "";
        String saltR = "";
        String[] initiator = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.contains("| initiator salt extracting all ")) {
                want = "i";
            } else if (line.contains("| responder salt extracting all ")) {
                want = "r";
            } else if (want != null && line.endsWith("| unwrapped:") && i + 1 < lines.size()) {
                String hex = lines.get(i + 1).replaceFirst("^.*\\|   ", "").replace(" ", "");
                String salt = hex.length() >= 8 ? hex.substring(0, 8) : "";
                if (want.equals("i")) {
                    saltI = salt;
                } else {
                    saltR = salt;
                }
                want = null;
            }
            Matcher m = KEY_LINE.matcher(line);
            if (!m.find()) {
                continue;
            }
            String integ = m.group(4);
            String integKey = m.group(5) == null ? "" : m.group(5);
            String encr = m.group(6);
            boolean aead = integ.equals("none");
            String encrKey = m.group(7) + (aead ? (m.group(1).equals("I") ? saltI : saltR) : "");
            String[] half = {m.group(2), m.group(3), encrKey, integKey, encr, integ};
            if (m.group(1).equals("I")) {
                initiator = half;
                continue;
            }
            if (initiator == null || !initiator[0].equals(half[0]) || !initiator[1].equals(half[1])) {
                continue;
            }
            String tsharkEncr = tsharkEncr(encr);
            String tsharkInteg = tsharkInteg(integ);
            boolean saltsKnown = !aead || (saltI.length() == 8 && saltR.length() == 8);
            if (tsharkEncr != null && tsharkInteg != null && saltsKnown) {
                rows.add(String.join(",", half[0], half[1], initiator[2], half[2], "\"" + tsharkEncr + "\"",
                        initiator[3], half[3], "\"" + tsharkInteg + "\""));
            }
            initiator = null;
            saltI = "";
            saltR = "";
        }
        return rows;
    }

    /** tshark's name of pluto's encryption algorithm, null when tshark cannot decrypt it. */
    private static String tsharkEncr(String a) {
        Matcher gcm = Pattern.compile("aes_gcm_(8|12|16)(128|192|256)").matcher(a);
        if (gcm.matches()) {
            return "AES-GCM-" + gcm.group(2) + " with " + gcm.group(1) + " octet ICV [RFC5282]";
        }
        Matcher cbc = Pattern.compile("aes(128|192|256)").matcher(a);
        return cbc.matches() ? "AES-CBC-" + cbc.group(1) + " [RFC3602]" : null;
    }

    private static String tsharkInteg(String a) {
        return switch (a) {
            case "none" -> "NONE [RFC4306]";
            case "sha2_256", "sha256" -> "HMAC_SHA2_256_128 [RFC4868]";
            case "sha2_384", "sha384" -> "HMAC_SHA2_384_192 [RFC4868]";
            case "sha2_512", "sha512" -> "HMAC_SHA2_512_256 [RFC4868]";
            default -> null;
        };
    }

    private ExecResult script(Duration timeout, String... args) {
        return script(timeout, sites.scriptEnv(), args);
    }
}
