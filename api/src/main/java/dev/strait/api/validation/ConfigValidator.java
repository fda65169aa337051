package dev.strait.api.validation;

import dev.strait.api.net.Cidr;
import dev.strait.api.text.Printable;
import dev.strait.api.v1alpha1.Durations;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a parsed gateway config; the first problem found is reported with its field path. The one set of rules for
 * {@code check}, {@code run} and reload (through the gateway's ConfigLoader) and for the operator, which checks each
 * IPsecTunnel with {@link #tunnel} and {@link #remoteSubnetsFree} before it renders it.
 */
public final class ConfigValidator {
    /** RFC 7296 leaves PSK strength to the user; short keys are what dictionary attacks on IKE break. */
    public static final int MIN_PSK_BYTES = 16;
    /**
     * Shortest ike.rekeyAfter and esp.rekeyAfter: below it a tunnel spends its time rekeying (1 ms gave 80% loss and a
     * pile of stale IKE SAs at the peer), and 0s would mean "never" to some readers and "always" to others.
     */
    public static final Duration MIN_REKEY_AFTER = Duration.ofSeconds(10);
    /** Shortest dpd.interval other than 0s (off). */
    public static final Duration MIN_DPD_INTERVAL = Duration.ofSeconds(1);
    /** Shortest dpd.timeout: the first retransmission of a probe must have a chance. */
    public static final Duration MIN_DPD_TIMEOUT = Duration.ofSeconds(2);
    /** Longest of any lifetime or DPD setting: timers beyond it overflow, and no deployment wants them. */
    public static final Duration MAX_DURATION = Duration.ofDays(365);

    private ConfigValidator() {
    }

    public static void validate(GatewayConfig c) throws ConfigException {
        port("listen.ikePort", c.listen.ikePort);
        port("listen.nattPort", c.listen.nattPort);
        port("admin.port", c.admin.port);
        address("listen.address", c.listen.address);
        address("admin.address", c.admin.address);
        if (c.datapath.mtu != null && (c.datapath.mtu < 576 || c.datapath.mtu > 9000)) {
            throw new ConfigException("datapath.mtu", c.datapath.mtu + " is outside 576..9000");
        }
        if (!List.of("Userspace", "None").contains(c.datapath.mode)) {
            throw new ConfigException("datapath.mode", "'" + c.datapath.mode + "' is not one of [Userspace, None]");
        }
        dos(c.ike == null ? null : c.ike.dos);
        if (c.ike != null && c.ike.natKeepalive != null) {
            duration("ike.natKeepalive", c.ike.natKeepalive, java.time.Duration.ofSeconds(1), true);
            if (Durations.parse(c.ike.natKeepalive).compareTo(java.time.Duration.ofHours(1)) > 0) {
                throw new ConfigException("ike.natKeepalive", c.ike.natKeepalive + " is outside 1s..1h (0s: off)");
            }
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < c.tunnels.size(); i++) {
            TunnelConfig t = c.tunnels.get(i);
            String at = "tunnels[" + i + "]";
            if (t == null) {
                throw new ConfigException(at, "is empty");
            }
            if (t.name == null || !t.name.matches("[a-zA-Z0-9]([-a-zA-Z0-9_.]{0,62})")) {
                throw new ConfigException(at + ".name", "must be 1-63 letters, digits, '-', '_' or '.', got '"
                        + Printable.clip(t.name) + "'");
            }
            if (!names.add(t.name)) {
                throw new ConfigException(at + ".name", "'" + t.name + "' is used by another tunnel");
            }
            tunnel(at, t, c.listen.address);
            if (t.auth.psk != null) {
                Psks.resolve(at + ".auth.psk", t.auth.psk); // reads a PSK file: check must fail where run would
            }
        }
        Map<String, List<Cidr>> remotes = new LinkedHashMap<>();
        for (int i = 0; i < c.tunnels.size(); i++) {
            TunnelConfig t = c.tunnels.get(i);
            remoteSubnetsFree("tunnels[" + i + "].remote.subnets", t.remote.subnets, remotes);
            remotes.put(t.name, t.remote.subnets.stream().map(Cidr::parse).toList());
        }
    }

    /**
     * Refuses a remote subnet that overlaps one of another tunnel's: the gateway could not tell which tunnel a packet
     * to that address belongs to.
     *
     * @param taken the remote subnets of the tunnels already accepted, by tunnel name
     */
    public static void remoteSubnetsFree(String field, List<String> subnets, Map<String, List<Cidr>> taken)
            throws ConfigException {
        for (int i = 0; i < subnets.size(); i++) {
            Cidr mine = Cidr.parse(subnets.get(i));
            for (var other : taken.entrySet()) {
                for (Cidr theirs : other.getValue()) {
                    if (mine.overlaps(theirs)) {
                        throw new ConfigException(ConfigException.Kind.SUBNET_OVERLAP, field + "[" + i + "]", mine
                                + " overlaps " + theirs + " of tunnel '" + other.getKey() + "' on the same gateway");
                    }
                }
            }
        }
    }

    /** Checks the DoS limits (also used by the operator for an IPsecGateway's spec.ike.dos); fields are named ike.dos.*. */
    public static void dos(GatewayConfig.Dos d) throws ConfigException {
        if (d == null) {
            return;
        }
        required("ike.dos.cookieThreshold", d.cookieThreshold);
        required("ike.dos.maxHalfOpen", d.maxHalfOpen);
        required("ike.dos.maxHalfOpenPerSource", d.maxHalfOpenPerSource);
        if (d.cookieThreshold < 0 || d.cookieThreshold > 1_000_000) {
            throw new ConfigException("ike.dos.cookieThreshold", d.cookieThreshold + " is outside 0..1000000");
        }
        if (d.maxHalfOpen < 1 || d.maxHalfOpen > 1_000_000) {
            throw new ConfigException("ike.dos.maxHalfOpen", d.maxHalfOpen + " is outside 1..1000000");
        }
        if (d.maxHalfOpenPerSource < 1 || d.maxHalfOpenPerSource > d.maxHalfOpen) {
            throw new ConfigException("ike.dos.maxHalfOpenPerSource", d.maxHalfOpenPerSource
                    + " is outside 1..maxHalfOpen (" + d.maxHalfOpen + ")");
        }
    }

    /**
     * Validates one tunnel (also used by the operator before it renders a tunnel into a gateway config).
     *
     * @param listenAddress the gateway's listen.address: the peer's address family must be one it can reach
     */
    public static void tunnel(String at, TunnelSpec t, String listenAddress) throws ConfigException {
        required(at + ".peer", t.peer);
        required(at + ".local", t.local);
        required(at + ".remote", t.remote);
        required(at + ".auth", t.auth);
        identity(at + ".peer.id", t.peer.id);
        identity(at + ".local.id", t.local.id);
        if (t.peer.address != null) {
            address(at + ".peer.address", t.peer.address);
            sameFamily(at + ".peer.address", t.peer.address, listenAddress);
        } else if (t.initiation != TunnelSpec.Initiation.Passive) {
            throw new ConfigException(at + ".peer.address",
                    "is required unless initiation is Passive (an initiator must know whom to call)");
        }
        if (t.peer.port != null) {
            port(at + ".peer.port", t.peer.port);
        }
        subnets(at + ".local.subnets", t.local.subnets);
        subnets(at + ".remote.subnets", t.remote.subnets);
        localAndRemoteApart(at, t.local.subnets, t.remote.subnets);
        auth(at + ".auth", t.auth);
        if (t.ike != null) {
            duration(at + ".ike.rekeyAfter", t.ike.rekeyAfter, MIN_REKEY_AFTER, false);
            if (t.ike.dpd != null) {
                duration(at + ".ike.dpd.interval", t.ike.dpd.interval, MIN_DPD_INTERVAL, true);
                duration(at + ".ike.dpd.timeout", t.ike.dpd.timeout, MIN_DPD_TIMEOUT, false);
            }
            nonEmpty(at + ".ike.proposals", t.ike.proposals);
        }
        if (t.esp != null) {
            duration(at + ".esp.rekeyAfter", t.esp.rekeyAfter, MIN_REKEY_AFTER, false);
            positive(at + ".esp.rekeyBytes", t.esp.rekeyBytes);
            positive(at + ".esp.rekeyPackets", t.esp.rekeyPackets);
            nonEmpty(at + ".esp.proposals", t.esp.proposals);
        }
        ProposalCheck.check(at, t);
    }

    private static void auth(String at, TunnelSpec.Auth a) throws ConfigException {
        int methods = (a.psk != null ? 1 : 0) + (a.certificate != null ? 1 : 0);
        if (methods != 1) {
            throw new ConfigException(at, "set exactly one of psk or certificate");
        }
        if (a.psk != null) {
            TunnelSpec.Psk p = a.psk;
            int sources = (p.secretRef != null ? 1 : 0) + (p.file != null ? 1 : 0) + (p.value != null ? 1 : 0)
                    + (p.hex != null ? 1 : 0);
            if (sources != 1) {
                throw new ConfigException(at + ".psk", "set exactly one of secretRef, file, value or hex");
            }
            if (p.value != null) {
                Psks.checkKey(at + ".psk.value", p.value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            if (p.hex != null) {
                Psks.fromHex(at + ".psk.hex", p.hex);
            }
        }
    }

    static void required(String field, Object v) throws ConfigException {
        if (v == null) {
            throw new ConfigException(field, "is required");
        }
    }

    private static void positive(String field, Long v) throws ConfigException {
        if (v != null && v < 1) {
            throw new ConfigException(field, v + " must be at least 1 (leave it out for no limit)");
        }
    }

    private static void nonEmpty(String field, List<?> v) throws ConfigException {
        if (v == null || v.isEmpty()) {
            throw new ConfigException(field, "needs at least one entry");
        }
    }

    private static void port(String field, Integer p) throws ConfigException {
        if (p == null || p < 1 || p > 65535) {
            throw new ConfigException(field, "must be a port number 1..65535, got " + p);
        }
    }

    private static void address(String field, String a) throws ConfigException {
        try {
            Cidr.parseAddress(a);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(field, e.getMessage());
        }
    }

    private static void identity(String field, String id) throws ConfigException {
        if (id == null || id.isBlank()) {
            throw new ConfigException(field, "is required");
        }
    }

    /** A duration within [min, MAX_DURATION]; {@code zeroTurnsOff}: 0s is allowed too (the feature is off). */
    private static void duration(String field, String d, Duration min, boolean zeroTurnsOff) throws ConfigException {
        if (d == null) {
            return;
        }
        Duration value;
        try {
            value = Durations.parse(d);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(field, e.getMessage());
        }
        if (zeroTurnsOff && value.isZero()) {
            return;
        }
        if (value.compareTo(min) < 0) {
            throw new ConfigException(field, d + " is shorter than the minimum of " + Durations.format(min)
                    + (zeroTurnsOff ? " (0s turns it off)" : ""));
        }
        if (value.compareTo(MAX_DURATION) > 0) {
            throw new ConfigException(field, d + " is longer than the maximum of " + Durations.format(MAX_DURATION));
        }
    }

    /** A peer the listening socket cannot send to would stay Connecting forever: IPv6 peers need an IPv6 listener. */
    private static void sameFamily(String field, String peer, String listen) throws ConfigException {
        InetAddress p = Cidr.parseAddress(peer);
        InetAddress l = Cidr.parseAddress(listen);
        boolean dualStack = l instanceof java.net.Inet6Address && l.isAnyLocalAddress(); // "::" also takes IPv4
        if (p.getClass() != l.getClass() && !dualStack) {
            throw new ConfigException(field, "is an " + family(p) + " address, but listen.address " + listen + " is "
                    + family(l) + " (listen on " + (p instanceof java.net.Inet6Address ? ":: or an IPv6 address" : "an IPv4 address or ::") + ")");
        }
    }

    private static String family(InetAddress a) {
        return a instanceof java.net.Inet6Address ? "IPv6" : "IPv4";
    }

    /**
     * Local and remote subnets of a tunnel must not overlap: remote subnets are routed into the tunnel, so an overlap
     * would send the local network's own traffic to the peer.
     */
    private static void localAndRemoteApart(String at, List<String> local, List<String> remote) throws ConfigException {
        List<Cidr> locals = new ArrayList<>();
        local.forEach(l -> locals.add(Cidr.parse(l)));
        for (int i = 0; i < remote.size(); i++) {
            Cidr r = Cidr.parse(remote.get(i));
            for (int j = 0; j < locals.size(); j++) {
                if (r.overlaps(locals.get(j))) {
                    throw new ConfigException(ConfigException.Kind.SUBNET_OVERLAP, at + ".remote.subnets[" + i + "]",
                            r + " overlaps " + locals.get(j) + " of local.subnets[" + j + "]");
                }
            }
        }
    }

    private static void subnets(String field, List<String> subnets) throws ConfigException {
        nonEmpty(field, subnets);
        for (int i = 0; i < subnets.size(); i++) {
            try {
                Cidr.parse(subnets.get(i));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(field + "[" + i + "]", e.getMessage());
            }
        }
    }
}
