package dev.strait.gateway.routing;

import dev.strait.api.net.Cidr;
import java.util.Objects;

/**
 * What the agent reads from its own node before deciding: the interface that holds the node's IP, its subnet (to
 * tell whether another node is one L2 hop away) and its MTU (the overlay's MTU is derived from it).
 */
public record HostFacts(String uplink, Cidr uplinkSubnet, int uplinkMtu) {
    public HostFacts {
        Objects.requireNonNull(uplink, "uplink");
        Objects.requireNonNull(uplinkSubnet, "uplinkSubnet");
    }
}
