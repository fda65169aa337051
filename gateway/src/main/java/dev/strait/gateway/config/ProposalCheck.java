package dev.strait.gateway.config;

import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.ike.crypto.ProposalParser;

/** Parses every configured proposal so that a typo or a refused algorithm is reported with its field. */
final class ProposalCheck {
    private ProposalCheck() {
    }

    static void check(String at, TunnelSpec t) throws ConfigException {
        boolean legacy = Boolean.TRUE.equals(t.legacyAlgorithms);
        if (t.ike != null && t.ike.proposals != null) {
            for (int i = 0; i < t.ike.proposals.size(); i++) {
                try {
                    ProposalParser.parseIke(t.ike.proposals.get(i), legacy);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(at + ".ike.proposals[" + i + "]", e.getMessage());
                }
            }
        }
        if (t.esp != null && t.esp.proposals != null) {
            for (int i = 0; i < t.esp.proposals.size(); i++) {
                boolean additional;
                try {
                    additional = !ProposalParser.parseEsp(t.esp.proposals.get(i), legacy).additionalKes().isEmpty();
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(at + ".esp.proposals[" + i + "]", e.getMessage());
                }
                if (additional) {
                    // CREATE_CHILD_SA + IKE_FOLLOWUP_KE (RFC 9370 section 2.2.4) is not implemented: refuse rather
                    // than silently rekey Child SAs without the additional key exchanges.
                    throw new ConfigException(at + ".esp.proposals[" + i + "]", "additional key exchanges (keN_) for"
                            + " Child SAs are not supported yet; put them in ike.proposals (Child keys derive from SK_d)");
                }
            }
        }
    }
}
