package dev.strait.gateway.ike.crypto;

import dev.strait.gateway.ike.crypto.Algorithms.Encr;
import dev.strait.gateway.ike.crypto.Algorithms.Group;
import dev.strait.gateway.ike.crypto.Algorithms.Integ;
import dev.strait.gateway.ike.crypto.Algorithms.Prf;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses proposals written in strongSwan's syntax (aes256gcm16-prfsha384-modp3072, aes256-sha256-ecp384,
 * chacha20poly1305-prfsha256-x25519, aes256gcm16-prfsha384-x25519-ke1_mlkem768). Weak algorithms (DES, 3DES,
 * Blowfish, MD5, MODP below 2048) are refused with a message that says why; SHA-1 only when legacy is allowed.
 * As in strongSwan, an IKE proposal with a non-AEAD cipher and no prf gets the PRFs matching its integrity
 * algorithms; ESP proposals have no prf and default to noesn.
 */
public final class ProposalParser {
    private ProposalParser() {
    }

    private static final Map<String, IkeProposal.EncrChoice> ENCR = Map.ofEntries(
            Map.entry("aes128", new IkeProposal.EncrChoice(Encr.AES_CBC, 128)),
            Map.entry("aes192", new IkeProposal.EncrChoice(Encr.AES_CBC, 192)),
            Map.entry("aes256", new IkeProposal.EncrChoice(Encr.AES_CBC, 256)),
            Map.entry("aes128gcm16", new IkeProposal.EncrChoice(Encr.AES_GCM_16, 128)),
            Map.entry("aes128gcm128", new IkeProposal.EncrChoice(Encr.AES_GCM_16, 128)),
            Map.entry("aes192gcm16", new IkeProposal.EncrChoice(Encr.AES_GCM_16, 192)),
            Map.entry("aes192gcm128", new IkeProposal.EncrChoice(Encr.AES_GCM_16, 192)),
            Map.entry("aes256gcm16", new IkeProposal.EncrChoice(Encr.AES_GCM_16, 256)),
            Map.entry("aes256gcm128", new IkeProposal.EncrChoice(Encr.AES_GCM_16, 256)),
            Map.entry("chacha20poly1305", new IkeProposal.EncrChoice(Encr.CHACHA20_POLY1305, 256)),
            Map.entry("camellia128", new IkeProposal.EncrChoice(Encr.CAMELLIA_CBC, 128)),
            Map.entry("camellia192", new IkeProposal.EncrChoice(Encr.CAMELLIA_CBC, 192)),
            Map.entry("camellia256", new IkeProposal.EncrChoice(Encr.CAMELLIA_CBC, 256)));

    private static final Map<String, Integ> INTEG = Map.of(
            "sha1", Integ.HMAC_SHA1_96, "sha256", Integ.HMAC_SHA2_256_128, "sha2_256", Integ.HMAC_SHA2_256_128,
            "sha384", Integ.HMAC_SHA2_384_192, "sha2_384", Integ.HMAC_SHA2_384_192,
            "sha512", Integ.HMAC_SHA2_512_256, "sha2_512", Integ.HMAC_SHA2_512_256);

    private static final Map<String, Prf> PRF = Map.of(
            "prfsha1", Prf.HMAC_SHA1, "prfsha256", Prf.HMAC_SHA2_256, "prfsha384", Prf.HMAC_SHA2_384,
            "prfsha512", Prf.HMAC_SHA2_512);

    private static final Map<String, Group> GROUPS = Map.ofEntries(
            Map.entry("modp2048", Group.MODP_2048), Map.entry("modp3072", Group.MODP_3072),
            Map.entry("modp4096", Group.MODP_4096), Map.entry("ecp256", Group.ECP_256),
            Map.entry("ecp384", Group.ECP_384), Map.entry("ecp521", Group.ECP_521),
            Map.entry("x25519", Group.CURVE25519), Map.entry("curve25519", Group.CURVE25519),
            Map.entry("x448", Group.CURVE448), Map.entry("curve448", Group.CURVE448),
            Map.entry("mlkem768", Group.ML_KEM_768), Map.entry("mlkem1024", Group.ML_KEM_1024));

    private static final Pattern WEAK = Pattern.compile(
            "(?<des>3?des(iv\\d+)?)|(?<blowfish>blowfish\\d*)|(?<md5>(prf|hmac)?md5(_128)?)"
                    + "|(?<modp>modp(768|1024|1536)(s\\d+)?)");
    private static final Pattern ADDITIONAL_KE = Pattern.compile("ke([1-7])_(.+)");

    /** @throws IllegalArgumentException with a message naming the bad token and why */
    public static IkeProposal parseIke(String text, boolean allowLegacy) {
        return parseIkeVariants(text, allowLegacy).getFirst();
    }

    /**
     * The proposal, and with optional additional key exchanges (strongSwan's keN_none, RFC 9370 transform NONE) one
     * variant per way to leave them out, most key exchanges first: the negotiation picks the first one both sides
     * accept, as it would pick NONE for an optional ADDKE. Optional ones must be the last: ke1_none before a
     * required ke2_ has no variant without a gap.
     */
    public static List<IkeProposal> parseIkeVariants(String text, boolean allowLegacy) {
        Parsed p = parse(text, allowLegacy, true);
        if (!p.esn.isEmpty()) {
            throw new IllegalArgumentException(where(text) + "ESN tokens belong to ESP proposals, not IKE");
        }
        if (p.groups.isEmpty()) {
            throw new IllegalArgumentException(where(text) + "missing key exchange group (e.g. ecp384, x25519)");
        }
        List<Prf> prfs = new ArrayList<>(p.prf);
        if (prfs.isEmpty()) {
            if (p.aead) {
                throw new IllegalArgumentException(where(text)
                        + "an AEAD cipher needs an explicit prf (e.g. prfsha384)");
            }
            for (Integ integ : p.integ) {
                Prf derived = prfFor(integ);
                if (!prfs.contains(derived)) {
                    prfs.add(derived);
                }
            }
        }
        return p.additionalKeVariants().stream().map(adds -> new IkeProposal(List.copyOf(p.encr), List.copyOf(prfs),
                List.copyOf(p.integ), List.copyOf(p.groups), adds)).toList();
    }

    /** @throws IllegalArgumentException with a message naming the bad token and why */
    public static EspProposal parseEsp(String text, boolean allowLegacy) {
        return parseEspVariants(text, allowLegacy).getFirst();
    }

    /** Like {@link #parseIkeVariants}, for ESP. */
    public static List<EspProposal> parseEspVariants(String text, boolean allowLegacy) {
        Parsed p = parse(text, allowLegacy, false);
        if (p.encr.stream().anyMatch(e -> e.alg() == Encr.CAMELLIA_CBC)) {
            // Refused here, not at install time: the userspace ESP datapath (EspCipher) has no Camellia.
            throw new IllegalArgumentException(where(text) + "Camellia is supported for IKE only, not for ESP; use aes256gcm16 or aes256-sha256");
        }
        List<Boolean> esn = p.esn.isEmpty() ? List.of(false) : List.copyOf(p.esn);
        return p.additionalKeVariants().stream().map(adds -> new EspProposal(List.copyOf(p.encr), List.copyOf(p.integ),
                List.copyOf(p.groups), esn, adds)).toList();
    }

    private static Prf prfFor(Integ integ) {
        return switch (integ) {
            case HMAC_SHA1_96 -> Prf.HMAC_SHA1;
            case HMAC_SHA2_256_128 -> Prf.HMAC_SHA2_256;
            case HMAC_SHA2_384_192 -> Prf.HMAC_SHA2_384;
            case HMAC_SHA2_512_256 -> Prf.HMAC_SHA2_512;
        };
    }

    private static final class Parsed {
        final SequencedSet<IkeProposal.EncrChoice> encr = new LinkedHashSet<>();
        final SequencedSet<Integ> integ = new LinkedHashSet<>();
        final SequencedSet<Prf> prf = new LinkedHashSet<>();
        final SequencedSet<Group> groups = new LinkedHashSet<>();
        final SequencedSet<Boolean> esn = new LinkedHashSet<>();
        final List<SequencedSet<Group>> additional = new ArrayList<>();
        /** Indexes (0 = ke1) of additional key exchanges that may be left out (keN_none). */
        final java.util.SortedSet<Integer> optional = new java.util.TreeSet<>();
        boolean aead;

        /** The additional key exchanges with every optional tail cut off in turn, longest first. */
        List<List<List<Group>>> additionalKeVariants() {
            List<List<List<Group>>> variants = new ArrayList<>();
            int shortest = optional.isEmpty() ? additional.size() : optional.first();
            for (int cut = additional.size(); cut >= shortest; cut--) {
                List<List<Group>> adds = additional.subList(0, cut).stream().<List<Group>>map(List::copyOf).toList();
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
        String normalized = text.strip().toLowerCase(Locale.ROOT);
        Parsed p = new Parsed();
        for (String token : normalized.split("-", -1)) {
            if (token.isEmpty()) {
                throw new IllegalArgumentException(where(text) + "empty token (two '-' in a row, or a leading/"
                        + "trailing '-')");
            }
            refuseWeak(text, token);
            IkeProposal.EncrChoice encr = ENCR.get(token);
            if (encr != null) {
                p.encr.add(encr);
                continue;
            }
            Integ integ = INTEG.get(token);
            if (integ != null) {
                if (integ == Integ.HMAC_SHA1_96) {
                    requireLegacy(token, allowLegacy);
                }
                p.integ.add(integ);
                continue;
            }
            Prf prf = PRF.get(token);
            if (prf != null) {
                if (!ike) {
                    throw new IllegalArgumentException(where(text) + "'" + token
                            + "': ESP proposals have no prf (remove it)");
                }
                if (prf == Prf.HMAC_SHA1) {
                    requireLegacy(token, allowLegacy);
                }
                p.prf.add(prf);
                continue;
            }
            Group group = GROUPS.get(token);
            if (group != null) {
                p.groups.add(group);
                continue;
            }
            if (token.equals("esn") || token.equals("noesn")) {
                p.esn.add(token.equals("esn"));
                continue;
            }
            Matcher ke = ADDITIONAL_KE.matcher(token);
            if (ke.matches()) {
                int index = Integer.parseInt(ke.group(1)) - 1;
                while (p.additional.size() <= index) {
                    p.additional.add(new LinkedHashSet<>());
                }
                if (ke.group(2).equals("none")) {
                    p.optional.add(index);
                    continue;
                }
                refuseWeak(text, ke.group(2));
                Group additional = GROUPS.get(ke.group(2));
                if (additional == null) {
                    throw new IllegalArgumentException(where(text) + "'" + token + "': unknown key exchange method '"
                            + ke.group(2) + "'");
                }
                p.additional.get(index).add(additional);
                continue;
            }
            throw new IllegalArgumentException(where(text) + "unknown algorithm '" + token + "'");
        }
        if (p.encr.isEmpty()) {
            throw new IllegalArgumentException(where(text) + "missing encryption algorithm (e.g. aes256gcm16)");
        }
        long aeadCount = p.encr.stream().filter(e -> e.alg().aead).count();
        if (aeadCount != 0 && aeadCount != p.encr.size()) {
            throw new IllegalArgumentException(where(text) + "AEAD and non-AEAD ciphers cannot share one proposal; "
                    + "write them as separate proposals");
        }
        p.aead = aeadCount != 0;
        if (p.aead && !p.integ.isEmpty()) {
            throw new IllegalArgumentException(where(text) + "integrity algorithm '" + tokenOf(p.integ.getFirst())
                    + "' cannot be combined with an AEAD cipher, which authenticates by itself");
        }
        if (!p.aead && p.integ.isEmpty()) {
            throw new IllegalArgumentException(where(text) + "missing integrity algorithm for a non-AEAD cipher "
                    + "(e.g. sha256)");
        }
        for (int i = 0; i < p.additional.size(); i++) {
            if (!p.optional.isEmpty() && i > p.optional.first() && !p.optional.contains(i)) {
                throw new IllegalArgumentException(where(text) + "ke" + (p.optional.first() + 1) + "_none before a required ke"
                        + (i + 1) + "_ is not supported: optional additional key exchanges must come last");
            }
            if (p.additional.get(i).isEmpty() && !p.optional.contains(i)) {
                throw new IllegalArgumentException(where(text) + "ke" + (i + 2) + "_ given without ke" + (i + 1)
                        + "_; additional key exchanges must be numbered from ke1 without gaps");
            }
        }
        return p;
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

    private static String tokenOf(Integ integ) {
        return ProposalFormatter.token(integ);
    }
}
