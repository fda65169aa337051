package dev.strait.api.validation;

import dev.strait.api.v1alpha1.TunnelSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resolves a PSK to bytes. Errors name the source, never the key. */
public final class Psks {
    private Psks() {
    }

    public static byte[] resolve(String field, TunnelSpec.Psk psk) throws ConfigException {
        byte[] key;
        if (psk.value != null) {
            key = psk.value.getBytes(StandardCharsets.UTF_8);
        } else if (psk.hex != null) {
            key = fromHex(field + ".hex", psk.hex);
        } else if (psk.file != null) {
            try {
                key = stripTrailingNewline(Files.readAllBytes(Path.of(psk.file)));
            } catch (IOException e) {
                throw new ConfigException(field + ".file", (e instanceof java.nio.file.NoSuchFileException
                        ? "file " + psk.file + " does not exist" : "cannot read " + psk.file)
                        + " (" + e.getClass().getSimpleName() + ")");
            }
        } else {
            throw new ConfigException(field, "secretRef must be resolved by the operator; the gateway needs file or value");
        }
        checkKey(psk.file != null ? field + ".file" : field, key);
        return key;
    }

    /**
     * The rules every PSK meets, whatever its source (value, hex, file, or the operator's Secret): at least
     * {@link ConfigValidator#MIN_PSK_BYTES} bytes, and not only whitespace (a key of 20 spaces is what an empty
     * template field or a bad copy leaves). The message never shows the key.
     */
    public static void checkKey(String field, byte[] key) throws ConfigException {
        if (key.length < ConfigValidator.MIN_PSK_BYTES) {
            throw new ConfigException(field, "is shorter than " + ConfigValidator.MIN_PSK_BYTES + " bytes");
        }
        boolean blank = true;
        for (byte b : key) {
            blank &= b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == '\f';
        }
        if (blank) {
            throw new ConfigException(field, "holds only whitespace");
        }
    }

    /** A hex PSK (any bytes, e.g. strongSwan's 0x... form without the prefix); the error never shows the digits. */
    static byte[] fromHex(String field, String hex) throws ConfigException {
        String digits = hex.strip();
        if (digits.startsWith("0x") || digits.startsWith("0X")) {
            digits = digits.substring(2);
        }
        if (digits.isEmpty() || digits.length() % 2 != 0 || !digits.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new ConfigException(field, "must be an even number of hexadecimal digits (an optional 0x prefix allowed)");
        }
        byte[] key = java.util.HexFormat.of().parseHex(digits);
        checkKey(field, key);
        return key;
    }

    /** Files written by `echo` or editors end in a newline that is not part of the key. */
    private static byte[] stripTrailingNewline(byte[] b) {
        int n = b.length;
        while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r')) {
            n--;
        }
        return java.util.Arrays.copyOf(b, n);
    }
}
