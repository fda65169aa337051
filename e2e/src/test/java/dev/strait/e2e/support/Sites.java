package dev.strait.e2e.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two-site topology of e2e/bin/sites.sh: namespaces A and B joined by a transit veth, each with a LAN
 * address. Names and addresses come from the same environment variables the script reads, so a developer can
 * move the whole suite (e.g. SITE_A_NS=me-a SITE_B_NS=me-b) without touching code.
 */
public final class Sites {
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern RECEIVED = Pattern.compile("(\\d+) (?:packets )?received");

    private final Map<String, String> env;
    private final Path binDir;

    private Sites(Map<String, String> env, Path binDir) {
        this.env = Map.copyOf(env);
        this.binDir = binDir;
    }

    /** Reads the site names and addresses from the environment (defaults as in sites.sh). */
    public static Sites fromEnvironment() {
        Map<String, String> e = new java.util.HashMap<>();
        for (var kv : Map.of("SITE_A_NS", "strait-a", "SITE_B_NS", "strait-b",
                "SITE_A_TRANSIT", "198.18.0.1", "SITE_B_TRANSIT", "198.18.0.2",
                "SITE_A_LAN", "10.10.0.1/24", "SITE_B_LAN", "10.20.0.1/24").entrySet()) {
            String v = System.getenv(kv.getKey());
            e.put(kv.getKey(), v == null || v.isBlank() ? kv.getValue() : v);
        }
        for (String optional : List.of("TRANSIT_MTU", "STRAIT_E2E_RUN")) {
            String v = System.getenv(optional);
            if (v != null && !v.isBlank()) {
                e.put(optional, v);
            }
        }
        return new Sites(e, E2eDirs.bin());
    }

    /**
     * Sites with their own names and addresses, whatever the environment says: for a test class whose namespaces must
     * not meet the other classes' (TRANSIT_MTU still comes from the environment).
     */
    public static Sites named(String nsA, String nsB, String transitA, String transitB, String lanA, String lanB) {
        Map<String, String> e = new java.util.HashMap<>(Map.of("SITE_A_NS", nsA, "SITE_B_NS", nsB,
                "SITE_A_TRANSIT", transitA, "SITE_B_TRANSIT", transitB, "SITE_A_LAN", lanA, "SITE_B_LAN", lanB));
        String mtu = System.getenv("TRANSIT_MTU");
        if (mtu != null && !mtu.isBlank()) {
            e.put("TRANSIT_MTU", mtu);
        }
        return new Sites(e, E2eDirs.bin());
    }

    public String nsA() {
        return env.get("SITE_A_NS");
    }

    public String nsB() {
        return env.get("SITE_B_NS");
    }

    /** Transit address of site A / B (no prefix): where IKE runs. */
    public String transitA() {
        return env.get("SITE_A_TRANSIT");
    }

    public String transitB() {
        return env.get("SITE_B_TRANSIT");
    }

    /** Site B's end of the transit veth (SITE_B_VETH, default veth-b), e.g. for a capture there. */
    public String transitInterfaceB() {
        String v = System.getenv("SITE_B_VETH"); // sites.sh reads it from the inherited environment
        return v == null || v.isBlank() ? "veth-b" : v;
    }

    /** LAN address of site A / B (no prefix): the source of tunnelled traffic. */
    public String lanA() {
        return stripPrefix(env.get("SITE_A_LAN"));
    }

    public String lanB() {
        return stripPrefix(env.get("SITE_B_LAN"));
    }

    /** LAN subnet of site A / B, e.g. 10.10.0.0/24: a traffic selector. */
    public String lanSubnetA() {
        return network(env.get("SITE_A_LAN"));
    }

    public String lanSubnetB() {
        return network(env.get("SITE_B_LAN"));
    }

    /** Environment the scripts need to agree with this object. */
    Map<String, String> scriptEnv() {
        return env;
    }

    Path script(String name) {
        Path p = binDir.resolve(name);
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException("missing or not executable: " + p);
        }
        return p;
    }

    public void up() {
        Commands.run(Duration.ofSeconds(30), List.of(script("sites.sh").toString(), "up"), env).orThrow();
    }

    public void down() {
        Commands.run(Duration.ofSeconds(30), List.of(script("sites.sh").toString(), "down"), env).orThrow();
    }

    /** Runs a command inside a namespace (30 s deadline); check the result's exit code yourself. */
    public ExecResult exec(String ns, String... command) {
        return exec(ns, DEFAULT_TIMEOUT, command);
    }

    public ExecResult exec(String ns, Duration timeout, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return Commands.run(timeout, cmd);
    }

    /** Pings {@code dest} from {@code source} inside {@code ns}, 0.2 s apart; returns how many replies came back. */
    public int ping(String ns, String source, String dest, int count) {
        ExecResult r = exec(ns, Duration.ofSeconds(count + 10L),
                "ping", "-n", "-q", "-c", Integer.toString(count), "-i", "0.2", "-W", "1", "-I", source, dest);
        Matcher m = RECEIVED.matcher(r.stdout());
        if (!m.find()) {
            throw new IllegalStateException("no ping summary in output: " + r.describe());
        }
        return Integer.parseInt(m.group(1));
    }

    /** Like {@link #ping(String, String, String, int)} with another interval, e.g. 0.1 s for 10 packets per second. */
    public int ping(String ns, String source, String dest, int count, double intervalSeconds) {
        ExecResult r = exec(ns, Duration.ofSeconds((long) (count * intervalSeconds) + 10L),
                "ping", "-n", "-q", "-c", Integer.toString(count), "-i", Double.toString(intervalSeconds), "-W", "1",
                "-I", source, dest);
        Matcher m = RECEIVED.matcher(r.stdout());
        if (!m.find()) {
            throw new IllegalStateException("no ping summary in output: " + r.describe());
        }
        return Integer.parseInt(m.group(1));
    }

    private static String stripPrefix(String cidr) {
        int slash = cidr.indexOf('/');
        return slash < 0 ? cidr : cidr.substring(0, slash);
    }

    static String network(String cidr) {
        String[] parts = cidr.split("/");
        int len = Integer.parseInt(parts[1]);
        String[] o = parts[0].split("\\.");
        long a = 0;
        for (String octet : o) {
            a = (a << 8) | Integer.parseInt(octet);
        }
        long mask = len == 0 ? 0 : (0xffffffffL << (32 - len)) & 0xffffffffL;
        a &= mask;
        return ((a >> 24) & 255) + "." + ((a >> 16) & 255) + "." + ((a >> 8) & 255) + "." + (a & 255) + "/" + len;
    }
}
