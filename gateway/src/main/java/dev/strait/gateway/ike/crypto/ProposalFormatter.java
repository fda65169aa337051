package dev.strait.gateway.ike.crypto;

import dev.strait.gateway.ike.crypto.Algorithms.Group;
import dev.strait.gateway.ike.crypto.Algorithms.Integ;
import dev.strait.gateway.ike.crypto.Algorithms.Prf;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * Writes proposals back in strongSwan syntax for status output ("aes256gcm16-prfsha384-modp3072"); the output parses
 * back to an equal proposal. ESP's default noesn is left out.
 */
public final class ProposalFormatter {
    private ProposalFormatter() {
    }

    public static String format(IkeProposal proposal) {
        StringJoiner out = new StringJoiner("-");
        proposal.encr().forEach(e -> out.add(token(e)));
        proposal.integ().forEach(i -> out.add(token(i)));
        proposal.prf().forEach(p -> out.add(token(p)));
        proposal.groups().forEach(g -> out.add(token(g)));
        addAdditional(out, proposal.additionalKes());
        return out.toString();
    }

    public static String format(EspProposal proposal) {
        StringJoiner out = new StringJoiner("-");
        proposal.encr().forEach(e -> out.add(token(e)));
        proposal.integ().forEach(i -> out.add(token(i)));
        proposal.groups().forEach(g -> out.add(token(g)));
        if (!proposal.esn().equals(List.of(false))) {
            proposal.esn().forEach(esn -> out.add(esn ? "esn" : "noesn"));
        }
        addAdditional(out, proposal.additionalKes());
        return out.toString();
    }

    private static void addAdditional(StringJoiner out, List<List<Group>> additionalKes) {
        for (int i = 0; i < additionalKes.size(); i++) {
            for (Group group : additionalKes.get(i)) {
                out.add("ke" + (i + 1) + "_" + token(group));
            }
        }
    }

    public static String token(IkeProposal.EncrChoice choice) {
        return switch (choice.alg()) {
            case AES_CBC -> "aes" + choice.keyBits();
            case AES_GCM_16 -> "aes" + choice.keyBits() + "gcm16";
            case CHACHA20_POLY1305 -> "chacha20poly1305";
            case CAMELLIA_CBC -> "camellia" + choice.keyBits();
        };
    }

    public static String token(Integ integ) {
        return switch (integ) {
            case HMAC_SHA1_96 -> "sha1";
            case HMAC_SHA2_256_128 -> "sha256";
            case HMAC_SHA2_384_192 -> "sha384";
            case HMAC_SHA2_512_256 -> "sha512";
        };
    }

    public static String token(Prf prf) {
        return switch (prf) {
            case HMAC_SHA1 -> "prfsha1";
            case HMAC_SHA2_256 -> "prfsha256";
            case HMAC_SHA2_384 -> "prfsha384";
            case HMAC_SHA2_512 -> "prfsha512";
        };
    }

    public static String token(Group group) {
        return switch (group) {
            case MODP_2048 -> "modp2048";
            case MODP_3072 -> "modp3072";
            case MODP_4096 -> "modp4096";
            case ECP_256 -> "ecp256";
            case ECP_384 -> "ecp384";
            case ECP_521 -> "ecp521";
            case CURVE25519 -> "x25519";
            case CURVE448 -> "x448";
            case ML_KEM_768 -> "mlkem768";
            case ML_KEM_1024 -> "mlkem1024";
        };
    }

    /** A single negotiated choice, e.g. for the status of an established SA. */
    public static String format(IkeProposal.EncrChoice encr, Integ integ, Prf prf, Group group) {
        List<String> parts = new ArrayList<>();
        parts.add(token(encr));
        if (integ != null) {
            parts.add(token(integ));
        }
        if (prf != null) {
            parts.add(token(prf));
        }
        if (group != null) {
            parts.add(token(group));
        }
        return String.join("-", parts);
    }
}
