package dev.strait.gateway.ike.message;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Coverage-guided fuzzing (Jazzer) of payload chains as they come out of a decrypted SK payload: decoded, they
 * re-encode to a chain that decodes to the same content; otherwise MalformedMessageException. (Jazzer fuzzes one
 * target per JVM, so each target has a class of its own.)
 */
class IkePayloadChainJazzerTest {
    @FuzzTest(maxDuration = "5s")
    void payloadChainsDecodeOrAreMalformed(FuzzedDataProvider data) {
        int firstType = data.consumeInt(0, 255);
        byte[] chain = data.consumeRemainingAsBytes();
        try {
            List<Payload> payloads = IkeCodec.decodeChain(firstType, chain, 0, chain.length);
            IkeCodec.Chain again = IkeCodec.encodeChain(payloads);
            List<Payload> twice = IkeCodec.decodeChain(again.firstType(), again.bytes(), 0, again.bytes().length);
            if (!Arrays.equals(again.bytes(), IkeCodec.encodeChain(twice).bytes())) {
                throw new AssertionError("payload chain does not round-trip: " + HexFormat.of().formatHex(chain));
            }
        } catch (MalformedMessageException expected) {
            // dropped and counted by the engine
        }
    }

}
