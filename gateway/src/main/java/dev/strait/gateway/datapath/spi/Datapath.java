package dev.strait.gateway.datapath.spi;

import dev.strait.api.net.Cidr;
import java.util.List;

/**
 * The packet-moving half of the gateway, driven by the IKE engine. Implementations: userspace ESP over TUN,
 * and a no-op one for IKE-only mode.
 */
public interface Datapath extends AutoCloseable {

    /** Routes the tunnel's remote subnets into the datapath (before any SA exists, so OnTraffic can trigger). */
    void addTunnel(String tunnel, List<Cidr> localSubnets, List<Cidr> remoteSubnets, boolean initiateOnTraffic);

    /** Removes the tunnel's routes and all its SAs. */
    void removeTunnel(String tunnel);

    /**
     * Installs a Child SA. Inbound works at once; outbound traffic matching the selectors moves to this SA as
     * {@code outbound} says (among SAs that may send, the newest wins, so a rekey is make-before-break and the old
     * SA can still receive until removed).
     */
    void installChildSa(ChildSaSpec sa, Outbound outbound);

    /** When outbound traffic moves to a newly installed Child SA. */
    enum Outbound {
        /** At once: we started the exchange, so the peer has the SA installed before we do. */
        NOW,
        /**
         * The responder of a rekey, as strongSwan does: the initiator may not have our answer yet, so the older SAs
         * for the same traffic keep sending until they are removed (the initiator's DELETE of the old SA) or the
         * first packet arrives on this one. With no other SA for the traffic, this one sends at once.
         */
        AFTER_PEER
    }

    /** Removes a Child SA by its inbound SPI; its counters stay readable in the tunnel totals. */
    void removeChildSa(int inboundSpi);

    /** Counters of one installed Child SA, or null when unknown. */
    SaCounters counters(int inboundSpi);

    /** Events the engine reacts to. */
    void setListener(Listener listener);

    @Override
    void close();

    interface Listener {
        /** A packet for an OnTraffic tunnel found no SA: start the tunnel. */
        void onAcquire(String tunnel);

        /** An SA is close to its sequence-number or volume limit: rekey it. */
        void onRekeyNeeded(int inboundSpi);

        /** ESP for an SPI we do not know arrived from {@code peer} (at most once per second is reported). */
        default void onEspForUnknownSa(java.net.InetAddress peer) {
        }
    }

    /** Read-only view of one SA's counters (read without locks; values are monotonic). */
    interface SaCounters {
        long bytesIn();
        long bytesOut();
        long packetsIn();
        long packetsOut();
        /** Drops by reason: replay, auth, policy, no_sa, malformed, ... */
        java.util.Map<String, Long> drops();
        /**
         * Nanos (System.nanoTime) by which the last authenticated inbound packet had arrived, 0 if none: liveness
         * uses it. Stamped with the receive loop's per-batch clock (esp.ReceiveClock), not per packet.
         */
        long lastInboundNanos();
    }
}
