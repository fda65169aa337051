package dev.strait.gateway.config;

import dev.strait.api.validation.ConfigException;
import dev.strait.api.validation.Psks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.api.v1alpha1.GatewayConfig;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    static final String VALID = CarelessConfigs.ONE_TUNNEL;

    @Test
    void loadsAValidConfigWithDefaults() throws Exception {
        GatewayConfig c = ConfigLoader.parse(VALID);
        assertEquals(1, c.tunnels.size());
        assertEquals(500, c.listen.ikePort);
        assertEquals(4500, c.listen.nattPort);
        assertEquals("Userspace", c.datapath.mode);
        assertEquals("30s", c.tunnels.getFirst().ike.dpd.interval);
    }

    @Test
    void dosLimitsHaveDefaultsAndAreChecked() throws Exception {
        GatewayConfig c = ConfigLoader.parse(VALID);
        assertEquals(32, c.ike.dos.cookieThreshold);
        assertEquals(2048, c.ike.dos.maxHalfOpen);
        assertEquals(16, c.ike.dos.maxHalfOpenPerSource);
        String header = "listen: {address: 0.0.0.0}";
        GatewayConfig raised = ConfigLoader.parse(VALID.replace(header,
                header + "\nike: {dos: {cookieThreshold: 1000, maxHalfOpen: 5000, maxHalfOpenPerSource: 2000}}"));
        assertEquals(1000, raised.ike.dos.cookieThreshold);
        assertEquals(2000, raised.ike.dos.maxHalfOpenPerSource);
        GatewayConfig partial = ConfigLoader.parse(VALID.replace(header, header + "\nike: {dos: {maxHalfOpenPerSource: 64}}"));
        assertEquals(2048, partial.ike.dos.maxHalfOpen, "unset limits keep their defaults");

        ConfigException e = invalid(header, header + "\nike: {dos: {maxHalfOpen: 10, maxHalfOpenPerSource: 11}}");
        assertEquals("ike.dos.maxHalfOpenPerSource", e.field());
        assertTrue(e.getMessage().contains("maxHalfOpen (10)"), e.getMessage());
        e = invalid(header, header + "\nike: {dos: {cookieThreshold: -1}}");
        assertEquals("ike.dos.cookieThreshold", e.field());
        e = invalid(header, header + "\nike: {dos: {halfOpen: 3}}");
        assertEquals("ike.dos", e.field());
        assertTrue(e.getMessage().contains("maxHalfOpen"), "lists the fields that exist: " + e.getMessage());
    }

    private static ConfigException invalid(String from, String to) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(VALID.replace(from, to)));
    }

    @Test
    void errorsNameTheFieldAndTheProblem() {
        ConfigException e = invalid("subnets: [10.20.0.0/24]", "subnets: [10.20.0.1/24]");
        assertEquals("tunnels[0].remote.subnets[0]", e.field());
        assertTrue(e.getMessage().contains("host bits"), e.getMessage());

        e = invalid("address: 198.18.0.2", "address: not-an-ip");
        assertEquals("tunnels[0].peer.address", e.field());

        e = invalid("listen: {address: 0.0.0.0}", "listen: {address: 0.0.0.0, ikePrt: 5}");
        assertEquals("listen", e.field());
        assertTrue(e.getMessage().contains("unknown field at line 1, column"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean 'ikePort'?"), e.getMessage());
        assertFalse(e.getMessage().contains("ikePrt"), "an unknown key is not quoted (it may be a mis-indented key)");

        e = invalid("value: interop-test-psk-not-secret", "value: tiny-k3y");
        assertEquals("tunnels[0].auth.psk.value", e.field());
        assertFalse(e.getMessage().contains("tiny-k3y"), "the message must not echo the key");

        e = invalid("value: interop-test-psk-not-secret", "hex: 00112233445566778899aabbccddeeff0g");
        assertEquals("tunnels[0].auth.psk.hex", e.field());
        assertFalse(e.getMessage().contains("0g"), "the message must not echo the key");
        e = invalid("value: interop-test-psk-not-secret", "hex: 0x00112233");
        assertEquals("tunnels[0].auth.psk.hex", e.field());
        assertTrue(e.getMessage().contains("shorter"), e.getMessage());
        e = invalid("value: interop-test-psk-not-secret", "value: interop-test-psk-not-secret, hex: 00112233445566778899aabbccddeeff");
        assertEquals("tunnels[0].auth.psk", e.field());
    }

    @Test
    void aHexPskIsTheBytesItSpells() throws Exception {
        String hex = "ff80c328000102030405060708090a0b0c0d0e0f1011121314";
        var config = ConfigLoader.parse(VALID.replace("value: interop-test-psk-not-secret", "hex: 0x" + hex));
        org.junit.jupiter.api.Assertions.assertArrayEquals(java.util.HexFormat.of().parseHex(hex),
                Psks.resolve("psk", config.tunnels.getFirst().auth.psk));
    }

    @Test
    void enumsListTheAllowedValues() {
        ConfigException e = invalid("esp: {proposals: [aes256gcm16]}", "esp: {proposals: [aes256gcm16]}\n    initiation: Sometimes");
        assertTrue(e.getMessage().contains("Start"), e.getMessage());
        assertTrue(e.field().endsWith("initiation"), e.field());
    }

    @Test
    void duplicateTunnelNamesAreRefused() {
        String twice = VALID + VALID.substring(VALID.indexOf("  - name")).replace("\n", "\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(twice));
        assertEquals("tunnels[1].name", e.field());
    }

    @Test
    void initiatorsNeedAPeerAddress() {
        ConfigException e = invalid("peer: {address: 198.18.0.2, id: site-b.test}", "peer: {id: site-b.test}");
        assertEquals("tunnels[0].peer.address", e.field());
        assertDoesNotThrowPassive();
    }

    private static void assertDoesNotThrowPassive() {
        String passive = VALID.replace("peer: {address: 198.18.0.2, id: site-b.test}", "peer: {id: site-b.test}")
                .replace("esp: {proposals: [aes256gcm16]}", "esp: {proposals: [aes256gcm16]}\n    initiation: Passive");
        org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> ConfigLoader.parse(passive));
    }

    @Test
    void aYamlSyntaxErrorNamesThePlaceNotTheText() {
        // an unterminated quote right after the PSK: the parser's excerpt of that line would carry the PSK into logs
        String broken = VALID.replace("value: interop-test-psk-not-secret}", "value: \"interop-test-psk-not-secret}");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(broken));
        assertTrue(e.getMessage().contains("line"), e.getMessage());
        assertFalse(e.getMessage().contains("interop-test-psk"), e.getMessage());
    }
}
