package dev.strait.api.validation;

import dev.strait.api.v1alpha1.TunnelSpec;

/** Parses every configured proposal so that a typo or a refused algorithm is reported with its field. */
final class ProposalCheck {
    private ProposalCheck() {
    }

    static void check(String at, TunnelSpec t) throws ConfigException {
        boolean legacy = Boolean.TRUE.equals(t.legacyAlgorithms);
        if (t.ike != null && t.ike.proposals != null) {
            for (int i = 0; i < t.ike.proposals.size(); i++) {
                try {
                    ProposalSyntax.ikeVariants(t.ike.proposals.get(i), legacy);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(at + ".ike.proposals[" + i + "]", e.getMessage());
                }
            }
        }
        if (t.esp != null && t.esp.proposals != null) {
            for (int i = 0; i < t.esp.proposals.size(); i++) {
                ProposalSyntax.Proposal esp;
                try {
                    esp = ProposalSyntax.espVariants(t.esp.proposals.get(i), legacy).getFirst();
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(at + ".esp.proposals[" + i + "]", e.getMessage());
                }
                if (!esp.additionalKes().isEmpty() && esp.groups().isEmpty()) {
                    // RFC 9370: the additional exchanges of a Child SA rekey follow the CREATE_CHILD_SA KE (PFS group)
                    throw new ConfigException(at + ".esp.proposals[" + i + "]", "additional key exchanges (keN_) need a"
                            + " PFS group first, e.g. aes256gcm16-x25519-ke1_mlkem768");
                }
            }
        }
    }
}
