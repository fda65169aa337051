package dev.strait.gateway.config;

import dev.strait.api.v1alpha1.Durations;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Checks a parsed gateway config; the first problem found is reported with its field path. */
public final class ConfigValidator {
    /** RFC 7296 leaves PSK strength to the user; short keys are what dictionary attacks on IKE break. */
    public static final int MIN_PSK_BYTES = 16;

    private ConfigValidator() {
    }

    public static void validate(GatewayConfig c) throws ConfigException {
        port("listen.ikePort", c.listen.ikePort);
        port("listen.nattPort", c.listen.nattPort);
        port("admin.port", c.admin.port);
        address("listen.address", c.listen.address);
        if (c.datapath.mtu != null && (c.datapath.mtu < 576 || c.datapath.mtu > 9000)) {
            throw new ConfigException("datapath.mtu", c.datapath.mtu + " is outside 576..9000");
        }
        if (!List.of("Userspace", "None").contains(c.datapath.mode)) {
            throw new ConfigException("datapath.mode", "'" + c.datapath.mode + "' is not one of [Userspace, None]");
        }
        dos(c.ike == null ? null : c.ike.dos);
        if (c.ike != null && c.ike.natKeepalive != null) {
            duration("ike.natKeepalive", c.ike.natKeepalive);
            java.time.Duration k = Durations.parse(c.ike.natKeepalive);
            if (!k.isZero() && (k.compareTo(java.time.Duration.ofSeconds(1)) < 0 || k.compareTo(java.time.Duration.ofHours(1)) > 0)) {
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
                throw new ConfigException(at + ".name", "must be 1-63 letters, digits, '-', '_' or '.', got '" + t.name + "'");
            }
            if (!names.add(t.name)) {
                throw new ConfigException(at + ".name", "'" + t.name + "' is used by another tunnel");
            }
            tunnel(at, t);
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

    /** Validates one tunnel (also used by the operator before it renders a tunnel into a gateway config). */
    public static void tunnel(String at, TunnelSpec t) throws ConfigException {
        required(at + ".peer", t.peer);
        required(at + ".local", t.local);
        required(at + ".remote", t.remote);
        required(at + ".auth", t.auth);
        identity(at + ".peer.id", t.peer.id);
        identity(at + ".local.id", t.local.id);
        if (t.peer.address != null) {
            address(at + ".peer.address", t.peer.address);
        } else if (t.initiation != TunnelSpec.Initiation.Passive) {
            throw new ConfigException(at + ".peer.address",
                    "is required unless initiation is Passive (an initiator must know whom to call)");
        }
        if (t.peer.port != null) {
            port(at + ".peer.port", t.peer.port);
        }
        subnets(at + ".local.subnets", t.local.subnets);
        subnets(at + ".remote.subnets", t.remote.subnets);
        auth(at + ".auth", t.auth);
        if (t.ike != null) {
            duration(at + ".ike.rekeyAfter", t.ike.rekeyAfter);
            if (t.ike.dpd != null) {
                duration(at + ".ike.dpd.interval", t.ike.dpd.interval);
                duration(at + ".ike.dpd.timeout", t.ike.dpd.timeout);
            }
            nonEmpty(at + ".ike.proposals", t.ike.proposals);
        }
        if (t.esp != null) {
            duration(at + ".esp.rekeyAfter", t.esp.rekeyAfter);
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
            if (p.value != null && Psks.utf8Length(p.value) < MIN_PSK_BYTES) {
                throw new ConfigException(at + ".psk.value", "is shorter than " + MIN_PSK_BYTES + " bytes");
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

    private static void duration(String field, String d) throws ConfigException {
        if (d == null) {
            return;
        }
        try {
            Durations.parse(d);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(field, e.getMessage());
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
