package dev.strait.gateway.datapath.sa;

import dev.strait.gateway.datapath.spi.ChildSaSpec;
import dev.strait.gateway.esp.EspCounters;
import dev.strait.gateway.esp.EspInbound;
import dev.strait.gateway.esp.EspOutbound;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One installed Child SA: each direction is used by exactly one packet thread (out by the TUN reader, in by the UDP
 * receiver), so ciphers and replay windows need no locks. held: outbound waits for the peer (Outbound.AFTER_PEER)
 * until its first packet arrives on this SA. peer: the encoded socket address, reused for every packet.
 */
public record ChildSa(ChildSaSpec spec, Tunnel tunnel, EspCounters counters, EspOutbound out, EspInbound in,
                      Prefix[] local, Prefix[] remote, MemorySegment peer, AtomicBoolean held) {

    public int inboundSpi() {
        return in.spi();
    }
}
