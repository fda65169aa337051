package dev.strait.gateway.ike.sa;

import dev.strait.api.net.Cidr;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.gateway.ike.message.Payload.TrafficSelector;
import java.util.List;

/**
 * How we narrow a peer's proposed traffic selectors when we answer a Child SA request (RFC 7296 section 2.9), from
 * the tunnel's esp.childSas. ALL_PAIRS (Combined) answers with every intersection, so one Child SA carries everything
 * both sides allow. ONE_PAIR (PerSubnetPair) answers with the first intersection on each side only, as strongSwan does
 * with one subnet pair per {@code children} section and as many appliances do: the initiator then needs an additional
 * Child SA per pair.
 */
enum ResponderNarrowing {
    ALL_PAIRS,
    ONE_PAIR;

    static ResponderNarrowing of(TunnelSpec.ChildSas childSas) {
        return childSas == TunnelSpec.ChildSas.PerSubnetPair ? ONE_PAIR : ALL_PAIRS;
    }

    List<TrafficSelector> narrow(List<TrafficSelector> proposed, List<Cidr> allowed) {
        List<TrafficSelector> all = TrafficSelectors.narrow(proposed, allowed);
        return this == ONE_PAIR && all.size() > 1 ? List.of(all.getFirst()) : all;
    }
}
