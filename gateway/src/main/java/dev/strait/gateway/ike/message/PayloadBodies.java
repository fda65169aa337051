package dev.strait.gateway.ike.message;

import dev.strait.gateway.ike.message.Payload.Proposal;
import dev.strait.gateway.ike.message.Payload.TrafficSelector;
import dev.strait.gateway.ike.message.Payload.Transform;

import java.util.ArrayList;
import java.util.List;

/** Payload bodies (everything after the 4-byte generic header) per RFC 7296 section 3.3-3.16 and RFC 7383. */
final class PayloadBodies {
    static final int MIN_NONCE = 16;
    static final int MAX_NONCE = 256;
    private static final int LAST = 0;
    private static final int MORE_PROPOSALS = 2;
    private static final int MORE_TRANSFORMS = 3;
    private static final int ATTRIBUTE_TV = 0x8000;
    private static final int SHA1_LENGTH = 20;

    private PayloadBodies() {
    }

    // ---------------------------------------------------------------- encoding

    static void encode(Payload payload, WireWriter w) {
        switch (payload) {
            case Payload.Sa sa -> encodeSa(sa, w);
            case Payload.KeyExchange ke -> {
                if (ke.data().length == 0) {
                    throw new IllegalArgumentException("KE without key exchange data");
                }
                w.u16(ke.group(), "KE group").zeros(2).bytes(ke.data());
            }
            case Payload.Nonce n -> {
                if (n.data().length < MIN_NONCE || n.data().length > MAX_NONCE) {
                    throw new IllegalArgumentException("nonce length must be 16..256: " + n.data().length);
                }
                w.bytes(n.data());
            }
            case Payload.Identification id -> w.u8(id.idType(), "ID type").zeros(3).bytes(id.data());
            case Payload.Auth a -> w.u8(a.method(), "AUTH method").zeros(3).bytes(a.data());
            case Payload.Cert c -> w.u8(c.encoding(), "CERT encoding").bytes(c.data());
            case Payload.CertReq c -> w.u8(c.encoding(), "CERTREQ encoding").bytes(c.data());
            case Payload.Notify n -> w.u8(n.protocolId(), "N protocol ID")
                    .u8(n.spi().length, "N SPI size")
                    .u16(n.notifyType(), "notify type")
                    .bytes(n.spi())
                    .bytes(n.data());
            case Payload.Delete d -> {
                w.u8(d.protocolId(), "D protocol ID").u8(d.spiSize(), "D SPI size").u16(d.spis().size(), "D SPI count");
                for (byte[] spi : d.spis()) {
                    if (spi.length != d.spiSize()) {
                        throw new IllegalArgumentException("D SPI of " + spi.length + " bytes, SPI size is " + d.spiSize());
                    }
                    w.bytes(spi);
                }
            }
            case Payload.VendorId v -> w.bytes(v.data());
            case Payload.TrafficSelectors ts -> encodeTs(ts, w);
            case Payload.Configuration cp -> {
                w.u8(cp.cfgType(), "CFG type").zeros(3);
                for (Payload.ConfigAttribute a : cp.attributes()) {
                    WireWriter.check(a.attributeType(), 0x7FFF, "CP attribute type"); // 15 bits, R bit 0
                    w.u16(a.attributeType(), "CP attribute type");
                    w.u16(a.value().length, "CP attribute length").bytes(a.value());
                }
            }
            case Payload.Eap e -> w.bytes(e.data());
            case Payload.Encrypted sk -> w.bytes(sk.body());
            case Payload.EncryptedFragment f -> {
                if (f.fragmentNumber() < 1 || f.fragmentNumber() > f.totalFragments()) {
                    throw new IllegalArgumentException("SKF fragment " + f.fragmentNumber() + " of " + f.totalFragments());
                }
                w.u16(f.fragmentNumber(), "SKF fragment number").u16(f.totalFragments(), "SKF total fragments")
                        .bytes(f.body());
            }
            case Payload.Unknown u -> w.bytes(u.body());
        }
    }

    private static void encodeSa(Payload.Sa sa, WireWriter w) {
        List<Proposal> proposals = sa.proposals();
        if (proposals.isEmpty()) {
            throw new IllegalArgumentException("SA without proposals");
        }
        for (int i = 0; i < proposals.size(); i++) {
            Proposal p = proposals.get(i);
            if (p.transforms().isEmpty()) {
                throw new IllegalArgumentException("proposal " + p.number() + " without transforms");
            }
            int start = w.position();
            w.u8(i == proposals.size() - 1 ? LAST : MORE_PROPOSALS, "last substruc").zeros(1).u16(0, "length")
                    .u8(p.number(), "proposal number")
                    .u8(p.protocolId(), "protocol ID")
                    .u8(p.spi().length, "SPI size")
                    .u8(p.transforms().size(), "transform count")
                    .bytes(p.spi());
            for (int k = 0; k < p.transforms().size(); k++) {
                Transform t = p.transforms().get(k);
                int tStart = w.position();
                w.u8(k == p.transforms().size() - 1 ? LAST : MORE_TRANSFORMS, "last substruc").zeros(1)
                        .u16(0, "length")
                        .u8(t.transformType(), "transform type").zeros(1)
                        .u16(t.transformId(), "transform ID");
                if (t.keyLength() != null) {
                    w.u16(ATTRIBUTE_TV | Transform.ATTRIBUTE_KEY_LENGTH, "attribute").u16(t.keyLength(), "key length");
                }
                w.putU16At(tStart + 2, w.position() - tStart, "transform length");
            }
            w.putU16At(start + 2, w.position() - start, "proposal length");
        }
    }

    private static void encodeTs(Payload.TrafficSelectors ts, WireWriter w) {
        if (ts.selectors().isEmpty()) {
            throw new IllegalArgumentException("traffic selector payload without selectors");
        }
        w.u8(ts.selectors().size(), "TS count").zeros(3);
        for (TrafficSelector s : ts.selectors()) {
            int addrLen = TrafficSelector.addressLength(s.tsType());
            if (addrLen < 0) {
                throw new IllegalArgumentException("unsupported traffic selector type " + s.tsType());
            }
            if (s.startAddress().length != addrLen || s.endAddress().length != addrLen) {
                throw new IllegalArgumentException("traffic selector type " + s.tsType() + " needs " + addrLen
                        + "-byte addresses");
            }
            w.u8(s.tsType(), "TS type").u8(s.ipProtocol(), "IP protocol").u16(8 + 2 * addrLen, "selector length")
                    .u16(s.startPort(), "start port").u16(s.endPort(), "end port")
                    .bytes(s.startAddress()).bytes(s.endAddress());
        }
    }

    // ---------------------------------------------------------------- decoding

    static Payload decode(int type, int next, WireReader r) throws MalformedMessageException {
        Payload p = switch (type) {
            case PayloadType.SA -> decodeSa(r);
            case PayloadType.KE -> {
                int group = r.u16("KE group");
                r.skip(2, "KE reserved");
                yield new Payload.KeyExchange(group, nonEmptyRest(r, "KE payload without key exchange data"));
            }
            case PayloadType.NONCE -> {
                if (r.remaining() < MIN_NONCE || r.remaining() > MAX_NONCE) {
                    throw new MalformedMessageException("nonce length " + r.remaining() + " outside 16..256");
                }
                yield new Payload.Nonce(r.rest());
            }
            case PayloadType.IDI, PayloadType.IDR -> decodeId(type == PayloadType.IDI, r);
            case PayloadType.AUTH -> {
                int method = r.u8("AUTH method");
                r.skip(3, "AUTH reserved");
                yield new Payload.Auth(method, nonEmptyRest(r, "AUTH payload without authentication data"));
            }
            case PayloadType.CERT -> {
                int encoding = r.u8("CERT encoding");
                yield new Payload.Cert(encoding, nonEmptyRest(r, "CERT payload without certificate data"));
            }
            case PayloadType.CERTREQ -> {
                int encoding = r.u8("CERTREQ encoding");
                if (encoding == Payload.CertReq.ENCODING_X509_SIGNATURE && r.remaining() % SHA1_LENGTH != 0) {
                    throw new MalformedMessageException("CERTREQ CA list of " + r.remaining()
                            + " bytes is not a multiple of 20");
                }
                yield new Payload.CertReq(encoding, r.rest());
            }
            case PayloadType.NOTIFY -> {
                int protocol = r.u8("N protocol ID");
                int spiSize = r.u8("N SPI size");
                int notifyType = r.u16("notify type");
                byte[] spi = r.bytes(spiSize, "N SPI");
                yield new Payload.Notify(protocol, spi, notifyType, r.rest());
            }
            case PayloadType.DELETE -> decodeDelete(r);
            case PayloadType.VENDOR_ID -> new Payload.VendorId(r.rest());
            case PayloadType.TSI, PayloadType.TSR -> decodeTs(type == PayloadType.TSI, r);
            case PayloadType.CP -> decodeCp(r);
            case PayloadType.EAP -> {
                if (r.remaining() < 4) {
                    throw new MalformedMessageException("EAP message of " + r.remaining() + " bytes is below 4");
                }
                byte[] eap = r.rest();
                int eapLength = ((eap[2] & 0xFF) << 8) | (eap[3] & 0xFF);
                if (eapLength != eap.length) {
                    throw new MalformedMessageException("EAP length " + eapLength + " differs from payload body "
                            + eap.length);
                }
                yield new Payload.Eap(eap);
            }
            case PayloadType.SK -> new Payload.Encrypted(next, r.rest());
            case PayloadType.SKF -> {
                int number = r.u16("SKF fragment number");
                int total = r.u16("SKF total fragments");
                if (number < 1 || total < 1 || number > total) {
                    throw new MalformedMessageException("SKF fragment number " + number + " of " + total + " total");
                }
                yield new Payload.EncryptedFragment(next, number, total, r.rest());
            }
            default -> throw new IllegalStateException("not a known payload type: " + type);
        };
        r.expectEnd(PayloadType.name(type) + " payload");
        return p;
    }

    /** The payload's data, which must not be empty (KE, AUTH, CERT); else malformed, saying what is missing. */
    private static byte[] nonEmptyRest(WireReader r, String missing) throws MalformedMessageException {
        if (r.remaining() == 0) {
            throw new MalformedMessageException(missing);
        }
        return r.rest();
    }

    private static Payload.Sa decodeSa(WireReader r) throws MalformedMessageException {
        List<Proposal> proposals = new ArrayList<>();
        while (true) {
            int last = r.u8("proposal header");
            r.skip(1, "proposal header");
            int length = r.u16("proposal header");
            if (last != LAST && last != MORE_PROPOSALS) {
                throw new MalformedMessageException("proposal last-substruc " + last + " is neither 0 nor 2");
            }
            if (length < 8 || length - 4 > r.remaining()) {
                throw new MalformedMessageException("proposal length " + length + " outside 8.." + (r.remaining() + 4));
            }
            proposals.add(decodeProposal(r.slice(length - 4, "proposal")));
            if (last == LAST) {
                r.expectEnd("SA after the proposal marked last");
                return new Payload.Sa(proposals);
            }
            if (r.remaining() == 0) {
                throw new MalformedMessageException("SA ends after a proposal marked not last");
            }
        }
    }

    private static Proposal decodeProposal(WireReader r) throws MalformedMessageException {
        int number = r.u8("proposal number");
        int protocol = r.u8("proposal protocol ID");
        int spiSize = r.u8("proposal SPI size");
        int count = r.u8("proposal transform count");
        byte[] spi = r.bytes(spiSize, "proposal SPI");
        if (count == 0) {
            throw new MalformedMessageException("proposal " + number + " has no transforms");
        }
        List<Transform> transforms = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            int last = r.u8("transform header");
            r.skip(1, "transform header");
            int length = r.u16("transform header");
            boolean shouldBeLast = k == count - 1;
            if (last != (shouldBeLast ? LAST : MORE_TRANSFORMS)) {
                throw new MalformedMessageException("transform " + (k + 1) + " of " + count + " in proposal " + number
                        + " has last-substruc " + last);
            }
            if (length < 8 || length - 4 > r.remaining()) {
                throw new MalformedMessageException("transform length " + length + " outside 8.." + (r.remaining() + 4));
            }
            transforms.add(decodeTransform(r.slice(length - 4, "transform")));
        }
        r.expectEnd("proposal " + number + " after its " + count + " transforms");
        return new Proposal(number, protocol, spi, transforms);
    }

    private static Transform decodeTransform(WireReader r) throws MalformedMessageException {
        int type = r.u8("transform type");
        r.skip(1, "transform reserved");
        int id = r.u16("transform ID");
        Integer keyLength = null;
        while (r.remaining() > 0) {
            int attr = r.u16("transform attribute");
            boolean tv = (attr & ATTRIBUTE_TV) != 0;
            int attrType = attr & 0x7FFF;
            if (attrType != Transform.ATTRIBUTE_KEY_LENGTH) {
                // 14 is the only transform attribute IKEv2 defines; the record cannot carry others
                throw new MalformedMessageException("unsupported transform attribute type " + attrType);
            }
            if (!tv) {
                throw new MalformedMessageException("Key Length attribute not in TV format");
            }
            if (keyLength != null) {
                throw new MalformedMessageException("duplicate Key Length attribute");
            }
            keyLength = r.u16("Key Length attribute");
        }
        return new Transform(type, id, keyLength);
    }

    private static Payload.Identification decodeId(boolean initiator, WireReader r) throws MalformedMessageException {
        int idType = r.u8("ID type");
        r.skip(3, "ID reserved");
        int expected = switch (idType) {
            case Payload.Identification.ID_IPV4_ADDR -> 4;
            case Payload.Identification.ID_IPV6_ADDR -> 16;
            default -> -1;
        };
        if (r.remaining() == 0 || (expected > 0 && r.remaining() != expected)) {
            throw new MalformedMessageException("ID type " + idType + " with " + r.remaining() + " bytes of data");
        }
        return new Payload.Identification(initiator, idType, r.rest());
    }

    private static Payload.Delete decodeDelete(WireReader r) throws MalformedMessageException {
        int protocol = r.u8("D protocol ID");
        int spiSize = r.u8("D SPI size");
        int count = r.u16("D SPI count");
        int expectedSize = switch (protocol) {
            case Proposal.PROTOCOL_IKE -> 0;
            case Proposal.PROTOCOL_AH, Proposal.PROTOCOL_ESP -> 4;
            default -> throw new MalformedMessageException("D protocol ID " + protocol + " is not IKE, AH or ESP");
        };
        if (spiSize != expectedSize) {
            throw new MalformedMessageException("D SPI size " + spiSize + " for protocol " + protocol + ", expected "
                    + expectedSize);
        }
        if (r.remaining() != spiSize * count) {
            throw new MalformedMessageException("D has " + r.remaining() + " bytes for " + count + " SPIs of "
                    + spiSize + " bytes");
        }
        List<byte[]> spis = new ArrayList<>(spiSize == 0 ? 0 : count);
        if (spiSize > 0) {
            for (int i = 0; i < count; i++) {
                spis.add(r.bytes(spiSize, "D SPI"));
            }
        }
        return new Payload.Delete(protocol, spiSize, spis);
    }

    private static Payload.TrafficSelectors decodeTs(boolean initiator, WireReader r) throws MalformedMessageException {
        int count = r.u8("TS count");
        r.skip(3, "TS reserved");
        if (count == 0) {
            throw new MalformedMessageException("traffic selector payload with no selectors");
        }
        List<TrafficSelector> selectors = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int tsType = r.u8("TS type");
            int protocol = r.u8("TS IP protocol");
            int length = r.u16("TS selector length");
            int addrLen = TrafficSelector.addressLength(tsType);
            if (addrLen < 0) {
                throw new MalformedMessageException("unsupported traffic selector type " + tsType);
            }
            if (length != 8 + 2 * addrLen) {
                throw new MalformedMessageException("traffic selector type " + tsType + " length " + length
                        + ", expected " + (8 + 2 * addrLen));
            }
            int startPort = r.u16("TS start port");
            int endPort = r.u16("TS end port");
            byte[] start = r.bytes(addrLen, "TS start address");
            byte[] end = r.bytes(addrLen, "TS end address");
            selectors.add(new TrafficSelector(tsType, protocol, startPort, endPort, start, end));
        }
        return new Payload.TrafficSelectors(initiator, selectors);
    }

    private static Payload.Configuration decodeCp(WireReader r) throws MalformedMessageException {
        int cfgType = r.u8("CFG type");
        r.skip(3, "CP reserved");
        List<Payload.ConfigAttribute> attributes = new ArrayList<>();
        while (r.remaining() > 0) {
            int attrType = r.u16("CP attribute type") & 0x7FFF; // R bit ignored on receipt
            int length = r.u16("CP attribute length");
            attributes.add(new Payload.ConfigAttribute(attrType, r.bytes(length, "CP attribute value")));
        }
        return new Payload.Configuration(cfgType, attributes);
    }
}
