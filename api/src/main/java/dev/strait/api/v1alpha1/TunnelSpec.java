package dev.strait.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** One site-to-site tunnel: who the peer is, what each side carries, how to authenticate and which algorithms. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TunnelSpec {
    /** Schema-level shape of an IPv4 or IPv6 CIDR; host bits and ranges are checked by the validators. */
    public static final String CIDR_PATTERN = "^(([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*/[0-9]{1,3})$";

    @Required
    @JsonPropertyDescription("The IPsecGateway that carries this tunnel (operator only; ignored by the gateway's YAML)")
    public GatewayRef gatewayRef;

    @Required
    @JsonPropertyDescription("The remote IKEv2 peer")
    public Peer peer = new Peer();

    @Required
    @JsonPropertyDescription("This side: identity and the subnets it offers")
    public Local local = new Local();

    @Required
    @JsonPropertyDescription("The remote side's subnets")
    public Remote remote = new Remote();

    @Required
    @JsonPropertyDescription("How both sides authenticate: exactly one of psk or certificate")
    public Auth auth = new Auth();

    @JsonPropertyDescription("IKE SA settings")
    public Ike ike = new Ike();

    @JsonPropertyDescription("ESP (Child SA) settings")
    public Esp esp = new Esp();

    @JsonPropertyDescription("Start: initiate at once and keep the tunnel up; OnTraffic: initiate on the first packet; Passive: wait for the peer")
    public Initiation initiation = Initiation.Start;

    @JsonPropertyDescription("Auto: UDP 4500 encapsulation when a NAT is detected; Always: force UDP encapsulation")
    public Encapsulation encapsulation = Encapsulation.Auto;

    @JsonPropertyDescription("Allow SHA-1 based algorithms for legacy peers (DES, 3DES, Blowfish, MD5 and MODP < 2048 are never allowed)")
    public Boolean legacyAlgorithms = Boolean.FALSE;

    public enum Initiation { Start, OnTraffic, Passive }

    public enum Encapsulation { Auto, Always }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class GatewayRef {
        @Required
        public String name;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Peer {
        @JsonPropertyDescription("The peer's IP address; omit to accept the peer from any address (responder only)")
        public String address;
        @io.fabric8.generator.annotation.Min(1)
        @io.fabric8.generator.annotation.Max(65535)
        @JsonPropertyDescription("The peer's UDP port for IKE (default 500)")
        public Integer port;
        @Required
        @JsonPropertyDescription("The peer's IKE identity: an FQDN, an IPv4/IPv6 address, user@domain (RFC822) or a DN (C=..,O=..,CN=..)")
        public String id;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Local {
        @Required
        @JsonPropertyDescription("This side's IKE identity (same forms as peer.id)")
        public String id;
        @JsonPropertyDescription("Subnets on this side that the tunnel carries (CIDR); left out, the operator uses the "
                + "cluster's pod CIDR (the union of the Nodes' podCIDRs)")
        public java.util.List<@io.fabric8.generator.annotation.Pattern(CIDR_PATTERN) String> subnets = new java.util.ArrayList<>();
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Remote {
        @Required
        @JsonPropertyDescription("Subnets on the remote side that the tunnel carries (CIDR)")
        public java.util.List<@io.fabric8.generator.annotation.Pattern(CIDR_PATTERN) String> subnets = new java.util.ArrayList<>();
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Auth {
        @JsonPropertyDescription("Pre-shared key authentication (RFC 7296 section 2.15)")
        public Psk psk;
        @JsonPropertyDescription("Certificate authentication (RFC 7427)")
        public Certificate certificate;
    }

    /** A PSK comes from exactly one of: a Kubernetes Secret (operator), a file, or an inline value (local testing). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Psk {
        @JsonPropertyDescription("Secret and key that hold the PSK (operator)")
        public SecretKeyRef secretRef;
        @JsonPropertyDescription("Path of a file that holds the PSK (gateway YAML)")
        public String file;
        @JsonPropertyDescription("The PSK itself (gateway YAML; for local testing)")
        public String value;
        @JsonPropertyDescription("The PSK as hexadecimal bytes, for keys that are not text (gateway YAML; the operator writes "
                + "it for a Secret whose bytes are not UTF-8, such as strongSwan's 0x... PSKs stored decoded)")
        public String hex;

        @Override
        public String toString() {
            return "Psk{secretRef=" + (secretRef == null ? null : secretRef.name) + ", file=" + file
                    + ", value=" + (value == null ? null : "<redacted>") + ", hex=" + (hex == null ? null : "<redacted>") + "}";
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Certificate {
        @JsonPropertyDescription("kubernetes.io/tls Secret with tls.crt, tls.key and optional ca.crt (operator)")
        public SecretRef secretRef;
        @JsonPropertyDescription("Secret with ca.crt: the CA(s) that sign the peer's certificate (operator)")
        public SecretRef caSecretRef;
        @JsonPropertyDescription("PEM file with this side's certificate chain (gateway YAML)")
        public String certFile;
        @JsonPropertyDescription("PKCS#8 PEM file with this side's private key (gateway YAML)")
        public String keyFile;
        @JsonPropertyDescription("PEM file with the trusted CA certificates (gateway YAML)")
        public String caFile;
        @JsonPropertyDescription("Optional CRL file (PEM or DER)")
        public String crlFile;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class SecretKeyRef {
        @Required
        public String name;
        @Required
        public String key;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class SecretRef {
        @Required
        public String name;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Ike {
        @JsonPropertyDescription("IKE proposals in strongSwan syntax, most preferred first, e.g. aes256gcm16-prfsha384-modp3072")
        public java.util.List<String> proposals = new java.util.ArrayList<>(java.util.List.of("aes256gcm16-prfsha384-x25519", "aes256gcm16-prfsha384-ecp384", "aes256gcm16-prfsha384-modp3072"));
        @io.fabric8.generator.annotation.Pattern(Durations.PATTERN)
        @JsonPropertyDescription("Rekey the IKE SA after this long (jittered), e.g. 4h")
        public String rekeyAfter = "4h";
        @JsonPropertyDescription("Dead peer detection")
        public Dpd dpd = new Dpd();
        @JsonPropertyDescription("Offer IKE fragmentation (RFC 7383)")
        public Boolean fragmentation = Boolean.TRUE;
        @JsonPropertyDescription("How we initiate (RFC 6023): Never puts the first Child SA in IKE_AUTH; Prefer leaves it "
                + "out when the peer announced CHILDLESS_IKEV2_SUPPORTED and creates every Child SA with CREATE_CHILD_SA; "
                + "Force always leaves it out and fails when the peer did not announce support. As responder, "
                + "childless IKE_AUTH is always accepted")
        public Childless childless = Childless.Never;
    }

    public enum Childless { Never, Prefer, Force }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Dpd {
        @io.fabric8.generator.annotation.Pattern(Durations.PATTERN)
        @JsonPropertyDescription("Probe the peer after this long without inbound traffic; 0s disables")
        public String interval = "30s";
        @io.fabric8.generator.annotation.Pattern(Durations.PATTERN)
        @JsonPropertyDescription("Declare the peer dead when probes go unanswered this long")
        public String timeout = "120s";
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Esp {
        @JsonPropertyDescription("ESP proposals in strongSwan syntax, e.g. aes256gcm16 or aes256gcm16-modp3072 (PFS)")
        public java.util.List<String> proposals = new java.util.ArrayList<>(java.util.List.of("aes256gcm16", "chacha20poly1305"));
        @io.fabric8.generator.annotation.Pattern(Durations.PATTERN)
        @JsonPropertyDescription("Rekey Child SAs after this long (jittered), e.g. 1h")
        public String rekeyAfter = "1h";
        @io.fabric8.generator.annotation.Min(1)
        @JsonPropertyDescription("Also rekey a Child SA once either direction carried this many bytes (jittered down by up to 10%; replaced 10% above if the rekey fails); default: no byte limit")
        public Long rekeyBytes;
        @io.fabric8.generator.annotation.Min(1)
        @JsonPropertyDescription("Also rekey a Child SA once either direction carried this many packets (like rekeyBytes); default: no packet limit")
        public Long rekeyPackets;
        @JsonPropertyDescription("How the tunnel's subnet pairs map to Child SAs: Combined carries every local/remote pair in one "
                + "Child SA; PerSubnetPair keeps one pair per Child SA, as strongSwan children, Libreswan and many appliances "
                + "and cloud VPN gateways do: as initiator the first pair goes in IKE_AUTH and each further pair gets its own "
                + "CREATE_CHILD_SA; as responder a peer's request is narrowed to its first pair")
        public ChildSas childSas = ChildSas.Combined;
    }

    public enum ChildSas { Combined, PerSubnetPair }
}
