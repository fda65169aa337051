package dev.strait.gateway.ike.message;

import java.util.Map;

/** IANA "IKEv2 Exchange Types". */
public final class ExchangeType {
    public static final int IKE_SA_INIT = 34;
    public static final int IKE_AUTH = 35;
    public static final int CREATE_CHILD_SA = 36;
    public static final int INFORMATIONAL = 37;
    public static final int IKE_INTERMEDIATE = 43;
    /** RFC 9370 section 2.2.4. */
    public static final int IKE_FOLLOWUP_KE = 44;

    private static final RegistryNames NAMES = new RegistryNames(ExchangeType.class, "EXCHANGE_", Map.of());

    private ExchangeType() {
    }

    public static String name(int type) {
        return NAMES.name(type);
    }
}
