package dev.strait.gateway.ike.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The names logs and error messages give registry numbers: IANA's, RFC 7296's short payload names, a fallback. */
class RegistryNamesTest {
    @ParameterizedTest
    @CsvSource({"34, IKE_SA_INIT", "44, IKE_FOLLOWUP_KE", "99, EXCHANGE_99"})
    void exchangeTypes(int type, String name) {
        assertEquals(name, ExchangeType.name(type));
    }

    @ParameterizedTest
    @CsvSource({"1, UNSUPPORTED_CRITICAL_PAYLOAD", "16390, COOKIE", "16441, ADDITIONAL_KEY_EXCHANGE", "12345, notify 12345"})
    void notifyTypes(int type, String name) {
        assertEquals(name, NotifyType.name(type));
    }

    @ParameterizedTest
    @CsvSource({"0, NONE", "33, SA", "35, IDi", "40, Nonce", "41, N", "45, TSr", "53, SKF", "99, type 99"})
    void payloadTypesUseRfc7296Notation(int type, String name) {
        assertEquals(name, PayloadType.name(type));
    }

    @Test
    void errorNotifiesAreTheTypesBelow16384() {
        assertTrue(NotifyType.isError(NotifyType.STATE_NOT_FOUND));
        assertFalse(NotifyType.isError(NotifyType.INITIAL_CONTACT));
    }
}
