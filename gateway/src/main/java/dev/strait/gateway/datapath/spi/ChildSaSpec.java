package dev.strait.gateway.datapath.spi;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.ike.crypto.Algorithms;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Everything the datapath needs to carry one Child SA (both directions), as negotiated by the IKE engine.
 * Keys: for AEAD the encryption key material includes the 4-byte salt (RFC 4106 / RFC 7634); integ is null
 * and integrity keys are empty for AEAD. Selectors are the negotiated TSi/TSr seen from this side
 * (local = ours, remote = the peer's); only addresses are used (full protocol and port range).
 */
public record ChildSaSpec(
        String tunnel,
        int inboundSpi,
        int outboundSpi,
        Algorithms.Encr encr,
        int encrKeyBits,
        Algorithms.Integ integ,
        boolean esn,
        byte[] inboundEncKey,
        byte[] inboundIntegKey,
        byte[] outboundEncKey,
        byte[] outboundIntegKey,
        List<Cidr> localSelectors,
        List<Cidr> remoteSelectors,
        InetSocketAddress peer) {

    @Override
    public String toString() {
        return "ChildSaSpec[tunnel=" + tunnel + ", in=" + Integer.toHexString(inboundSpi) + ", out="
                + Integer.toHexString(outboundSpi) + ", " + encr + "/" + encrKeyBits + ", integ=" + integ
                + ", esn=" + esn + ", local=" + localSelectors + ", remote=" + remoteSelectors + ", peer=" + peer + "]";
    }
}
