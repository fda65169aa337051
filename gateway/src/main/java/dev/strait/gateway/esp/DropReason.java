package dev.strait.gateway.esp;

/** Why a packet was dropped; the label is the Prometheus "reason" value. */
public enum DropReason {
    REPLAY, AUTH, POLICY, NO_SA, MALFORMED, PAD, DUMMY, SEQ_EXHAUSTED, MTU, IO;

    private final String label = name().toLowerCase(java.util.Locale.ROOT);

    public String label() {
        return label;
    }

    /** Encodes this reason as the negative return value of the seal/open methods. */
    int code() {
        return -1 - ordinal();
    }

    /** Decodes a negative seal/open result. */
    public static DropReason ofCode(int code) {
        return values()[-1 - code];
    }
}
