package dev.strait.api.validation;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedSet;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * strongSwan's proposal syntax (aes256gcm16-prfsha384-modp3072, aes256-sha256-ecp384,
 * chacha20poly1305-prfsha256-x25519, aes256gcm16-prfsha384-x25519-ke1_mlkem768), parsed into canonical tokens.
 * Weak algorithms (DES, 3DES, Blowfish, MD5, MODP below 2048) are refused with a message that says why; SHA-1 only
 * when legacy is allowed. As in strongSwan, an IKE proposal with a non-AEAD cipher and no prf gets the PRFs matching
 * its integrity algorithms; ESP proposals have no prf and default to noesn.
 * <p>
 * Here so that the operator refuses exactly what the gateway refuses without the gateway's crypto: the gateway maps
 * the canonical tokens to IANA transforms (its ProposalParser), aliases (sha2_256, curve25519, aes128gcm128) never
 * reach it.
 */
public final class ProposalSyntax {
    /** An encryption token: its canonical spelling, key size and whether it is an AEAD cipher. */
    public record Cipher(String token, int keyBits, boolean aead) {
    }

    /**
     * One proposal in canonical tokens, each list in preference order. prf is empty for ESP, esn empty for IKE;
     * additionalKes holds RFC 9370 "keN_" groups, index 0 = ADDKE1.
     */
    public record Proposal(List<Cipher> encr, List<String> integ, List<String> prf, List<String> groups,
                           List<Boolean> esn, List<List<String>> additionalKes) {
    }

    private static final Map<String, Cipher> CIPHERS = Map.ofEntries(
            cipher("aes128", 128, false), cipher("aes192", 192, false), cipher("aes256", 256, false),
            cipher("aes128gcm16", 128, true), alias("aes128gcm128", "aes128gcm16", 128),
            cipher("aes192gcm16", 192, true), alias("aes192gcm128", "aes192gcm16", 192),
            cipher("aes256gcm16", 256, true), alias("aes256gcm128", "aes256gcm16", 256),
            cipher("chacha20poly1305", 256, true),
            cipher("camellia128", 128, false), cipher("camellia192", 192, false), cipher("camellia256", 256, false));
    private static final Map<String, String> INTEGRITY = Map.of("sha1", "sha1", "sha256", "sha256",
            "sha2_256", "sha256", "sha384", "sha384", "sha2_384", "sha384", "sha512", "sha512", "sha2_512", "sha512");
    private static final Set<String> PRFS = Set.of("prfsha1", "prfsha256", "prfsha384", "prfsha512");
    private static final Map<String, String> GROUPS = Map.ofEntries(
            Map.entry("modp2048", "modp2048"), Map.entry("modp3072", "modp3072"), Map.entry("modp4096", "modp4096"),
            Map.entry("ecp256", "ecp256"), Map.entry("ecp384", "ecp384"), Map.entry("ecp521", "ecp521"),
            Map.entry("x25519", "x25519"), Map.entry("curve25519", "x25519"),
            Map.entry("x448", "x448"), Map.entry("curve448", "x448"),
            Map.entry("mlkem768", "mlkem768"), Map.entry("mlkem1024", "mlkem1024"));
    private static final String LEGACY_INTEGRITY = "sha1";
    private static final String LEGACY_PRF = "prfsha1";

    private static final Pattern WEAK = Pattern.compile(
            "(?<des>3?des(iv\\d+)?)|(?<blowfish>blowfish\\d*)|(?<md5>(prf|hmac)?md5(_128)?)"
                    + "|(?<modp>modp(768|1024|1536)(s\\d+)?)");
    private static final Pattern ADDITIONAL_KE = Pattern.compile("ke([1-7])_(.+)");

    private ProposalSyntax() {
    }

    /** Every canonical encryption token with its key size: what a parsed proposal may hold. */
    public static Set<Cipher> ciphers() {
        return Set.copyOf(CIPHERS.values());
    }

    public static Set<String> integrityTokens() {
        return Set.copyOf(INTEGRITY.values());
    }

    public static Set<String> prfTokens() {
        return PRFS;
    }

    /** Key exchange methods, for groups and additional key exchanges alike. */
    public static Set<String> groupTokens() {
        return Set.copyOf(GROUPS.values());
    }

    /**
     * The IKE proposal, and with optional additional key exchanges (strongSwan's keN_none, RFC 9370 transform NONE)
     * one variant per way to leave them out, most key exchanges first: the negotiation picks the first one both sides
     * accept, as it would pick NONE for an optional ADDKE. Optional ones must be the last: ke1_none before a required
     * ke2_ has no variant without a gap.
     *
     * @throws IllegalArgumentException with a message naming the bad token and why
     */
    public static List<Proposal> ikeVariants(String text, boolean allowLegacy) {
        Parsed p = parse(text, allowLegacy, true);
        if (!p.esn.isEmpty()) {
            throw new IllegalArgumentException(where(text) + "ESN tokens belong to ESP proposals, not IKE");
        }
        if (p.groups.isEmpty()) {
            throw new IllegalArgumentException(where(text) + "missing key exchange group (e.g. ecp384, x25519)");
        }
        SequencedSet<String> prfs = new LinkedHashSet<>(p.prf);
        if (prfs.isEmpty()) {
            if (p.aead) {
                throw new IllegalArgumentException(where(text)
                        + "an AEAD cipher needs an explicit prf (e.g. prfsha384)");
            }
            p.integ.forEach(integ -> prfs.add("prf" + integ)); // sha256 -> prfsha256: the PRF of the same hash
        }
        return p.additionalKeVariants().stream().map(adds -> new Proposal(List.copyOf(p.encr), List.copyOf(p.integ),
                List.copyOf(prfs), List.copyOf(p.groups), List.of(), adds)).toList();
    }

    /** Like {@link #ikeVariants}, for ESP. */
    public static List<Proposal> espVariants(String text, boolean allowLegacy) {
        Parsed p = parse(text, allowLegacy, false);
        if (p.encr.stream().anyMatch(e -> e.token().startsWith("camellia"))) {
            // Refused here, not at install time: the userspace ESP datapath has no Camellia.
            throw new IllegalArgumentException(where(text)
                    + "Camellia is supported for IKE only, not for ESP; use aes256gcm16 or aes256-sha256");
        }
        List<Boolean> esn = p.esn.isEmpty() ? List.of(false) : List.copyOf(p.esn);
        return p.additionalKeVariants().stream().map(adds -> new Proposal(List.copyOf(p.encr), List.copyOf(p.integ),
                List.of(), List.copyOf(p.groups), esn, adds)).toList();
    }

    private static final class Parsed {
        final SequencedSet<Cipher> encr = new LinkedHashSet<>();
        final SequencedSet<String> integ = new LinkedHashSet<>();
        final SequencedSet<String> prf = new LinkedHashSet<>();
        final SequencedSet<String> groups = new LinkedHashSet<>();
        final SequencedSet<Boolean> esn = new LinkedHashSet<>();
        final List<SequencedSet<String>> additional = new ArrayList<>();
        /** Indexes (0 = ke1) of additional key exchanges that may be left out (keN_none). */
        final SortedSet<Integer> optional = new TreeSet<>();
        boolean aead;

        /** The additional key exchanges with every optional tail cut off in turn, longest first. */
        List<List<List<String>>> additionalKeVariants() {
            List<List<List<String>>> variants = new ArrayList<>();
            int shortest = optional.isEmpty() ? additional.size() : optional.first();
            for (int cut = additional.size(); cut >= shortest; cut--) {
                List<List<String>> adds = additional.subList(0, cut).stream().<List<String>>map(List::copyOf).toList();
                if (adds.stream().noneMatch(List::isEmpty)) { // a keN_none alone offers no group for that slot
                    variants.add(adds);
                }
            }
            return variants;
        }
    }

    private static Parsed parse(String text, boolean allowLegacy, boolean ike) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty proposal");
        }
        Parsed p = new Parsed();
        for (String token : text.strip().toLowerCase(Locale.ROOT).split("-", -1)) {
            if (token.isEmpty()) {
                throw new IllegalArgumentException(where(text) + "empty token (two '-' in a row, or a leading/"
                        + "trailing '-')");
            }
            refuseWeak(text, token);
            if (!add(p, text, token, allowLegacy, ike)) {
                throw new IllegalArgumentException(where(text) + "unknown algorithm '" + token + "'");
            }
        }
        checkShape(p, text);
        return p;
    }

    /** Adds one token to p; false when it is no algorithm at all. */
    private static boolean add(Parsed p, String text, String token, boolean allowLegacy, boolean ike) {
        if (CIPHERS.containsKey(token)) {
            p.encr.add(CIPHERS.get(token));
        } else if (INTEGRITY.containsKey(token)) {
            if (LEGACY_INTEGRITY.equals(token)) {
                requireLegacy(token, allowLegacy);
            }
            p.integ.add(INTEGRITY.get(token));
        } else if (PRFS.contains(token)) {
            if (!ike) {
                throw new IllegalArgumentException(where(text) + "'" + token
                        + "': ESP proposals have no prf (remove it)");
            }
            if (LEGACY_PRF.equals(token)) {
                requireLegacy(token, allowLegacy);
            }
            p.prf.add(token);
        } else if (GROUPS.containsKey(token)) {
            p.groups.add(GROUPS.get(token));
        } else if (token.equals("esn") || token.equals("noesn")) {
            p.esn.add(token.equals("esn"));
        } else {
            Matcher ke = ADDITIONAL_KE.matcher(token);
            if (!ke.matches()) {
                return false;
            }
            addAdditional(p, text, token, Integer.parseInt(ke.group(1)) - 1, ke.group(2));
        }
        return true;
    }

    private static void addAdditional(Parsed p, String text, String token, int index, String method) {
        while (p.additional.size() <= index) {
            p.additional.add(new LinkedHashSet<>());
        }
        if (method.equals("none")) {
            p.optional.add(index);
            return;
        }
        refuseWeak(text, method);
        String group = GROUPS.get(method);
        if (group == null) {
            throw new IllegalArgumentException(where(text) + "'" + token + "': unknown key exchange method '"
                    + method + "'");
        }
        p.additional.get(index).add(group);
    }

    /** The rules about how the tokens go together. */
    private static void checkShape(Parsed p, String text) {
        if (p.encr.isEmpty()) {
            throw new IllegalArgumentException(where(text) + "missing encryption algorithm (e.g. aes256gcm16)");
        }
        long aeadCount = p.encr.stream().filter(Cipher::aead).count();
        if (aeadCount != 0 && aeadCount != p.encr.size()) {
            throw new IllegalArgumentException(where(text) + "AEAD and non-AEAD ciphers cannot share one proposal; "
                    + "write them as separate proposals");
        }
        p.aead = aeadCount != 0;
        if (p.aead && !p.integ.isEmpty()) {
            throw new IllegalArgumentException(where(text) + "integrity algorithm '" + p.integ.getFirst()
                    + "' cannot be combined with an AEAD cipher, which authenticates by itself");
        }
        if (!p.aead && p.integ.isEmpty()) {
            throw new IllegalArgumentException(where(text) + "missing integrity algorithm for a non-AEAD cipher "
                    + "(e.g. sha256)");
        }
        for (int i = 0; i < p.additional.size(); i++) {
            if (!p.optional.isEmpty() && i > p.optional.first() && !p.optional.contains(i)) {
                throw new IllegalArgumentException(where(text) + "ke" + (p.optional.first() + 1) + "_none before a "
                        + "required ke" + (i + 1) + "_ is not supported: optional additional key exchanges must come last");
            }
            if (p.additional.get(i).isEmpty() && !p.optional.contains(i)) {
                throw new IllegalArgumentException(where(text) + "ke" + (i + 2) + "_ given without ke" + (i + 1)
                        + "_; additional key exchanges must be numbered from ke1 without gaps");
            }
        }
    }

    private static void refuseWeak(String text, String token) {
        Matcher weak = WEAK.matcher(token);
        if (!weak.matches()) {
            return;
        }
        String why;
        if (weak.group("des") != null) {
            why = "DES and 3DES are broken 64-bit block ciphers";
        } else if (weak.group("blowfish") != null) {
            why = "Blowfish is a weak 64-bit block cipher";
        } else if (weak.group("md5") != null) {
            why = "MD5 is broken";
        } else {
            why = "MODP groups below 2048 bits are too weak; use modp3072, ecp384 or x25519";
        }
        throw new IllegalArgumentException(where(text) + "'" + token + "' is refused: " + why);
    }

    private static void requireLegacy(String token, boolean allowLegacy) {
        if (!allowLegacy) {
            throw new IllegalArgumentException(token + " is a legacy algorithm; set legacyAlgorithms: true to allow it");
        }
    }

    private static String where(String text) {
        return "proposal '" + text + "': ";
    }

    private static Map.Entry<String, Cipher> cipher(String token, int keyBits, boolean aead) {
        return Map.entry(token, new Cipher(token, keyBits, aead));
    }

    /** Another spelling of an AEAD cipher (aes128gcm128: the ICV length in bits rather than bytes). */
    private static Map.Entry<String, Cipher> alias(String token, String canonical, int keyBits) {
        return Map.entry(token, new Cipher(canonical, keyBits, true));
    }
}
