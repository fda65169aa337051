package dev.strait.gateway.ike.crypto;

import java.util.List;

/**
 * One configured IKE proposal. A strongSwan proposal string may list several algorithms per type
 * ("aes256gcm16-aes128gcm16-prfsha384-ecp384-x25519"); each list is in preference order.
 * integ is empty for AEAD ciphers. additionalKes holds RFC 9370 "keN_" groups, index 0 = ADDKE1.
 */
public record IkeProposal(List<EncrChoice> encr, List<Algorithms.Prf> prf, List<Algorithms.Integ> integ,
                          List<Algorithms.Group> groups, List<List<Algorithms.Group>> additionalKes) {
    public record EncrChoice(Algorithms.Encr alg, int keyBits) {
    }
}
