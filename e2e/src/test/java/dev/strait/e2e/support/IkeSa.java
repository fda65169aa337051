package dev.strait.e2e.support;

import java.util.List;

/** One IKE_SA as swanctl --list-sas reports it. Algorithm names are strongSwan's (AES_GCM_16, ECP_384, ...). */
public record IkeSa(
        String name,
        long uniqueId,
        String state,
        boolean initiator,
        String localHost,
        int localPort,
        String localId,
        String remoteHost,
        int remotePort,
        String remoteId,
        String initiatorSpi,
        String responderSpi,
        String encrAlg,
        int encrKeySize,
        String integAlg,
        String prfAlg,
        String dhGroup,
        boolean natRemote,
        List<ChildSa> children) {

    public boolean established() {
        return "ESTABLISHED".equals(state);
    }

    /** As in charon's "selected proposal" line: AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384. */
    public String proposal() {
        return ChildSa.join(encrAlg, encrKeySize, integAlg, prfAlg, dhGroup);
    }

    public ChildSa child(String childName) {
        return children.stream().filter(c -> c.name().equals(childName)).findFirst()
                .orElseThrow(() -> new AssertionError("no CHILD_SA " + childName + " in IKE_SA " + name + ": " + children));
    }
}
