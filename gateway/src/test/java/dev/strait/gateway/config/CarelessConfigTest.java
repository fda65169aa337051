package dev.strait.gateway.config;

import dev.strait.api.validation.ConfigException;
import dev.strait.api.validation.Psks;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The loader (behind check, run and reload) refuses each careless config, naming the field. */
class CarelessConfigTest {
    @TempDir
    Path dir;

    static List<CarelessConfigs.Case> cases() {
        return CarelessConfigs.all();
    }

    @Test
    void theBaseConfigIsValid() {
        assertDoesNotThrow(() -> ConfigLoader.parse(CarelessConfigs.VALID));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefusedNamingTheField(CarelessConfigs.Case c) {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(c.yaml().apply(dir)));
        assertEquals(c.field(), e.field(), e.getMessage());
        assertTrue(e.getMessage().startsWith(c.field() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(c.messagePart()), e.getMessage());
    }

    @Test
    void aDualStackListenerTakesPeersOfBothFamilies() {
        String v6 = CarelessConfigs.VALID.replace("listen: {address: 0.0.0.0}", "listen: {address: '::'}")
                .replace("address: 198.18.0.2", "address: '2001:db8::2'");
        assertDoesNotThrow(() -> ConfigLoader.parse(v6));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                v6.replace("listen: {address: '::'}", "listen: {address: '2001:db8::1'}")));
        assertEquals("tunnels[1].peer.address", e.field(), "an IPv4 peer cannot be reached from an IPv6 address");
    }

    @Test
    void dpdZeroStillTurnsItOffAndBoundsAreInclusive() {
        assertDoesNotThrow(() -> ConfigLoader.parse(CarelessConfigs.VALID.replace("interval: 30s", "interval: 0s")));
        assertDoesNotThrow(() -> ConfigLoader.parse(CarelessConfigs.VALID.replace("rekeyAfter: 4h", "rekeyAfter: 10s")
                .replace("rekeyAfter: 1h", "rekeyAfter: 10s").replace("interval: 30s", "interval: 1s")));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                CarelessConfigs.VALID.replace("rekeyAfter: 1h", "rekeyAfter: 366d")));
        assertEquals("tunnels[0].esp.rekeyAfter", e.field());
    }

    @Test
    void aPskFileIsReadWithItsTrailingNewlineLeftOut() throws Exception {
        Path psk = java.nio.file.Files.writeString(dir.resolve("ok.psk"), "a-file-psk-of-enough-bytes\n");
        var c = ConfigLoader.parse(CarelessConfigs.VALID.replace("value: interop-test-psk-not-secret", "file: " + psk));
        assertEquals("a-file-psk-of-enough-bytes", new String(Psks.resolve("psk", c.tunnels.getFirst().auth.psk)));
    }

    @Test
    void controlCharactersInMessagesAreEscaped() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                CarelessConfigs.VALID.replace("name: branch-1", "name: \"evil\\r\\nFAKE LOG LINE\\u001b[31m\"")));
        assertEquals("tunnels[0].name", e.field());
        assertTrue(e.getMessage().contains("evil\\r\\nFAKE LOG LINE\\u001b[31m"), e.getMessage());
        assertTrue(e.getMessage().chars().noneMatch(Character::isISOControl), e.getMessage());

        e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
                CarelessConfigs.VALID.replace("name: branch-1", "name: " + "n".repeat(60_000))));
        assertTrue(e.getMessage().length() < 300, "a 60 KB name is clipped: " + e.getMessage().length() + " chars");
    }
}
