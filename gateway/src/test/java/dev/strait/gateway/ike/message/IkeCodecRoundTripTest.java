package dev.strait.gateway.ike.message;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.strait.gateway.ike.message.ContentAssertions.assertSameContent;
import static dev.strait.gateway.ike.message.SampleMessages.ISPI;
import static dev.strait.gateway.ike.message.SampleMessages.RSPI;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IkeCodecRoundTripTest {

    static List<SampleMessages.Sample> samples() {
        return SampleMessages.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void encodeThenDecodeGivesTheSameContentAndTheSameBytes(SampleMessages.Sample sample) throws Exception {
        byte[] wire = IkeCodec.encode(sample.message());
        IkeMessage decoded = IkeCodec.decode(wire, 0, wire.length);
        assertSameContent(sample.message(), decoded);
        assertArrayEquals(wire, IkeCodec.encode(decoded), "re-encoding is byte-stable");
    }

    @Test
    void samplesCoverEveryPayloadTypeTheCodecKnows() {
        Set<Integer> seen = SampleMessages.all().stream()
                .flatMap(s -> s.message().payloads().stream())
                .map(Payload::type)
                .collect(Collectors.toSet());
        for (int type = PayloadType.SA; type <= 255; type++) {
            if (PayloadType.isKnown(type)) {
                assertTrue(seen.contains(type), "no sample carries payload " + PayloadType.name(type));
            }
        }
    }

    @Test
    void decodesAtAnOffsetInsideALargerBuffer() throws Exception {
        IkeMessage m = SampleMessages.all().getFirst().message();
        byte[] wire = IkeCodec.encode(m);
        byte[] padded = new byte[wire.length + 11];
        Arrays.fill(padded, (byte) 0xEE);
        System.arraycopy(wire, 0, padded, 4, wire.length); // e.g. after the non-ESP marker on port 4500
        assertSameContent(m, IkeCodec.decode(padded, 4, wire.length));
    }

    @Test
    void peekHeaderReadsTheHeaderWithoutThePayloads() throws Exception {
        IkeMessage m = new IkeMessage(ISPI, RSPI, ExchangeType.CREATE_CHILD_SA,
                IkeMessage.FLAG_RESPONSE | IkeMessage.FLAG_INITIATOR, 0xFFFFFFFE,
                List.of(new Payload.Nonce(new byte[16])));
        byte[] wire = IkeCodec.encode(m);
        wire[IkeMessage.HEADER_LENGTH + 4] = 0; // the nonce body is not looked at
        IkeHeader h = IkeCodec.peekHeader(wire, 0, wire.length);
        assertEquals(ISPI, h.initiatorSpi());
        assertEquals(RSPI, h.responderSpi());
        assertEquals(PayloadType.NONCE, h.nextPayload());
        assertEquals(2, h.majorVersion());
        assertEquals(0, h.minorVersion());
        assertEquals(ExchangeType.CREATE_CHILD_SA, h.exchangeType());
        assertTrue(h.isResponse());
        assertTrue(h.fromInitiator());
        assertEquals(0xFFFFFFFE, h.messageId());
        assertEquals(wire.length, h.length());
    }

    @Test
    void skPayloadCarriesFirstInnerTypeAndBodyAtTheEnd() throws Exception {
        byte[] body = SampleMessages.random(64, 99);
        IkeMessage m = new IkeMessage(ISPI, RSPI, ExchangeType.INFORMATIONAL, 0, 7, List.of(
                new Payload.Encrypted(PayloadType.DELETE, body)));
        byte[] wire = IkeCodec.encode(m);
        assertEquals(PayloadType.SK, wire[16]);
        assertEquals(PayloadType.DELETE, wire[28], "SK next payload is the first inner payload");
        assertEquals(28 + 4 + 64, wire.length);
        assertArrayEquals(body, Arrays.copyOfRange(wire, wire.length - body.length, wire.length));
        Payload.Encrypted sk = assertInstanceOf(Payload.Encrypted.class,
                IkeCodec.decode(wire, 0, wire.length).payloads().getFirst());
        assertEquals(PayloadType.DELETE, sk.firstInnerPayload());
    }

    @Test
    void innerChainRoundTrip() throws Exception {
        IkeMessage auth = SampleMessages.all().get(2).message();
        IkeCodec.Chain chain = IkeCodec.encodeChain(auth.payloads());
        assertEquals(PayloadType.IDI, chain.firstType());
        List<Payload> back = IkeCodec.decodeChain(chain.firstType(), chain.bytes(), 0, chain.bytes().length);
        assertSameContent(auth.payloads(), back);
        // the message encoding is header + the same chain
        byte[] wire = IkeCodec.encode(auth);
        assertArrayEquals(chain.bytes(), Arrays.copyOfRange(wire, IkeMessage.HEADER_LENGTH, wire.length));
    }

    @Test
    void emptyChain() throws Exception {
        IkeCodec.Chain chain = IkeCodec.encodeChain(List.of());
        assertEquals(PayloadType.NONE, chain.firstType());
        assertEquals(0, chain.bytes().length);
        assertEquals(List.of(), IkeCodec.decodeChain(PayloadType.NONE, new byte[0], 0, 0));
    }

    @Test
    void unknownNonCriticalPayloadIsKeptAndEncodedBack() throws Exception {
        IkeMessage m = new IkeMessage(ISPI, RSPI, ExchangeType.INFORMATIONAL, 0, 2, List.of(
                new Payload.Unknown(200, SampleMessages.hex("01020304")),
                SampleMessages.notify(NotifyType.INITIAL_CONTACT, new byte[0])));
        byte[] wire = IkeCodec.encode(m);
        IkeMessage back = IkeCodec.decode(wire, 0, wire.length);
        assertSameContent(m, back);
        assertEquals(PayloadType.NOTIFY, wire[28], "unknown payload links to the next one");
        assertEquals(0, wire[29], "critical bit clear on encode");
    }

    @Test
    void unknownCriticalPayloadIsRejectedWithItsType() {
        byte[] wire = IkeCodec.encode(new IkeMessage(ISPI, RSPI, ExchangeType.INFORMATIONAL, 0, 2, List.of(
                new Payload.Unknown(200, SampleMessages.hex("01020304")))));
        wire[29] = (byte) 0x80;
        UnsupportedCriticalPayloadException e = assertThrows(UnsupportedCriticalPayloadException.class,
                () -> IkeCodec.decode(wire, 0, wire.length));
        assertEquals(200, e.payloadType());
    }

    @Test
    void criticalBitOnAKnownPayloadIsIgnored() throws Exception {
        IkeMessage m = new IkeMessage(ISPI, RSPI, ExchangeType.INFORMATIONAL, 0, 2, List.of(
                SampleMessages.notify(NotifyType.INITIAL_CONTACT, new byte[0])));
        byte[] wire = IkeCodec.encode(m);
        wire[29] = (byte) 0xFF; // critical + reserved bits: reserved MUST be ignored on receipt
        assertSameContent(m, IkeCodec.decode(wire, 0, wire.length));
    }

    @Test
    void encodeRejectsPayloadsAfterSk() {
        IkeMessage m = new IkeMessage(ISPI, RSPI, ExchangeType.IKE_AUTH, 0, 1, List.of(
                new Payload.Encrypted(PayloadType.IDI, new byte[32]),
                SampleMessages.notify(NotifyType.INITIAL_CONTACT, new byte[0])));
        assertThrows(IllegalArgumentException.class, () -> IkeCodec.encode(m));
        IkeMessage f = m.withPayloads(List.of(new Payload.EncryptedFragment(PayloadType.IDI, 1, 2, new byte[32]),
                new Payload.VendorId(new byte[4])));
        assertThrows(IllegalArgumentException.class, () -> IkeCodec.encode(f));
    }

    @Test
    void encodeRejectsValuesThatDoNotFitTheirFields() {
        List<Payload> bad = List.of(
                new Payload.Nonce(new byte[15]),
                new Payload.KeyExchange(70000, new byte[32]),
                new Payload.Delete(Payload.Proposal.PROTOCOL_ESP, 4, List.of(new byte[3])),
                new Payload.TrafficSelectors(true, List.of(new Payload.TrafficSelector(
                        Payload.TrafficSelector.TS_IPV4_ADDR_RANGE, 0, 0, 65535, new byte[16], new byte[16]))),
                new Payload.Sa(List.of()),
                new Payload.VendorId(new byte[65536]));
        for (Payload p : bad) {
            assertThrows(IllegalArgumentException.class, () -> IkeCodec.encodeChain(List.of(p)), p.toString());
        }
    }
}
