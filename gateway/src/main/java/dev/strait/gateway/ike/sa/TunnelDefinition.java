package dev.strait.gateway.ike.sa;

import dev.strait.api.net.Cidr;
import dev.strait.api.v1alpha1.Durations;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.api.validation.ConfigException;
import dev.strait.api.validation.Psks;
import dev.strait.gateway.config.ConfigFiles;
import dev.strait.gateway.ike.auth.CertificateAuthentication;
import dev.strait.gateway.ike.auth.CertificateCredentials;
import dev.strait.gateway.ike.auth.CredentialException;
import dev.strait.gateway.ike.auth.Identity;
import dev.strait.gateway.ike.auth.SignatureScheme;
import dev.strait.gateway.ike.crypto.EspProposal;
import dev.strait.gateway.ike.crypto.IkeProposal;
import dev.strait.gateway.ike.crypto.ProposalParser;
import dev.strait.gateway.ike.message.IkePorts;
import dev.strait.gateway.ike.message.Payload.TrafficSelector;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/** A validated tunnel ready for the engine: parsed identities, proposals, subnets and the resolved PSK. */
public record TunnelDefinition(
        String name,
        InetAddress peerAddress,
        int peerPort,
        Identity localId,
        Identity peerId,
        /** The resolved PSK, or null for a certificate tunnel. */
        byte[] psk,
        /** Certificate authentication (RFC 7427), or null for a PSK tunnel. */
        CertificateAuthentication certificates,
        List<IkeProposal> ikeProposals,
        List<EspProposal> espProposals,
        List<Cidr> localSubnets,
        List<Cidr> remoteSubnets,
        TunnelSpec.Initiation initiation,
        boolean forceEncapsulation,
        Duration dpdInterval,
        Duration dpdTimeout,
        Duration ikeRekeyAfter,
        Duration childRekeyAfter,
        /** Byte/packet lifetimes of the Child SAs (esp.rekeyBytes, esp.rekeyPackets); NONE when only time counts. */
        VolumeLimits childVolume,
        /** Offer IKE fragmentation (RFC 7383) in IKE_SA_INIT; default true. */
        boolean fragmentation,
        /** Whether our IKE_AUTH requests leave the first Child SA out (RFC 6023). */
        TunnelSpec.Childless childless,
        /** Whether each subnet pair gets its own Child SA (esp.childSas PerSubnetPair) or one Child SA carries them all. */
        TunnelSpec.ChildSas childSas,
        String namespace,
        Long generation,
        /** Digest of everything above: an unchanged tunnel keeps its SAs across a config reload. */
        String fingerprint) {

    public static TunnelDefinition from(TunnelConfig t) throws ConfigException {
        return from(t, ConfigFiles.DISK);
    }

    /** @param files where the certificate, key, CA and CRL files the tunnel names are read from */
    public static TunnelDefinition from(TunnelConfig t, ConfigFiles files) throws ConfigException {
        String at = "tunnels[" + t.name + "]";
        boolean legacy = Boolean.TRUE.equals(t.legacyAlgorithms);
        List<IkeProposal> ike;
        List<EspProposal> esp;
        try {
            ike = t.ike.proposals.stream().flatMap(p -> ProposalParser.parseIkeVariants(p, legacy).stream()).toList();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(at + ".ike.proposals", e.getMessage());
        }
        try {
            esp = t.esp.proposals.stream().flatMap(p -> ProposalParser.parseEspVariants(p, legacy).stream()).toList();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(at + ".esp.proposals", e.getMessage());
        }
        Identity localId;
        Identity peerId;
        try {
            localId = Identity.parse(t.local.id);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(at + ".local.id", e.getMessage());
        }
        try {
            peerId = Identity.parse(t.peer.id);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(at + ".peer.id", e.getMessage());
        }
        if ((t.auth.psk == null) == (t.auth.certificate == null)) {
            throw new ConfigException(at + ".auth", "set exactly one of psk and certificate");
        }
        byte[] psk = t.auth.psk == null ? null : Psks.resolve(at + ".auth.psk", t.auth.psk);
        CertificateAuthentication certificates = t.auth.certificate == null ? null
                : loadCertificates(at + ".auth.certificate", t.auth.certificate, localId, files);
        InetAddress peer = t.peer.address == null ? null : Cidr.parseAddress(t.peer.address);
        List<Cidr> local = t.local.subnets.stream().map(Cidr::parse).toList();
        List<Cidr> remote = t.remote.subnets.stream().map(Cidr::parse).toList();
        Duration dpdInterval = t.ike.dpd == null ? Duration.ZERO : Durations.parse(t.ike.dpd.interval);
        Duration dpdTimeout = t.ike.dpd == null ? Duration.ofSeconds(120) : Durations.parse(t.ike.dpd.timeout);
        String fingerprint = fingerprint(t, psk);
        return new TunnelDefinition(t.name, peer, t.peer.port == null ? IkePorts.IKE : t.peer.port, localId, peerId, psk, certificates, ike, esp,
                local, remote, t.initiation, t.encapsulation == TunnelSpec.Encapsulation.Always, dpdInterval, dpdTimeout,
                Durations.parse(t.ike.rekeyAfter), Durations.parse(t.esp.rekeyAfter), VolumeLimits.of(t.esp.rekeyBytes, t.esp.rekeyPackets),
                !Boolean.FALSE.equals(t.ike.fragmentation),
                t.ike.childless == null ? TunnelSpec.Childless.Never : t.ike.childless,
                t.esp.childSas == null ? TunnelSpec.ChildSas.Combined : t.esp.childSas,
                t.namespace, t.generation, fingerprint);
    }

    /**
     * Loads and checks our certificate, key and CAs. The file contents are not part of the fingerprint: a renewed
     * certificate (same paths) is picked up for new IKE SAs without tearing the tunnel down.
     */
    static CertificateAuthentication loadCertificates(String at, TunnelSpec.Certificate spec, Identity localId,
            ConfigFiles files) throws ConfigException {
        for (var f : new String[][] {{"certFile", spec.certFile}, {"keyFile", spec.keyFile}, {"caFile", spec.caFile}}) {
            if (f[1] == null || f[1].isBlank()) {
                throw new ConfigException(at + "." + f[0], "is required for certificate authentication in the gateway YAML");
            }
        }
        CertificateCredentials creds;
        try {
            creds = CertificateCredentials.fromSpec(spec, files);
        } catch (CredentialException e) {
            throw new ConfigException(at + ".certFile", e.getMessage());
        }
        if (!creds.certifies(localId)) {
            throw new ConfigException(at + ".certFile", "certificate " + creds.endEntity().getSubjectX500Principal().getName()
                    + " does not certify local.id '" + localId + "' (must be its subject DN or a subjectAltName)");
        }
        return new CertificateAuthentication(creds, Clock.systemUTC(), SignatureScheme.RsaPadding.PSS);
    }

    /** Some proposal asks for RFC 9370 additional key exchanges (IKE_INTERMEDIATE). */
    public boolean offersAdditionalKes() {
        return ikeProposals.stream().anyMatch(p -> !p.additionalKes().isEmpty());
    }

    /** How this tunnel authenticates: certificates (RFC 7427) when configured, else the PSK. */
    public dev.strait.gateway.ike.auth.Authenticator authenticator() {
        return certificates != null ? certificates : new dev.strait.gateway.ike.auth.PskAuthenticator(psk);
    }

    /** This tunnel authenticates with certificates (RFC 7427) rather than a PSK. */
    public boolean usesCertificates() {
        return certificates != null;
    }

    private static String fingerprint(TunnelConfig t, byte[] psk) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            String shape = dev.strait.gateway.config.ConfigLoader.yaml().writeValueAsString(withoutSecrets(t));
            d.update(shape.getBytes(StandardCharsets.UTF_8));
            if (psk != null) {
                d.update(psk);
            }
            return HexFormat.of().formatHex(d.digest(), 0, 12);
        } catch (Exception e) {
            throw new IllegalStateException("cannot fingerprint tunnel " + t.name, e);
        }
    }

    private static TunnelConfig withoutSecrets(TunnelConfig t) throws java.io.IOException {
        var mapper = dev.strait.gateway.config.ConfigLoader.yaml();
        TunnelConfig copy = mapper.readValue(mapper.writeValueAsBytes(t), TunnelConfig.class);
        copy.auth.psk = null;
        copy.generation = null;
        return copy;
    }

    /**
     * Our answer to one side of a peer's Child SA traffic selectors (RFC 7296 section 2.9): every intersection with
     * allowed, so one Child SA carries everything both sides allow; with PerSubnetPair only the first, as strongSwan does
     * with one subnet pair per {@code children} section and as many appliances do (the initiator then needs an
     * additional Child SA per pair).
     */
    List<TrafficSelector> narrowAnswer(List<TrafficSelector> proposed, List<Cidr> allowed) {
        List<TrafficSelector> all = TrafficSelectors.narrow(proposed, allowed);
        return childSas == TunnelSpec.ChildSas.PerSubnetPair && all.size() > 1 ? List.of(all.getFirst()) : all;
    }

    /** What the first Child SA proposes: every subnet, or with PerSubnetPair the first pair (the rest by CREATE_CHILD_SA). */
    List<Cidr> firstChildLocalSubnets() {
        return childSas == TunnelSpec.ChildSas.PerSubnetPair ? localSubnets.subList(0, 1) : localSubnets;
    }

    /** The remote side of {@link #firstChildLocalSubnets}. */
    List<Cidr> firstChildRemoteSubnets() {
        return childSas == TunnelSpec.ChildSas.PerSubnetPair ? remoteSubnets.subList(0, 1) : remoteSubnets;
    }

    public boolean passive() {
        return initiation == TunnelSpec.Initiation.Passive || peerAddress == null;
    }

    @Override
    public String toString() {
        return "TunnelDefinition[" + name + " peer=" + peerAddress + " id=" + peerId + " fingerprint=" + fingerprint + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TunnelDefinition d && d.name.equals(name) && d.fingerprint.equals(fingerprint);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + fingerprint.hashCode();
    }

    String describePsk() {
        return psk == null ? "certificate" : "psk(" + psk.length + " bytes)";
    }
}
