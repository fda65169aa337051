package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.MetricLabel;

/**
 * Why a request was refused before its sender authenticated: the {@code reason} label of
 * {@code strait_ike_rejected_total}. Anyone can send these requests from any (spoofed) address, so they are counted
 * per gateway and never change a tunnel's status or its {@code strait_ike_auth_failures_total}.
 */
public enum IkeRejection implements MetricLabel {
    /** IKE_SA_INIT without an IKE proposal any candidate tunnel accepts (answered NO_PROPOSAL_CHOSEN). */
    NO_PROPOSAL,
    /** IKE_SA_INIT missing SA, KE or Nonce, or additional key exchanges without IKE_INTERMEDIATE (INVALID_SYNTAX). */
    INVALID_SYNTAX,
    /** IKE_SA_INIT whose key exchange value is not a valid public value of its group. */
    INVALID_KE,
    /** IKE_AUTH whose identity no candidate tunnel has (answered AUTHENTICATION_FAILED). */
    ID_MISMATCH;
}
