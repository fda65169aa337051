package dev.strait.gateway.ike.message;

/** IANA "IKEv2 Exchange Types". */
public final class ExchangeType {
    public static final int IKE_SA_INIT = 34;
    public static final int IKE_AUTH = 35;
    public static final int CREATE_CHILD_SA = 36;
    public static final int INFORMATIONAL = 37;
    public static final int IKE_INTERMEDIATE = 43;
    /** RFC 9370 section 2.2.4. */
    public static final int IKE_FOLLOWUP_KE = 44;

    private ExchangeType() {
    }

    public static String name(int type) {
        return switch (type) {
            case IKE_SA_INIT -> "IKE_SA_INIT";
            case IKE_AUTH -> "IKE_AUTH";
            case CREATE_CHILD_SA -> "CREATE_CHILD_SA";
            case INFORMATIONAL -> "INFORMATIONAL";
            case IKE_INTERMEDIATE -> "IKE_INTERMEDIATE";
            case IKE_FOLLOWUP_KE -> "IKE_FOLLOWUP_KE";
            default -> "EXCHANGE_" + type;
        };
    }
}
