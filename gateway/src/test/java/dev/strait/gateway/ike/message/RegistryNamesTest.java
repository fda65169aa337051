package dev.strait.gateway.ike.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The names logs and error messages give registry numbers: IANA's, RFC 7296's short payload names, a fallback. */
class RegistryNamesTest {
    @Test
    void exchangeTypes() {
        assertEquals("IKE_SA_INIT", ExchangeType.name(34));
        assertEquals("IKE_FOLLOWUP_KE", ExchangeType.name(44));
        assertEquals("EXCHANGE_99", ExchangeType.name(99));
    }

    @Test
    void notifyTypes() {
        assertEquals("UNSUPPORTED_CRITICAL_PAYLOAD", NotifyType.name(1));
        assertEquals("COOKIE", NotifyType.name(16390));
        assertEquals("ADDITIONAL_KEY_EXCHANGE", NotifyType.name(16441));
        assertEquals("notify 12345", NotifyType.name(12345));
        assertTrue(NotifyType.isError(NotifyType.STATE_NOT_FOUND));
        assertFalse(NotifyType.isError(NotifyType.INITIAL_CONTACT));
    }

    @Test
    void payloadTypesUseRfc7296Notation() {
        assertEquals("NONE", PayloadType.name(0));
        assertEquals("SA", PayloadType.name(33));
        assertEquals("IDi", PayloadType.name(35));
        assertEquals("Nonce", PayloadType.name(40));
        assertEquals("N", PayloadType.name(41));
        assertEquals("TSr", PayloadType.name(45));
        assertEquals("SKF", PayloadType.name(53));
        assertEquals("type 99", PayloadType.name(99));
    }
}
