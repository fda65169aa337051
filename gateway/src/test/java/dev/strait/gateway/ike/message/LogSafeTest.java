package dev.strait.gateway.ike.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogSafeTest {
    @Test
    void controlCharactersAreEscapedSoALineCannotBeForged() {
        assertEquals("peer.test\\x0d\\x0a2026-01-01 INFO forged\\x1b[31m\\x7f\\\\", LogSafe.text("peer.test\r\n2026-01-01 INFO forged\u001b[31m\u007f\\"));
        assertEquals("plain-id.example", LogSafe.text("plain-id.example"));
        assertEquals("null", LogSafe.text(null));
    }

    @Test
    void longTextIsCut() {
        String s = LogSafe.text("x".repeat(60_000));
        assertTrue(s.length() < 300, s);
        assertTrue(s.endsWith("...(60000 chars)"), s);
    }
}
