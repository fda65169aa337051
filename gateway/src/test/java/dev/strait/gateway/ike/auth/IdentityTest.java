package dev.strait.gateway.ike.auth;

import dev.strait.gateway.ike.message.Payload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.bouncycastle.asn1.x500.X500Name;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdentityTest {

    @Test
    void parsesEachIdentityType() {
        assertEquals(Payload.Identification.ID_FQDN, Identity.parse("site-a.test").idType());
        assertEquals(Payload.Identification.ID_IPV4_ADDR, Identity.parse("198.18.0.1").idType());
        assertArrayEquals(new byte[] {(byte) 198, 18, 0, 1}, Identity.parse("198.18.0.1").data());
        assertEquals(Payload.Identification.ID_IPV6_ADDR, Identity.parse("2001:db8::1").idType());
        assertEquals(16, Identity.parse("2001:db8::1").data().length);
        assertEquals(Payload.Identification.ID_RFC822_ADDR, Identity.parse("vpn@example.com").idType());
        assertEquals(Payload.Identification.ID_DER_ASN1_DN, Identity.parse("C=CH, O=Example, CN=gw.example.com").idType());
        assertEquals(Payload.Identification.ID_FQDN, Identity.parse("@example.com").idType());
        assertArrayEquals("example.com".getBytes(StandardCharsets.US_ASCII), Identity.parse("@example.com").data());
    }

    @Test
    void distinguishedNamesKeepTheWrittenOrderLikeStrongswan() {
        Identity id = Identity.parse("C=CH, O=Example, CN=gw");
        X500Name decoded = X500Name.getInstance(id.data());
        assertEquals("C", org.bouncycastle.asn1.x500.style.BCStyle.INSTANCE.oidToDisplayName(
                decoded.getRDNs()[0].getFirst().getType()));
        assertTrue(id.matches(Identity.parse("C=CH,O=Example,CN=gw")));
        assertFalse(id.matches(Identity.parse("C=CH, O=Other, CN=gw")));
    }

    @Test
    void fqdnComparisonIgnoresCase() {
        assertTrue(Identity.parse("Site-B.Test").matches(Identity.parse("site-b.test")));
        assertFalse(Identity.parse("site-b.test").matches(Identity.parse("site-c.test")));
        assertFalse(Identity.parse("10.0.0.1").matches(Identity.parse("site-b.test")));
    }

    @Test
    void matchKeysAreEqualExactlyWhenIdentitiesMatch() {
        List<String> ids = List.of("Site-B.Test", "site-b.test", "site-c.test", "User@Example.com", "user@example.com",
                "10.0.0.1", "10.0.0.2", "2001:db8::1", "C=CH, O=Example, CN=gw", "C=CH,O=Example,CN=gw",
                "C=CH, O=Other, CN=gw", "@10.0.0.1");
        for (String a : ids) {
            for (String b : ids) {
                Identity x = Identity.parse(a);
                Identity y = Identity.parse(b);
                assertEquals(x.matches(y), x.matchKey().equals(y.matchKey()), a + " vs " + b);
                if (x.matches(y)) {
                    assertEquals(x.matchKey().hashCode(), y.matchKey().hashCode(), a + " vs " + b);
                }
            }
        }
    }

    @Test
    void restOfIdPayloadHasTypeAndThreeReservedBytes() {
        byte[] rest = Identity.parse("a.b").restOfIdPayload();
        assertArrayEquals(new byte[] {2, 0, 0, 0, 'a', '.', 'b'}, rest);
    }

    @Test
    void refusesGarbage() {
        assertThrows(IllegalArgumentException.class, () -> Identity.parse(" "));
        assertThrows(IllegalArgumentException.class, () -> Identity.parse("not a valid id!"));
    }
}
