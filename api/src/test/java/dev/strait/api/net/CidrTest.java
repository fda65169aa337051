package dev.strait.api.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CidrTest {
    @Test
    void parsesAndCompares() {
        Cidr c = Cidr.parse("10.20.0.0/16");
        assertTrue(c.contains(new byte[] {10, 20, 5, 6}));
        assertFalse(c.contains(new byte[] {10, 21, 0, 0}));
        assertTrue(c.overlaps(Cidr.parse("10.20.128.0/17")));
        assertFalse(c.overlaps(Cidr.parse("10.21.0.0/16")));
        assertEquals("10.20.255.255", java.net.InetAddress.ofLiteral("10.20.255.255").getHostAddress());
        assertEquals(16, c.prefixLength());
    }

    @Test
    void refusesTyposAndHostnames() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.20.0.1/16")).getMessage().contains("10.20.0.0/16"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.20.0.0"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.20.0.0/33"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parseAddress("example.com"));
    }
}
