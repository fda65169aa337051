package dev.strait.gateway.ike.message;

import java.util.Map;

/** IANA "IKEv2 Notify Message Types" used by Strait (errors below 16384, status from 16384). */
public final class NotifyType {
    public static final int UNSUPPORTED_CRITICAL_PAYLOAD = 1;
    public static final int INVALID_IKE_SPI = 4;
    public static final int INVALID_MAJOR_VERSION = 5;
    public static final int INVALID_SYNTAX = 7;
    public static final int INVALID_MESSAGE_ID = 9;
    public static final int INVALID_SPI = 11;
    public static final int NO_PROPOSAL_CHOSEN = 14;
    public static final int INVALID_KE_PAYLOAD = 17;
    public static final int AUTHENTICATION_FAILED = 24;
    public static final int SINGLE_PAIR_REQUIRED = 34;
    public static final int NO_ADDITIONAL_SAS = 35;
    public static final int INTERNAL_ADDRESS_FAILURE = 36;
    public static final int FAILED_CP_REQUIRED = 37;
    public static final int TS_UNACCEPTABLE = 38;
    public static final int INVALID_SELECTORS = 39;
    public static final int TEMPORARY_FAILURE = 43;
    public static final int CHILD_SA_NOT_FOUND = 44;
    /** RFC 9370 section 2.2.4: an IKE_FOLLOWUP_KE for an exchange the responder does not know. */
    public static final int STATE_NOT_FOUND = 47;

    public static final int INITIAL_CONTACT = 16384;
    public static final int SET_WINDOW_SIZE = 16385;
    public static final int ADDITIONAL_TS_POSSIBLE = 16386;
    public static final int IPCOMP_SUPPORTED = 16387;
    public static final int NAT_DETECTION_SOURCE_IP = 16388;
    public static final int NAT_DETECTION_DESTINATION_IP = 16389;
    public static final int COOKIE = 16390;
    public static final int USE_TRANSPORT_MODE = 16391;
    public static final int HTTP_CERT_LOOKUP_SUPPORTED = 16392;
    public static final int REKEY_SA = 16393;
    public static final int ESP_TFC_PADDING_NOT_SUPPORTED = 16394;
    public static final int NON_FIRST_FRAGMENTS_ALSO = 16395;
    public static final int MOBIKE_SUPPORTED = 16396;
    public static final int MULTIPLE_AUTH_SUPPORTED = 16404;
    public static final int EAP_ONLY_AUTHENTICATION = 16417;
    public static final int IKEV2_MESSAGE_ID_SYNC_SUPPORTED = 16420;
    public static final int IKEV2_FRAGMENTATION_SUPPORTED = 16430;
    public static final int SIGNATURE_HASH_ALGORITHMS = 16431;
    public static final int CHILDLESS_IKEV2_SUPPORTED = 16418;
    public static final int INTERMEDIATE_EXCHANGE_SUPPORTED = 16438;
    public static final int ADDITIONAL_KEY_EXCHANGE = 16441;

    private static final RegistryNames NAMES = new RegistryNames(NotifyType.class, "notify ", Map.of());

    private NotifyType() {
    }

    /** The IANA name of a notify type Strait knows, else "notify N". */
    public static String name(int type) {
        return NAMES.name(type);
    }

    /** Error types are below 16384, status types from there on (RFC 7296 section 3.10.1). */
    public static boolean isError(int type) {
        return type < INITIAL_CONTACT;
    }
}
