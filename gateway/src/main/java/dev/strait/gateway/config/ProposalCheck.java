package dev.strait.gateway.config;

import dev.strait.api.v1alpha1.TunnelSpec;

/** Proposal strings are checked by the crypto package's parser; wired in once that package exists. */
final class ProposalCheck {
    private ProposalCheck() {
    }

    static void check(String at, TunnelSpec t) throws ConfigException {
        // Filled in by the crypto integration: parses each ike/esp proposal and rejects weak algorithms.
    }
}
