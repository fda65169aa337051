package dev.strait.gateway.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * The careless-operator configs of issue 14, each with the field its refusal must name. Shared by the loader, `check`
 * and reload tests, so all three refuse the same list.
 */
public final class CarelessConfigs {
    /** A valid config with one tunnel and every optional field left to its default. */
    public static final String ONE_TUNNEL = """
            listen: {address: 0.0.0.0}
            admin: {port: 9090}
            tunnels:
              - name: branch-1
                peer: {address: 198.18.0.2, id: site-b.test}
                local: {id: site-a.test, subnets: [10.10.0.0/24]}
                remote: {subnets: [10.20.0.0/24]}
                auth: {psk: {value: interop-test-psk-not-secret}}
                ike: {proposals: [aes256gcm16-prfsha384-ecp384]}
                esp: {proposals: [aes256gcm16]}
            """;

    /** A valid config with two tunnels (the first with lifetimes and DPD); every case below breaks one thing in it. */
    public static final String VALID = ONE_TUNNEL
            .replace("ike: {proposals: [aes256gcm16-prfsha384-ecp384]}",
                    "ike: {proposals: [aes256gcm16-prfsha384-ecp384], rekeyAfter: 4h, dpd: {interval: 30s}}")
            .replace("esp: {proposals: [aes256gcm16]}", "esp: {proposals: [aes256gcm16], rekeyAfter: 1h}") + """
              - name: branch-2
                peer: {address: 198.18.0.3, id: site-c.test}
                local: {id: site-a.test, subnets: [10.10.0.0/24]}
                remote: {subnets: [10.30.0.0/24]}
                auth: {psk: {value: another-test-psk-not-secret}}
                ike: {proposals: [aes256gcm16-prfsha384-ecp384]}
                esp: {proposals: [aes256gcm16]}
            """;

    /** One careless config: {@code yaml} builds it (given a directory for the files it names). */
    public record Case(String name, String field, String messagePart, Function<Path, String> yaml) {
        @Override
        public String toString() {
            return name;
        }
    }

    private CarelessConfigs() {
    }

    public static List<Case> all() {
        return List.of(
                replace("PSK file missing", "tunnels[0].auth.psk.file", "does not exist",
                        "value: interop-test-psk-not-secret", dir -> "file: " + dir.resolve("no-such-psk")),
                replace("PSK file of 5 bytes", "tunnels[0].auth.psk.file", "shorter than 16 bytes",
                        "value: interop-test-psk-not-secret", dir -> "file: " + write(dir, "short.psk", "abcde\n")),
                replace("PSK file of spaces", "tunnels[0].auth.psk.file", "only whitespace",
                        "value: interop-test-psk-not-secret", dir -> "file: " + write(dir, "blank.psk", " ".repeat(24) + "\n")),
                replace("PSK of 20 spaces", "tunnels[0].auth.psk.value", "only whitespace",
                        "value: interop-test-psk-not-secret", dir -> "value: '" + " ".repeat(20) + "'"),
                replace("duplicate value key", "tunnels[0].auth.psk", "duplicate key at line 8",
                        "value: interop-test-psk-not-secret", dir -> "value: interop-test-psk-not-secret, value: "
                                + "a-second-psk-that-would-win"),
                replace("local overlaps remote", "tunnels[0].remote.subnets[0]", "overlaps 10.10.0.0/24",
                        "remote: {subnets: [10.20.0.0/24]}", dir -> "remote: {subnets: [10.10.0.0/16]}"),
                replace("two tunnels' remotes overlap", "tunnels[1].remote.subnets[0]", "of tunnel 'branch-1'",
                        "remote: {subnets: [10.30.0.0/24]}", dir -> "remote: {subnets: [10.20.0.128/25]}"),
                replace("IPv6 peer, IPv4 listen address", "tunnels[0].peer.address", "IPv6",
                        "address: 198.18.0.2", dir -> "address: '2001:db8::2'"),
                replace("ike.rekeyAfter 1ms", "tunnels[0].ike.rekeyAfter", "minimum of 10s",
                        "rekeyAfter: 4h", dir -> "rekeyAfter: 1ms"),
                replace("esp.rekeyAfter 0s", "tunnels[0].esp.rekeyAfter", "minimum of 10s",
                        "rekeyAfter: 1h", dir -> "rekeyAfter: 0s"),
                replace("DPD interval 1ms", "tunnels[0].ike.dpd.interval", "minimum of 1s",
                        "interval: 30s", dir -> "interval: 1ms"),
                replace("lifetime that overflows", "tunnels[0].ike.rekeyAfter", "too long",
                        "rekeyAfter: 4h", dir -> "rekeyAfter: 999999999999999d"));
    }

    private static Case replace(String name, String field, String messagePart, String from, Function<Path, String> to) {
        return new Case(name, field, messagePart, dir -> {
            String yaml = VALID.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to.apply(dir)));
            if (yaml.equals(VALID)) {
                throw new IllegalStateException(name + ": '" + from + "' is not in the valid config");
            }
            return yaml;
        });
    }

    private static Path write(Path dir, String name, String content) {
        try {
            return Files.writeString(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
