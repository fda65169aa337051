package dev.strait.gateway.config;

import java.util.List;

/** YAML broken in the lines around a PSK, each with a canary key that must appear in no message or log. */
public final class BrokenYaml {
    /** The canary PSK; messages are checked for a part of it, so a cut-off quote is caught too. */
    public static final String CANARY = "CANARY-9f27c4e1-psk-never-print";
    public static final String CANARY_PART = "9f27c4e1";

    /** A broken config, and what the refusal must say instead of the line. */
    public record Case(String name, String yaml, String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    private BrokenYaml() {
    }

    public static List<Case> all() {
        // Eight lines: the valid tunnel without its admin and auth lines; each case appends a broken auth line.
        String head = CarelessConfigs.ONE_TUNNEL.replace("admin: {port: 9090}\n", "")
                .replace("    auth: {psk: {value: interop-test-psk-not-secret}}\n", "");
        return List.of(
                new Case("unterminated quote", head + "    auth: {psk: {value: \"" + CANARY + "}}\n", "not valid YAML at line 10, column 1"),
                new Case("mapping value in a plain scalar", head + "    auth: {psk: {value: " + CANARY + ": x}}\n", "at line 9"),
                new Case("bad indentation", head + "    auth:\n      psk:\n        value: " + CANARY + "\n       file: x\n",
                        "at line 12"),
                new Case("tab indentation", head + "    auth:\n      psk:\n\tvalue: " + CANARY + "\n", "not valid YAML at line 11, column 1"),
                new Case("unclosed flow sequence", head + "    auth: {psk: {value: [" + CANARY + "}\n", "at line"),
                new Case("the key as a mapping key", head + "    auth: {psk: {" + CANARY + ": 1}}\n",
                        "unknown field at line 9"),
                new Case("the key where a number goes", "admin: {port: " + CANARY + "}\n" + head, "invalid value at line 1"),
                new Case("the key as a list item", head + "    auth: {psk: {value: [" + CANARY + "]}}\n",
                        "wrong type at line 9"),
                new Case("duplicate key holding the key", head + "    auth: {psk: {value: " + CANARY + ", value: "
                        + CANARY + "}}\n", "duplicate key at line 9"));
    }
}
