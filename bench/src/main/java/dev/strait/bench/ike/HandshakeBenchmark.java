package dev.strait.bench.ike;

import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.datapath.NoopDatapath;
import dev.strait.gateway.datapath.spi.ChildSaSpec;
import dev.strait.gateway.datapath.spi.Datapath;
import dev.strait.gateway.ike.sa.EngineListener;
import dev.strait.gateway.ike.sa.IkeEngine;
import dev.strait.gateway.ike.sa.Transport;
import dev.strait.gateway.ike.sa.TunnelDefinition;
import dev.strait.gateway.testing.PskTunnels;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Full IKE_SA_INIT (+ IKE_INTERMEDIATE for hybrids) + IKE_AUTH with the first Child SA, between an initiator and a
 * responder engine in one JVM, messages passed in memory (no sockets). One invocation = one handshake and the
 * INFORMATIONAL DELETE that tears it down again, so both engines return to the same state.
 *
 * <pre>
 * ./mvnw -B -ntp -q -pl bench -am package -DskipTests
 * java -jar bench/target/benchmarks.jar HandshakeBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HandshakeBenchmark {
    private static final InetSocketAddress A = new InetSocketAddress("192.0.2.1", 500);
    private static final InetSocketAddress B = new InetSocketAddress("192.0.2.2", 500);
    private static final String PSK = "benchmark-psk-not-secret-0123456789";

    /** auth-group: psk or a certificate key type, and the IKE proposal. */
    @Param({"psk-x25519", "psk-ecp256", "psk-modp3072", "ecdsa256-x25519", "rsa3072-x25519", "psk-x25519-mlkem768"})
    public String scenario;

    private IkeEngine initiator;
    private IkeEngine responder;
    private TunnelDefinition initiatorTunnel;
    private final Semaphore initiatorInstalled = new Semaphore(0);
    private final Semaphore responderRemoved = new Semaphore(0);
    private Path dir;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        String proposal = switch (scenario) {
            case "psk-ecp256" -> "aes256gcm16-prfsha256-ecp256";
            case "psk-modp3072" -> "aes256gcm16-prfsha256-modp3072";
            case "psk-x25519-mlkem768" -> "aes256gcm16-prfsha256-x25519-ke1_mlkem768";
            default -> "aes256gcm16-prfsha256-x25519";
        };
        dir = Files.createTempDirectory("strait-handshake-bench");
        TunnelConfig a = tunnel("b", "a.bench", "b.bench", "10.1.0.0/24", "10.2.0.0/24", B, TunnelSpec.Initiation.Start, proposal);
        TunnelConfig b = tunnel("a", "b.bench", "a.bench", "10.2.0.0/24", "10.1.0.0/24", A, TunnelSpec.Initiation.Passive, proposal);
        if (!scenario.startsWith("psk")) {
            String keyType = scenario.startsWith("rsa") ? "RSA" : "EC";
            KeyPair caKey = key("EC");
            X509Certificate ca = cert("CN=Bench CA", caKey, null, caKey.getPrivate());
            a.auth.psk = null;
            a.auth.certificate = certFiles("a", "a.bench", key(keyType), ca, caKey);
            b.auth.psk = null;
            b.auth.certificate = certFiles("b", "b.bench", key(keyType), ca, caKey);
        }
        initiator = engine(A);
        responder = engine(B);
        InMemory toResponder = new InMemory(A);
        InMemory toInitiator = new InMemory(B);
        toResponder.peer = toInitiator;
        toInitiator.peer = toResponder;
        initiator.start(installs(initiatorInstalled, null), toResponder);
        responder.start(installs(null, responderRemoved), toInitiator);
        responder.apply(List.of(TunnelDefinition.from(b)));
        initiatorTunnel = TunnelDefinition.from(a);
    }

    @Benchmark
    public void handshake() throws Exception {
        initiator.apply(List.of(initiatorTunnel));
        if (!initiatorInstalled.tryAcquire(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("no Child SA within 10 s: " + initiator.snapshot());
        }
        initiator.apply(List.of());
        if (!responderRemoved.tryAcquire(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the responder never saw the DELETE");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        initiator.close();
        responder.close();
        try (var files = Files.list(dir)) {
            files.forEach(p -> p.toFile().delete());
        }
        Files.deleteIfExists(dir);
    }

    private static InetSocketAddress port(InetSocketAddress a, boolean natt) {
        return natt ? new InetSocketAddress(a.getAddress(), 4500) : a;
    }

    /** One engine's end of an in-process link to the other: what it sends is the other's to receive. */
    private static final class InMemory implements Transport {
        private final InetSocketAddress self;
        private volatile InMemory peer;
        private volatile Receiver receiver;

        InMemory(InetSocketAddress self) {
            this.self = self;
        }

        @Override
        public void start(Receiver r) {
            receiver = r;
        }

        @Override
        public void send(byte[] message, InetSocketAddress to, boolean viaNatt) {
            peer.receiver.receive(message.clone(), port(self, viaNatt), viaNatt);
        }

        @Override
        public void sendNatKeepalive(InetSocketAddress to) {
        }

        @Override
        public int ikePort() {
            return 500;
        }

        @Override
        public int nattPort() {
            return 4500;
        }

        @Override
        public InetSocketAddress localAddressFor(InetSocketAddress peerAddress, int port) {
            return new InetSocketAddress(self.getAddress(), port);
        }

        @Override
        public void close() {
        }
    }

    private static IkeEngine engine(InetSocketAddress bind) {
        return new IkeEngine(new IkeEngine.Settings(bind, 4500, true, List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)),
                Duration.ofSeconds(1)), EngineListener.NONE);
    }

    private static TunnelConfig tunnel(String name, String localId, String peerId, String local, String remote,
            InetSocketAddress peer, TunnelSpec.Initiation initiation, String proposal) {
        return PskTunnels.tunnel(name, peer.getAddress().getHostAddress(), localId, peerId, local, remote, proposal,
                "aes256gcm16", initiation, PSK);
    }

    /** A datapath that only signals Child SA installs and removals. */
    private static Datapath installs(Semaphore installed, Semaphore removed) {
        return new NoopDatapath() {
            @Override
            public void installChildSa(ChildSaSpec sa, Outbound outbound) {
                if (installed != null) {
                    installed.release();
                }
            }

            @Override
            public void removeChildSa(int inboundSpi) {
                if (removed != null) {
                    removed.release();
                }
            }

        };
    }

    private static KeyPair key(String type) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(type);
        if (type.equals("RSA")) {
            g.initialize(3072);
        } else {
            g.initialize(new ECGenParameterSpec("secp256r1"));
        }
        return g.generateKeyPair();
    }

    private static X509Certificate cert(String subject, KeyPair key, String dns, PrivateKey issuerKey) throws Exception {
        Instant now = Instant.now();
        var b = new JcaX509v3CertificateBuilder(new X500Name("CN=Bench CA"), BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(3600)), Date.from(now.plus(Duration.ofDays(2))), new X500Name(subject), key.getPublic());
        if (dns == null) {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        } else {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, dns)));
        }
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    }

    private TunnelSpec.Certificate certFiles(String prefix, String id, KeyPair key, X509Certificate ca, KeyPair caKey) throws Exception {
        TunnelSpec.Certificate c = new TunnelSpec.Certificate();
        c.certFile = Files.writeString(dir.resolve(prefix + "-cert.pem"), pem(cert("CN=" + id, key, id, caKey.getPrivate()))).toString();
        c.keyFile = Files.writeString(dir.resolve(prefix + "-key.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n").toString();
        c.caFile = Files.writeString(dir.resolve(prefix + "-ca.pem"), pem(ca)).toString();
        return c;
    }

    private static String pem(Object o) throws Exception {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o);
        }
        return sw.toString();
    }
}
