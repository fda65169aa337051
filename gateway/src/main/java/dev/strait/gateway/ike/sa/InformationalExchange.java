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

    private final IkeSaContext ikeSa;
    private final IkeEngine engine;

    InformationalExchange(IkeSaContext ikeSa, IkeEngine engine) {
        this.ikeSa = ikeSa;
        this.engine = engine;
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
                    ikeSa.children().stream().filter(c -> c.outboundSpi() == outbound).findFirst().ifPresent(c -> {
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
            LOG.info("tunnel {}: peer deleted the {}IKE SA {}", ikeSa.name(), ikeSa.state() == State.REKEYED ? "rekeyed " : "", IkeSa.hex(ikeSa.localSpi()));
            if (ikeSa.tunnel() != null && ikeSa.state() != State.REKEYED) {
                ikeSa.tunnel().noteError(FailureReason.PEER_DELETED, "the peer deleted the IKE SA");
            }
            ikeSa.close(true);
        } else if (ikeSa.state() == State.ESTABLISHED && ikeSa.tunnel() != null && !out.isEmpty()) {
            if (ikeSa.children().isEmpty()) {
                ikeSa.tunnel().noteError(FailureReason.CHILD_DELETED, "the peer deleted the Child SA");
            }
            ikeSa.childSas().recreateDeletedChildren();
        }
    }

    /** Our liveness check: an empty INFORMATIONAL, its retransmissions squeezed into dpd.timeout. */
    void sendLivenessCheck() {
        if (ikeSa.state() != State.ESTABLISHED) {
            return;
        }
        ikeSa.tasks().queue(new LivenessCheck());
    }

    /** Like strongSwan's ike_dpd task: the answer is all that matters, and the time it took. */
    private final class LivenessCheck implements IkeTask {
        @Override
        public int exchangeType() {
            return ExchangeType.INFORMATIONAL;
        }

        @Override
        public List<Payload> buildRequest(int messageId) {
            return List.of();
        }

        @Override
        public Duration giveUpAfter() {
            Duration timeout = ikeSa.tunnel() == null ? null : ikeSa.tunnel().definition().dpdTimeout();
            return timeout == null || timeout.isZero() ? null : timeout;
        }

        @Override
        public void processResponse(IkeMessage response) {
            LOG.debug("tunnel {}: peer is alive", ikeSa.name());
        }

        /** The peer answered a liveness check we sent once: the tunnel's round-trip time (TunnelRuntime keeps it). */
        @Override
        public void roundTrip(Duration rtt) {
            if (ikeSa.tunnel() != null) {
                ikeSa.tunnel().roundTrip(rtt);
            }
        }
    }

    /** Deletes the IKE SA (ahead of anything outstanding or queued), then closes it when the peer answers. */
    void sendDeleteAndClose() {
        if (ikeSa.state() == State.CLOSED || ikeSa.state() == State.DELETING) {
            return;
        }
        if (!ikeSa.keysInstalled() || ikeSa.state() == State.INIT_SENT) {
            ikeSa.close(true);
            return;
        }
        ikeSa.state(State.DELETING);
        ikeSa.tasks().preempt(IkeTask.of(ExchangeType.INFORMATIONAL,
                () -> List.of(new Payload.Delete(Payload.Proposal.PROTOCOL_IKE, 0, List.of())), r -> ikeSa.close(true)));
    }
}
