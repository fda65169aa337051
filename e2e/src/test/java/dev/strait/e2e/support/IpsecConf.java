package dev.strait.e2e.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Libreswan's ipsec.conf and ipsec.secrets for one site: IKEv2 with a PSK, one or more conns between the same two
 * gateways (each with its own proposals), all loaded with {@code auto=add}, so nothing starts before the test says
 * {@code whack --initiate}. Proposals are in Libreswan's syntax ({@code aes_gcm256-sha2_384;modp3072}).
 */
public final class IpsecConf {
    /** One conn: its name and proposals. */
    public record Conn(String name, String ike, String esp) {
        public Conn {
            Objects.requireNonNull(name);
            Objects.requireNonNull(ike);
            Objects.requireNonNull(esp);
        }
    }

    private final String local;
    private final String localId;
    private final String localSubnet;
    private final String remote;
    private final String remoteId;
    private final String remoteSubnet;
    private final String psk;
    private final List<Conn> conns;

    private IpsecConf(Builder b) {
        local = Objects.requireNonNull(b.local, "local");
        localId = Objects.requireNonNull(b.localId, "localId");
        localSubnet = Objects.requireNonNull(b.localSubnet, "localSubnet");
        remote = Objects.requireNonNull(b.remote, "remote");
        remoteId = Objects.requireNonNull(b.remoteId, "remoteId");
        remoteSubnet = Objects.requireNonNull(b.remoteSubnet, "remoteSubnet");
        psk = Objects.requireNonNull(b.psk, "psk");
        if (b.conns.isEmpty()) {
            throw new IllegalArgumentException("no conn");
        }
        conns = List.copyOf(b.conns);
        if (psk.contains("\"") || psk.contains("\n")) {
            throw new IllegalArgumentException("the PSK cannot be written as a quoted ipsec.secrets string");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Site B towards site A, with the ids the gateway configs use (site-b.test / site-a.test) and one conn. */
    public static Builder siteB(Sites s, String psk, Conn conn) {
        return builder().local(s.transitB(), "site-b.test", s.lanSubnetB()).remote(s.transitA(), "site-a.test", s.lanSubnetA())
                .psk(psk).conn(conn);
    }

    public List<Conn> conns() {
        return conns;
    }

    public String renderConf() {
        StringBuilder b = new StringBuilder("# written by the e2e tests (IpsecConf)\nconfig setup\n    uniqueids=yes\n");
        for (Conn c : conns) {
            b.append("\nconn ").append(c.name()).append('\n')
                    .append("    ikev2=insist\n")
                    .append("    authby=secret\n")
                    .append("    left=").append(local).append('\n')
                    .append("    leftid=@").append(localId).append('\n')
                    .append("    leftsubnet=").append(localSubnet).append('\n')
                    .append("    right=").append(remote).append('\n')
                    .append("    rightid=@").append(remoteId).append('\n')
                    .append("    rightsubnet=").append(remoteSubnet).append('\n')
                    .append("    ike=").append(c.ike()).append('\n')
                    .append("    esp=").append(c.esp()).append('\n')
                    // no routes or firewall rules in the namespace: the Child SA cannot be installed here anyway
                    .append("    leftupdown=%disabled\n")
                    .append("    auto=add\n");
        }
        return b.toString();
    }

    public String renderSecrets() {
        return "@" + localId + " @" + remoteId + " : PSK \"" + psk + "\"\n";
    }

    public static final class Builder {
        private String local;
        private String localId;
        private String localSubnet;
        private String remote;
        private String remoteId;
        private String remoteSubnet;
        private String psk;
        private final List<Conn> conns = new ArrayList<>();

        public Builder local(String address, String id, String subnet) {
            local = address;
            localId = id;
            localSubnet = subnet;
            return this;
        }

        public Builder remote(String address, String id, String subnet) {
            remote = address;
            remoteId = id;
            remoteSubnet = subnet;
            return this;
        }

        public Builder psk(String value) {
            psk = value;
            return this;
        }

        public Builder conn(Conn c) {
            conns.add(c);
            return this;
        }

        public IpsecConf build() {
            return new IpsecConf(this);
        }
    }
}
