package dev.strait.e2e.support;

import java.util.List;

/** One CHILD_SA as swanctl --list-sas reports it. SPIs are hex as strongSwan prints them. */
public record ChildSa(
        String name,
        long uniqueId,
        String state,
        String mode,
        String protocol,
        boolean encap,
        String spiIn,
        String spiOut,
        String encrAlg,
        int encrKeySize,
        String integAlg,
        String dhGroup,
        long bytesIn,
        long packetsIn,
        long bytesOut,
        long packetsOut,
        List<String> localTs,
        List<String> remoteTs) {

    public boolean installed() {
        return "INSTALLED".equals(state);
    }

    /** E.g. AES_GCM_16_256 or AES_CBC_256/HMAC_SHA2_256_128/MODP_3072. */
    public String proposal() {
        return join(encrAlg, encrKeySize, integAlg, null, dhGroup);
    }

    static String join(String encr, int keySize, String integ, String prf, String dh) {
        StringBuilder s = new StringBuilder(encr == null ? "?" : encr);
        if (keySize > 0) {
            s.append('_').append(keySize);
        }
        for (String part : new String[] {integ, prf, dh}) {
            if (part != null) {
                s.append('/').append(part);
            }
        }
        return s.toString();
    }
}
