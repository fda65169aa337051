package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.Payload;
import dev.strait.gateway.ike.message.WireBytes;
import dev.strait.gateway.ike.sa.IkeSa.State;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INFORMATIONAL in both roles (RFC 7296 sections 1.4, 2.4): the peer's deletes of Child SAs and of the IKE SA, our
 * liveness checks (dead peer detection) and our delete of the IKE SA. Like strongSwan's ike_delete, child_delete (as
 * responder) and ike_dpd tasks; runs on the SA's executor.
 */
final class InformationalExchange {
    private static final Logger LOG = LoggerFactory.getLogger(InformationalExchange.class);

    private final IkeSa ikeSa;

    InformationalExchange(IkeSa ikeSa) {
        this.ikeSa = ikeSa;
    }

    /** The peer's INFORMATIONAL request: deletes of Child SAs (answered with ours) or of the IKE SA, or a liveness check. */
    void respond(IkeMessage m) {
        List<Payload> out = new ArrayList<>();
        boolean deleteIke = false;
        for (Payload.Delete d : m.all(Payload.Delete.class).toList()) {
            if (d.protocolId() == Payload.Proposal.PROTOCOL_IKE) {
                deleteIke = true;
            } else if (d.protocolId() == Payload.Proposal.PROTOCOL_ESP) {
                List<byte[]> ours = new ArrayList<>();
                for (byte[] spi : d.spis()) {
                    int outbound = WireBytes.u32(spi);
                    ikeSa.children.stream().filter(c -> c.outboundSpi() == outbound).findFirst().ifPresent(c -> {
                        ours.add(WireBytes.u32(c.inboundSpi()));
                        ikeSa.removeChild(c);
                    });
                }
                if (!ours.isEmpty()) {
                    out.add(new Payload.Delete(Payload.Proposal.PROTOCOL_ESP, 4, ours));
                }
            }
        }
        ikeSa.respond(m, deleteIke ? List.of() : out);
        if (deleteIke) {
            LOG.info("tunnel {}: peer deleted the {}IKE SA {}", ikeSa.name(), ikeSa.state == State.REKEYED ? "rekeyed " : "", IkeSa.hex(ikeSa.localSpi));
            if (ikeSa.tunnel != null && ikeSa.state != State.REKEYED) {
                ikeSa.tunnel.noteError(FailureReason.PEER_DELETED, "the peer deleted the IKE SA");
            }
            ikeSa.close(true);
        } else if (ikeSa.state == State.ESTABLISHED && ikeSa.tunnel != null && !out.isEmpty()) {
            if (ikeSa.children.isEmpty()) {
                ikeSa.tunnel.noteError(FailureReason.CHILD_DELETED, "the peer deleted the Child SA");
            }
            ikeSa.childSas.recreateDeletedChildren();
        }
    }

    void sendLivenessCheck() {
        if (ikeSa.state != State.ESTABLISHED) {
            return;
        }
        ikeSa.window.queueRequest(() -> {
            int id = ikeSa.window.nextRequestId();
            List<byte[]> bytes = ikeSa.sk.protect(ExchangeType.INFORMATIONAL, ikeSa.ownFlags(false), id, List.of());
            Duration timeout = ikeSa.tunnel == null ? null : ikeSa.tunnel.definition().dpdTimeout();
            ikeSa.window.sendTimedRequest(id, bytes, r -> LOG.debug("tunnel {}: peer is alive", ikeSa.name()),
                    timeout == null || timeout.isZero() ? null : timeout, this::livenessRoundTrip);
        });
    }

    /** The peer answered a liveness check we sent once: the tunnel's round-trip time (TunnelRuntime keeps it). */
    private void livenessRoundTrip(Duration rtt) {
        if (ikeSa.tunnel != null) {
            ikeSa.tunnel.roundTrip(rtt);
        }
    }

    void sendDeleteAndClose() {
        if (ikeSa.state == State.CLOSED || ikeSa.state == State.DELETING) {
            return;
        }
        if (!ikeSa.sk.ready() || ikeSa.state == State.INIT_SENT) {
            ikeSa.close(true);
            return;
        }
        ikeSa.state = State.DELETING;
        ikeSa.window.cancelOutstanding();
        ikeSa.window.dropQueued();
        int id = ikeSa.window.nextRequestId();
        List<byte[]> bytes = ikeSa.sk.protect(ExchangeType.INFORMATIONAL, ikeSa.ownFlags(false), id,
                List.of(new Payload.Delete(Payload.Proposal.PROTOCOL_IKE, 0, List.of())));
        ikeSa.window.sendRequest(id, bytes, r -> ikeSa.close(true), null);
    }
}
