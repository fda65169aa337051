package dev.strait.gateway.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.strait.api.net.Cidr;
import dev.strait.gateway.routing.DesiredState.Route;
import dev.strait.gateway.routing.DesiredState.VxlanLink;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The agent's routes, overlay link and FDB entries through iproute2 ({@code ip -j}, {@code bridge -j}). */
public final class IpRoute {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROTO = String.valueOf(Ownership.ROUTE_PROTOCOL);
    private static final String METRIC = String.valueOf(Ownership.ROUTE_METRIC);
    private static final String ZERO_MAC = "00:00:00:00:00:00";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(IpRoute.class);
    private final Shell shell;
    private boolean rpFilterWarned;

    public IpRoute(Shell shell) {
        this.shell = shell;
    }

    /** The interface holding nodeIp, its subnet and MTU. */
    public HostFacts hostFacts(String nodeIp) throws IOException {
        for (JsonNode link : json(shell.must("ip", "-j", "-4", "addr", "show"))) {
            for (JsonNode a : link.path("addr_info")) {
                if (nodeIp.equals(a.path("local").asText())) {
                    Cidr net = Cidr.parse(masked(nodeIp, a.path("prefixlen").asInt()));
                    return new HostFacts(link.path("ifname").asText(), net, link.path("mtu").asInt());
                }
            }
        }
        throw new IOException("no interface on this node holds the node IP " + nodeIp);
    }

    /** Keys ({@link Route#key}) of the routes this agent owns: its protocol, in the main or its return table. */
    public List<String> ownedRoutes() throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode r : json(shell.must("ip", "-j", "-4", "route", "show", "table", "all", "proto", PROTO))) {
            String dst = r.path("dst").asText();
            String table = r.path("table").asText(String.valueOf(Ownership.MAIN_TABLE));
            if (!table.equals(String.valueOf(Ownership.RETURN_TABLE))) {
                if (!table.equals("main") && !table.equals(String.valueOf(Ownership.MAIN_TABLE))) {
                    continue; // not a table the agent writes to
                }
                table = String.valueOf(Ownership.MAIN_TABLE);
            }
            out.add(table + " " + (dst.contains("/") ? dst : dst + "/32"));
        }
        return out;
    }

    /** Adds or changes the route in place (same destination, table and metric): packets never see it missing. */
    public void replace(Route r) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "route", "replace", r.dst().toString(), "via", r.via()));
        if (r.dev() != null) {
            cmd.addAll(List.of("dev", r.dev(), "onlink"));
        }
        cmd.addAll(List.of("table", String.valueOf(r.table()), "proto", PROTO, "metric", METRIC, "mtu",
                String.valueOf(r.mtu())));
        shell.must(cmd.toArray(String[]::new));
    }

    /** Deletes an owned route by its key ("table dst"). */
    public void deleteRoute(String key) throws IOException {
        String[] k = key.split(" ");
        Shell.Result r = shell.run("ip", "route", "del", k[1], "table", k[0], "proto", PROTO, "metric", METRIC);
        if (!r.ok() && !r.err().contains("No such process")) {
            throw new IOException("ip route del " + key + " failed: " + r.err().strip());
        }
    }

    /** Sources of this agent's rules (those that look up its return table). */
    public List<String> ownedRules() throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode r : json(shell.must("ip", "-j", "-4", "rule", "show"))) {
            if (String.valueOf(Ownership.RETURN_TABLE).equals(r.path("table").asText())) {
                out.add(r.path("src").asText() + "/" + r.path("srclen").asInt(32));
            }
        }
        return out;
    }

    public void addRule(Cidr from) throws IOException {
        shell.must("ip", "rule", "add", "from", from.toString(), "lookup", String.valueOf(Ownership.RETURN_TABLE),
                "pref", String.valueOf(Ownership.RULE_PRIORITY), "protocol", PROTO);
    }

    public void deleteRule(String from) throws IOException {
        Shell.Result r = shell.run("ip", "rule", "del", "from", from, "lookup", String.valueOf(Ownership.RETURN_TABLE));
        if (!r.ok() && !r.err().contains("No such file")) {
            throw new IOException("ip rule del from " + from + " failed: " + r.err().strip());
        }
    }

    /** Names of the links this agent owns. */
    public List<String> ownedLinks() throws IOException {
        List<String> out = new ArrayList<>();
        for (JsonNode l : json(shell.must("ip", "-j", "link", "show"))) {
            String name = l.path("ifname").asText();
            if (name.startsWith(Ownership.LINK_PREFIX)) {
                out.add(name);
            }
        }
        return out;
    }

    /**
     * Makes the overlay link match: re-created only when its identity (VNI, port, local address) changed, so a
     * restarted agent keeps the running link; MTU, address, rp_filter and FDB are set in place.
     */
    public void ensureOverlay(VxlanLink v) throws IOException {
        Shell.Result shown = shell.run("ip", "-j", "-d", "link", "show", "dev", v.name());
        boolean matches = false;
        if (shown.ok()) {
            JsonNode d = json(shown.out()).path(0).path("linkinfo").path("info_data");
            matches = d.path("id").asInt() == v.vni() && d.path("port").asInt() == v.port()
                    && v.localIp().equals(d.path("local").asText());
            if (!matches) {
                shell.must("ip", "link", "del", "dev", v.name());
            }
        }
        if (!matches) {
            shell.must("ip", "link", "add", v.name(), "type", "vxlan", "id", String.valueOf(v.vni()), "local",
                    v.localIp(), "dstport", String.valueOf(v.port()), "nolearning");
        }
        shell.must("ip", "link", "set", "dev", v.name(), "mtu", String.valueOf(v.mtu()), "up");
        shell.must("ip", "addr", "replace", v.address(), "dev", v.name());
        // Replies from the remote site enter here for pods whose CNI route may point elsewhere: loose check on
        // this link only (the node's own interfaces keep theirs). Best effort: a container's /proc/sys is read-only
        // unless privileged, and with the agent's routes being the only ones to the pod CIDRs the strict check passes.
        Shell.Result rp = shell.runWithInput("2\n", "tee", "/proc/sys/net/ipv4/conf/" + v.name() + "/rp_filter");
        if (!rp.ok() && !rpFilterWarned) {
            rpFilterWarned = true;
            LOG.warn("cannot set loose rp_filter on {} ({}); fine unless the CNI routes pod CIDRs through its own "
                    + "device", v.name(), rp.err().strip());
        }
        Set<String> have = new LinkedHashSet<>();
        for (JsonNode f : json(shell.must("bridge", "-j", "fdb", "show", "dev", v.name()))) {
            if (ZERO_MAC.equals(f.path("mac").asText()) && f.has("dst")) {
                have.add(f.path("dst").asText());
            }
        }
        for (String peer : v.peers()) {
            if (!have.remove(peer)) {
                shell.must("bridge", "fdb", "append", ZERO_MAC, "dev", v.name(), "dst", peer);
            }
        }
        for (String gone : have) {
            shell.must("bridge", "fdb", "del", ZERO_MAC, "dev", v.name(), "dst", gone);
        }
    }

    public void deleteLink(String name) throws IOException {
        Shell.Result r = shell.run("ip", "link", "del", "dev", name);
        if (!r.ok() && !r.err().contains("Cannot find device")) {
            throw new IOException("ip link del " + name + " failed: " + r.err().strip());
        }
    }

    private static JsonNode json(String text) throws IOException {
        return text.isBlank() ? JSON.createArrayNode() : JSON.readTree(text);
    }

    private static String masked(String ip, int prefix) {
        byte[] b = Cidr.parseAddress(ip).getAddress();
        for (int i = prefix; i < b.length * 8; i++) {
            b[i / 8] &= (byte) ~(0x80 >>> (i % 8));
        }
        try {
            return java.net.InetAddress.getByAddress(b).getHostAddress() + "/" + prefix;
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
