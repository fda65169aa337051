package dev.strait.operator.config;

/** Why a tunnel's config is not valid: the reason of its ConfigValid=False condition. */
public enum Reason {
    GatewayNotFound,
    SecretNotFound,
    SecretKeyNotFound,
    InvalidProposal,
    SubnetOverlap,
    InvalidSpec
}
