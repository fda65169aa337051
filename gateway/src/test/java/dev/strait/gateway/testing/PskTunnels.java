package dev.strait.gateway.testing;

import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import java.util.List;

/** One-subnet PSK tunnel configs for the loopback engine tests and the handshake benchmark. */
public final class PskTunnels {
    private PskTunnels() {
    }

    /** peer may be null: a passive tunnel that accepts its peer from anywhere. */
    public static TunnelConfig tunnel(String name, String peer, String localId, String peerId, String local, String remote,
                                      String ike, String esp, TunnelSpec.Initiation initiation, String psk) {
        TunnelConfig t = new TunnelConfig();
        t.name = name;
        t.peer.address = peer;
        t.peer.id = peerId;
        t.local.id = localId;
        t.local.subnets = List.of(local);
        t.remote.subnets = List.of(remote);
        t.auth.psk = new TunnelSpec.Psk();
        t.auth.psk.value = psk;
        t.ike.proposals = List.of(ike);
        t.esp.proposals = List.of(esp);
        t.initiation = initiation;
        return t;
    }
}
