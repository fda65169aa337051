package dev.strait.gateway.ike.message;

import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.message.Payload.ConfigAttribute;
import dev.strait.gateway.ike.message.Payload.Proposal;
import dev.strait.gateway.ike.message.Payload.TrafficSelector;
import dev.strait.gateway.ike.message.Payload.Transform;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static dev.strait.gateway.ike.message.Payload.Transform.TYPE_ENCR;
import static dev.strait.gateway.ike.message.Payload.Transform.TYPE_ESN;
import static dev.strait.gateway.ike.message.Payload.Transform.TYPE_INTEG;
import static dev.strait.gateway.ike.message.Payload.Transform.TYPE_KE;
import static dev.strait.gateway.ike.message.Payload.Transform.TYPE_PRF;

/** Realistic IKEv2 messages built from the records, shared by the round-trip, fuzz and tshark tests. */
final class SampleMessages {
    // IANA transform IDs used below
    static final int ENCR_AES_CBC = 12;
    static final int ENCR_AES_GCM_16 = 20;
    static final int ENCR_CHACHA20_POLY1305 = 28;
    static final int PRF_HMAC_SHA2_256 = 5;
    static final int PRF_HMAC_SHA2_384 = 6;
    static final int AUTH_HMAC_SHA2_256_128 = 12;
    static final int MODP_3072 = 15;
    static final int ECP_256 = 19;
    static final int ECP_384 = 20;
    static final int CURVE25519 = 31;
    static final int AUTH_SHARED_KEY = 2;
    static final int AUTH_DIGITAL_SIGNATURE = 14;
    static final int CERT_X509_SIGNATURE = 4;
    static final int CFG_REQUEST = 1;
    static final int CFG_REPLY = 2;
    static final int INTERNAL_IP4_ADDRESS = 1;
    static final int INTERNAL_IP4_DNS = 3;
    static final int INTERNAL_IP6_ADDRESS = 8;

    static final long ISPI = 0x1122334455667788L;
    static final long RSPI = 0x99AABBCCDDEEFF00L;
    static final int I = IkeMessage.FLAG_INITIATOR;
    static final int R = IkeMessage.FLAG_RESPONSE;

    private SampleMessages() {
    }

    /** A named message with the exchange and payload order we expect a dissector to show. */
    record Sample(String name, IkeMessage message) {
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] hex(String h) {
        return HexFormat.of().parseHex(h);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static byte[] testCertificate() {
        try (InputStream in = SampleMessages.class.getResourceAsStream("/ike/test-cert.der")) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Payload.Notify notify(int type, byte[] data) {
        return Payload.Notify.of(type, data);
    }

    static Payload.Sa ikeSaProposals() {
        return new Payload.Sa(List.of(
                new Proposal(1, Proposal.PROTOCOL_IKE, new byte[0], List.of(
                        new Transform(TYPE_ENCR, ENCR_AES_GCM_16, 256),
                        new Transform(TYPE_ENCR, ENCR_AES_GCM_16, 128),
                        new Transform(TYPE_PRF, PRF_HMAC_SHA2_384, null),
                        new Transform(TYPE_KE, CURVE25519, null),
                        new Transform(TYPE_KE, ECP_384, null))),
                new Proposal(2, Proposal.PROTOCOL_IKE, new byte[0], List.of(
                        new Transform(TYPE_ENCR, ENCR_AES_CBC, 256),
                        new Transform(TYPE_INTEG, AUTH_HMAC_SHA2_256_128, null),
                        new Transform(TYPE_PRF, PRF_HMAC_SHA2_256, null),
                        new Transform(TYPE_KE, ECP_256, null),
                        new Transform(TYPE_KE, MODP_3072, null))),
                new Proposal(3, Proposal.PROTOCOL_IKE, new byte[0], List.of(
                        new Transform(TYPE_ENCR, ENCR_CHACHA20_POLY1305, null),
                        new Transform(TYPE_PRF, PRF_HMAC_SHA2_256, null),
                        new Transform(TYPE_KE, CURVE25519, null)))));
    }

    static Payload.Sa espSa(byte[] spi) {
        return new Payload.Sa(List.of(
                new Proposal(1, Proposal.PROTOCOL_ESP, spi, List.of(
                        new Transform(TYPE_ENCR, ENCR_AES_GCM_16, 256),
                        new Transform(TYPE_ESN, 0, null))),
                new Proposal(2, Proposal.PROTOCOL_ESP, spi, List.of(
                        new Transform(TYPE_ENCR, ENCR_AES_CBC, 128),
                        new Transform(TYPE_INTEG, AUTH_HMAC_SHA2_256_128, null),
                        new Transform(TYPE_ESN, 0, null)))));
    }

    static Payload.TrafficSelectors ts(boolean initiator) {
        return new Payload.TrafficSelectors(initiator, List.of(
                new TrafficSelector(TrafficSelector.TS_IPV4_ADDR_RANGE, 0, 0, 65535,
                        hex("0af40000"), hex("0af4ffff")),
                new TrafficSelector(TrafficSelector.TS_IPV4_ADDR_RANGE, 6, 443, 443,
                        hex("c0a80a00"), hex("c0a80aff")),
                new TrafficSelector(TrafficSelector.TS_IPV6_ADDR_RANGE, 17, 500, 4500,
                        hex("20010db8000000000000000000000000"), hex("20010db80000ffffffffffffffffffff"))));
    }

    static List<Sample> all() {
        byte[] natSrc = random(20, 1);
        byte[] natDst = random(20, 2);
        byte[] strongSwanVid = hex("882fe56d6fd20dbc2251613b2ebe5beb");
        byte[] espSpi = hex("c1d2e3f4");

        IkeMessage initRequest = new IkeMessage(ISPI, 0, ExchangeType.IKE_SA_INIT, I, 0, List.of(
                ikeSaProposals(),
                new Payload.KeyExchange(CURVE25519, random(32, 3)),
                new Payload.Nonce(random(32, 4)),
                notify(NotifyType.NAT_DETECTION_SOURCE_IP, natSrc),
                notify(NotifyType.NAT_DETECTION_DESTINATION_IP, natDst),
                notify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED, new byte[0]),
                notify(NotifyType.SIGNATURE_HASH_ALGORITHMS, hex("0002000300040005")),
                new Payload.VendorId(strongSwanVid),
                new Payload.VendorId(ascii("strait-0.1"))));

        IkeMessage initResponse = new IkeMessage(ISPI, RSPI, ExchangeType.IKE_SA_INIT, R, 0, List.of(
                new Payload.Sa(List.of(new Proposal(1, Proposal.PROTOCOL_IKE, new byte[0], List.of(
                        new Transform(TYPE_ENCR, ENCR_AES_GCM_16, 256),
                        new Transform(TYPE_PRF, PRF_HMAC_SHA2_384, null),
                        new Transform(TYPE_KE, ECP_384, null))))),
                new Payload.KeyExchange(ECP_384, random(96, 5)),
                new Payload.Nonce(random(48, 6)),
                notify(NotifyType.NAT_DETECTION_SOURCE_IP, random(20, 7)),
                notify(NotifyType.NAT_DETECTION_DESTINATION_IP, random(20, 8)),
                new Payload.CertReq(CERT_X509_SIGNATURE, random(40, 9)),
                notify(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED, new byte[0]),
                notify(NotifyType.MULTIPLE_AUTH_SUPPORTED, new byte[0]),
                new Payload.VendorId(strongSwanVid)));

        IkeMessage authRequest = new IkeMessage(ISPI, RSPI, ExchangeType.IKE_AUTH, I, 1, List.of(
                new Payload.Identification(true, Payload.Identification.ID_FQDN, ascii("gw-a.strait.test")),
                new Payload.Cert(CERT_X509_SIGNATURE, testCertificate()),
                new Payload.CertReq(CERT_X509_SIGNATURE, random(20, 10)),
                notify(NotifyType.INITIAL_CONTACT, new byte[0]),
                new Payload.Identification(false, Payload.Identification.ID_IPV4_ADDR, hex("cb00710a")),
                new Payload.Auth(AUTH_SHARED_KEY, random(48, 11)),
                new Payload.Configuration(CFG_REQUEST, List.of(
                        new ConfigAttribute(INTERNAL_IP4_ADDRESS, new byte[0]),
                        new ConfigAttribute(INTERNAL_IP4_DNS, new byte[0]))),
                notify(NotifyType.ESP_TFC_PADDING_NOT_SUPPORTED, new byte[0]),
                espSa(espSpi),
                ts(true),
                ts(false),
                notify(NotifyType.MOBIKE_SUPPORTED, new byte[0])));

        IkeMessage authResponse = new IkeMessage(ISPI, RSPI, ExchangeType.IKE_AUTH, R, 1, List.of(
                new Payload.Identification(false, Payload.Identification.ID_IPV6_ADDR,
                        hex("20010db8000000000000000000000001")),
                // RFC 7427: ASN.1 length, AlgorithmIdentifier ecdsa-with-SHA256 (appendix A.4.1), signature value
                new Payload.Auth(AUTH_DIGITAL_SIGNATURE, concat(hex("0c" + "300a06082a8648ce3d040302"), random(72, 12))),
                new Payload.Configuration(CFG_REPLY, List.of(
                        new ConfigAttribute(INTERNAL_IP4_ADDRESS, hex("0a0a0005")),
                        new ConfigAttribute(INTERNAL_IP4_DNS, hex("0a0a0001")))),
                new Payload.Sa(List.of(new Proposal(1, Proposal.PROTOCOL_ESP, hex("a1b2c3d4"), List.of(
                        new Transform(TYPE_ENCR, ENCR_AES_GCM_16, 256),
                        new Transform(TYPE_ESN, 0, null))))),
                ts(true),
                ts(false),
                new Payload.Notify(Proposal.PROTOCOL_ESP, espSpi, NotifyType.REKEY_SA, new byte[0])));

        // EAP-Identity response (RFC 3748): code 2, identifier 1, length 9, type 1, "user"
        IkeMessage eap = new IkeMessage(ISPI, RSPI, ExchangeType.IKE_AUTH, I, 2, List.of(
                new Payload.Eap(hex("0201000901" + "75736572"))));

        IkeMessage delete = new IkeMessage(ISPI, RSPI, ExchangeType.INFORMATIONAL, I, 3, List.of(
                new Payload.Delete(Proposal.PROTOCOL_ESP, 4, List.of(hex("c1d2e3f4"), hex("a1b2c3d4"))),
                new Payload.Delete(Proposal.PROTOCOL_IKE, 0, List.of())));

        IkeMessage sk = new IkeMessage(ISPI, RSPI, ExchangeType.IKE_AUTH, I, 1, List.of(
                new Payload.Encrypted(PayloadType.IDI, random(16 + 208 + 16, 13))));

        IkeMessage skf = new IkeMessage(ISPI, RSPI, ExchangeType.IKE_AUTH, I, 1, List.of(
                new Payload.EncryptedFragment(PayloadType.IDI, 1, 3, random(16 + 512 + 16, 14))));

        IkeMessage intermediate = new IkeMessage(ISPI, RSPI, ExchangeType.IKE_INTERMEDIATE, I, 1, List.of(
                new Payload.Encrypted(PayloadType.KE, random(16 + 1200 + 16, 15))));

        IkeMessage informationalEmpty = new IkeMessage(ISPI, RSPI, ExchangeType.INFORMATIONAL, R, 4, List.of());

        return List.of(
                new Sample("IKE_SA_INIT request", initRequest),
                new Sample("IKE_SA_INIT response", initResponse),
                new Sample("IKE_AUTH request (plain payloads)", authRequest),
                new Sample("IKE_AUTH response (plain payloads)", authResponse),
                new Sample("IKE_AUTH EAP", eap),
                new Sample("INFORMATIONAL delete", delete),
                new Sample("IKE_AUTH SK", sk),
                new Sample("IKE_AUTH SKF", skf),
                new Sample("IKE_INTERMEDIATE SK", intermediate),
                new Sample("INFORMATIONAL empty (liveness)", informationalEmpty));
    }
}
