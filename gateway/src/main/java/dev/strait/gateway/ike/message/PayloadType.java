package dev.strait.gateway.ike.message;

import java.util.Map;

/** IANA "IKEv2 Payload Types". */
public final class PayloadType {
    public static final int NONE = 0;
    public static final int SA = 33;
    public static final int KE = 34;
    public static final int IDI = 35;
    public static final int IDR = 36;
    public static final int CERT = 37;
    public static final int CERTREQ = 38;
    public static final int AUTH = 39;
    public static final int NONCE = 40;
    public static final int NOTIFY = 41;
    public static final int DELETE = 42;
    public static final int VENDOR_ID = 43;
    public static final int TSI = 44;
    public static final int TSR = 45;
    public static final int SK = 46;
    public static final int CP = 47;
    public static final int EAP = 48;
    public static final int SKF = 53;

    /** RFC 7296's notation where it is not the constant's name. */
    private static final RegistryNames NAMES = new RegistryNames(PayloadType.class, "type ", Map.of(IDI, "IDi", IDR, "IDr",
            NONCE, "Nonce", NOTIFY, "N", DELETE, "D", VENDOR_ID, "V", TSI, "TSi", TSR, "TSr"));

    private PayloadType() {
    }

    /** Types the codec decodes into their own records; anything else becomes {@link Payload.Unknown}. */
    public static boolean isKnown(int type) {
        return (type >= SA && type <= EAP) || type == SKF;
    }

    /** The name RFC 7296 gives a payload type ("IDi", "N"), else "type N". */
    public static String name(int type) {
        return NAMES.name(type);
    }
}
