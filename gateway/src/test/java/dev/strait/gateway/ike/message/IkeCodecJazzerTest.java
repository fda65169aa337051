package dev.strait.gateway.ike.message;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Coverage-guided fuzzing of the IKE codec (Jazzer). Any input either decodes, and then re-encodes to bytes that decode
 * to the same content, or fails with MalformedMessageException; anything else is a finding. Half the inputs start from
 * a realistic message (SampleMessages) with fuzzer-chosen bytes overwritten, so the payload parsers are reached at
 * once. {@code ./mvnw verify} fuzzes each target for a few seconds; see docs/fuzzing.md for longer campaigns.
 */
class IkeCodecJazzerTest {
    private static final List<byte[]> SAMPLES = SampleMessages.all().stream().map(s -> IkeCodec.encode(s.message())).toList();

    @FuzzTest(maxDuration = "5s")
    void decodeNeverFailsOtherThanMalformed(FuzzedDataProvider data) {
        byte[] wire;
        if (data.consumeBoolean()) {
            wire = SAMPLES.get(data.consumeInt(0, SAMPLES.size() - 1)).clone();
            int edits = data.consumeInt(1, 8);
            for (int i = 0; i < edits && wire.length > 0; i++) {
                wire[data.consumeInt(0, wire.length - 1)] = data.consumeByte();
            }
            if (data.consumeBoolean()) {
                wire = Arrays.copyOf(wire, data.consumeInt(0, wire.length)); // truncated, with the header length fixed
                if (wire.length >= IkeMessage.HEADER_LENGTH) {
                    putLength(wire);
                }
            }
        } else {
            wire = data.consumeRemainingAsBytes();
        }
        roundTrip(wire);
    }

    /** Decodes; a decoded message must survive encode and decode unchanged. */
    static void roundTrip(byte[] wire) {
        IkeMessage m;
        try {
            m = IkeCodec.decode(wire, 0, wire.length);
        } catch (MalformedMessageException expected) {
            return;
        }
        byte[] again = IkeCodec.encode(m);
        try {
            if (!Arrays.equals(again, IkeCodec.encode(IkeCodec.decode(again, 0, again.length)))) {
                throw new AssertionError("round trip changed the content of " + HexFormat.of().formatHex(wire));
            }
        } catch (MalformedMessageException e) {
            throw new AssertionError("our own encoding of a decoded message does not decode: " + HexFormat.of().formatHex(wire), e);
        }
    }

    private static void putLength(byte[] wire) {
        int n = wire.length;
        wire[24] = (byte) (n >>> 24);
        wire[25] = (byte) (n >>> 16);
        wire[26] = (byte) (n >>> 8);
        wire[27] = (byte) n;
    }
}
