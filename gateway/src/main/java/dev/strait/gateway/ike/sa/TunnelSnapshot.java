package dev.strait.gateway.ike.sa;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.strait.gateway.datapath.spi.Datapath;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A point-in-time view of one tunnel for /status and the Kubernetes status writer. Never holds key material. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TunnelSnapshot(String name, String namespace, Long generation, String phase, String lastErrorReason,
                             String lastError, String lastErrorAt, Ike ike, List<Child> children, Totals totals) {

    /** Traffic over the tunnel's lifetime in this process: current Child SAs plus the ones rekeyed or deleted. */
    public record Totals(long bytesIn, long bytesOut, long packetsIn, long packetsOut) {
        Totals plus(Child c) {
            return new Totals(bytesIn + c.bytesIn(), bytesOut + c.bytesOut(), packetsIn + c.packetsIn(), packetsOut + c.packetsOut());
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Ike(String state, String role, String spiInitiator, String spiResponder, String proposal,
                      String localAddress, String remoteAddress, boolean natDetected, boolean udpEncapsulation,
                      String establishedAt, Double rttSeconds) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Child(List<String> localSubnets, List<String> remoteSubnets, String proposal, String spiIn, String spiOut,
                        long bytesIn, long bytesOut, long packetsIn, long packetsOut, Map<String, Long> drops,
                        String establishedAt) {
    }

    /** rtt: the tunnel's last liveness-check round trip, null before the first. */
    static TunnelSnapshot of(TunnelDefinition d, String phase, String reason, String error, Instant errorAt, IkeSa sa,
                             java.time.Duration rtt, IkeEngine engine, Totals retired) {
        Ike ike = null;
        List<Child> children = List.of();
        if (sa != null && sa.state() != null) {
            ike = new Ike(sa.state().name(), sa.initiator() ? "initiator" : "responder", IkeSa.hex(sa.spiI()), IkeSa.hex(sa.spiR()),
                    sa.ikeChoice() == null ? null : sa.ikeChoice().describe(),
                    sa.localAddress() == null ? null : sa.localAddress().toString().replaceFirst("^/", ""),
                    sa.remote() == null ? null : sa.remote().toString().replaceFirst("^/", ""), sa.natDetected(), sa.udpEncap(),
                    sa.establishedAt() == null ? null : sa.establishedAt().toString(), rtt == null ? null : rtt.toNanos() / 1e9);
            children = sa.children().stream().map(c -> child(c, engine.datapath())).toList();
        }
        Totals totals = retired;
        for (Child c : children) {
            totals = totals.plus(c);
        }
        return new TunnelSnapshot(d.name(), d.namespace(), d.generation(), phase, reason, error,
                errorAt == null ? null : errorAt.toString(), ike, children, totals);
    }

    private static Child child(IkeSa.Child c, Datapath datapath) {
        Datapath.SaCounters k = datapath == null ? null : datapath.counters(c.inboundSpi());
        return new Child(TrafficSelectors.toCidrs(c.localTs()).stream().map(Object::toString).toList(),
                TrafficSelectors.toCidrs(c.remoteTs()).stream().map(Object::toString).toList(), c.esp().describe(),
                IkeSa.hex32(c.inboundSpi()), IkeSa.hex32(c.outboundSpi()),
                k == null ? 0 : k.bytesIn(), k == null ? 0 : k.bytesOut(), k == null ? 0 : k.packetsIn(),
                k == null ? 0 : k.packetsOut(), k == null ? Map.of() : k.drops(), c.establishedAt().toString());
    }
}
