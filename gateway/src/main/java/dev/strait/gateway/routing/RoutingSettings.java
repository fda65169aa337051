package dev.strait.gateway.routing;

/**
 * How the agent builds the path; chosen once per DaemonSet.
 *
 * @param mode      how remote-bound traffic reaches the gateway node
 * @param tunnelMtu the gateway's TUN MTU (path MTU minus the worst-case ESP-in-UDP overhead); bounds the MTU of
 *                  every route the agent adds and the MSS it clamps to
 * @param vni       VXLAN network identifier of the overlay
 * @param vxlanPort UDP port of the overlay; not 4789 (flannel, Calico and Cilium use it) nor 4800 (Submariner)
 */
public record RoutingSettings(Mode mode, int tunnelMtu, int vni, int vxlanPort) {
    /** The gateway's default TUN MTU: a 1500-byte path minus the worst-case ESP-in-UDP overhead (1399). */
    public static final int DEFAULT_TUNNEL_MTU =
            1500 - dev.strait.gateway.datapath.UserspaceDatapath.WORST_CASE_OVERHEAD;
    public static final int DEFAULT_VNI = 0x5354;
    public static final int DEFAULT_VXLAN_PORT = 4790;

    public enum Mode {
        /** Plain routes when the gateway node shares this node's subnet, else the VXLAN overlay. */
        Auto,
        /** Always plain routes via the gateway node's IP (the nodes must be one L2 hop apart). */
        Direct,
        /** Always the VXLAN overlay. */
        Vxlan
    }

    public RoutingSettings {
        if (mode == null) {
            throw new IllegalArgumentException("mode is required");
        }
        if (tunnelMtu < 576 || tunnelMtu > 65000) {
            throw new IllegalArgumentException("tunnel MTU " + tunnelMtu + " is outside 576..65000");
        }
        if (vni < 1 || vni > 0xFFFFFF) {
            throw new IllegalArgumentException("VNI " + vni + " is outside 1..16777215");
        }
        if (vxlanPort < 1 || vxlanPort > 65535) {
            throw new IllegalArgumentException("VXLAN port " + vxlanPort + " is outside 1..65535");
        }
    }

    public static RoutingSettings defaults() {
        return new RoutingSettings(Mode.Auto, DEFAULT_TUNNEL_MTU, DEFAULT_VNI, DEFAULT_VXLAN_PORT);
    }
}
