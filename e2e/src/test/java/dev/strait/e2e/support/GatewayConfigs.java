package dev.strait.e2e.support;

import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import java.util.ArrayList;
import java.util.List;

/** Ready-made gateway configs for the two-site topology; tests adjust the public fields they care about. */
public final class GatewayConfigs {
    private GatewayConfigs() {
    }

    /**
     * The gateway at site A with one tunnel to site B (ids site-a.test / site-b.test, LAN subnets as selectors,
     * aes256gcm16-prfsha384-ecp384 and ESP aes256gcm16, UDP encapsulation forced as kernel-libipsec needs).
     */
    public static GatewayConfig siteAToB(Sites sites, String tunnelName, String psk) {
        return single(sites.transitA(), sites.transitB(), "site-a.test", "site-b.test",
                sites.lanSubnetA(), sites.lanSubnetB(), tunnelName, psk);
    }

    /**
     * {@link #siteAToB} with tunnel "to-b" on the userspace datapath, offering only {@code ike}, started as
     * {@code initiation} says: the gateway of most ITs against strongSwan at site B.
     */
    public static GatewayConfig userspaceSiteAToB(Sites sites, String psk, String ike, TunnelSpec.Initiation initiation) {
        GatewayConfig c = siteAToB(sites, "to-b", psk);
        c.datapath.mode = "Userspace";
        TunnelConfig t = c.tunnels.getFirst();
        t.ike.proposals = List.of(ike);
        t.initiation = initiation;
        return c;
    }

    /**
     * A Passive tunnel "anyone" open to any peer address (id someone.test, remote 10.99.0.0/24, its own PSK): a
     * flood from any source reaches the point where IKE state would be created.
     */
    public static TunnelConfig openTunnel(Sites sites, String ike) {
        TunnelConfig open = siteAToB(sites, "anyone", "another-psk-for-the-open-tunnel").tunnels.getFirst();
        open.peer.address = null;
        open.peer.id = "someone.test";
        open.remote.subnets = new ArrayList<>(List.of("10.99.0.0/24"));
        open.ike.proposals = List.of(ike);
        open.initiation = TunnelSpec.Initiation.Passive;
        return open;
    }

    /** The mirror image: the gateway at site B with one tunnel to site A. */
    public static GatewayConfig siteBToA(Sites sites, String tunnelName, String psk) {
        return single(sites.transitB(), sites.transitA(), "site-b.test", "site-a.test",
                sites.lanSubnetB(), sites.lanSubnetA(), tunnelName, psk);
    }

    private static GatewayConfig single(String localAddr, String peerAddr, String localId, String peerId,
            String localNet, String remoteNet, String tunnelName, String psk) {
        GatewayConfig c = new GatewayConfig();
        c.listen.address = localAddr;
        c.admin.address = localAddr;
        c.admin.port = 9090;
        TunnelConfig t = new TunnelConfig();
        t.name = tunnelName;
        t.peer.address = peerAddr;
        t.peer.id = peerId;
        t.local.id = localId;
        t.local.subnets = new ArrayList<>(List.of(localNet));
        t.remote.subnets = new ArrayList<>(List.of(remoteNet));
        t.auth.psk = new TunnelSpec.Psk();
        t.auth.psk.value = psk;
        t.ike.proposals = new ArrayList<>(List.of("aes256gcm16-prfsha384-ecp384"));
        t.esp.proposals = new ArrayList<>(List.of("aes256gcm16"));
        t.encapsulation = TunnelSpec.Encapsulation.Always;
        c.tunnels.add(t);
        return c;
    }
}
