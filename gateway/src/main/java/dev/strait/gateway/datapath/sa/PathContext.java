package dev.strait.gateway.datapath.sa;

import dev.strait.gateway.esp.EspCounters;
import dev.strait.gateway.linux.TunDevice;

/**
 * What both packet paths work with: the TUN device, the tunnel MTU, the installed SAs, the engine's events and the
 * counters of traffic that belongs to no tunnel.
 */
public record PathContext(TunDevice tun, int mtu, InstalledSas sas, Events events, EspCounters unattributed) {
}
