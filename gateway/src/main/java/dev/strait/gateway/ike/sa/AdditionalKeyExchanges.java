package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.message.WireBytes;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.ike.crypto.KeyExchange;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.NotifyType;
import dev.strait.gateway.ike.message.Payload;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key exchanges of CREATE_CHILD_SA and their IKE_FOLLOWUP_KE chains (RFC 9370 section 2.2.4) over one IKE SA,
 * shared by Child SA and IKE SA rekeys in both roles: answering the peer's KE, and sending our next linked KE.
 */
final class AdditionalKeyExchanges {
    private static final Logger LOG = LoggerFactory.getLogger(AdditionalKeyExchanges.class);

    /** Our key exchange value answering the peer's, and the shared secret. */
    record KeAnswer(Payload.KeyExchange payload, byte[] secret) {
    }

    private final IkeSaContext ikeSa;

    AdditionalKeyExchanges(IkeSaContext ikeSa) {
        this.ikeSa = ikeSa;
    }

    /**
     * One IKE_FOLLOWUP_KE request (RFC 9370 section 2.2.4): our value for group, linked to the exchange before by the
     * peer's token, sent at once from the previous exchange's response handler. done gets the shared secret, or null
     * when the peer answered with an error or an unusable KE.
     */
    void sendFollowupKe(Algorithms.Group group, byte[] link, String of, BiConsumer<byte[], IkeMessage> done) {
        KeyExchange kx = KeyExchange.generate(group);
        List<Payload> inner = List.of(IkeSa.notify(NotifyType.ADDITIONAL_KEY_EXCHANGE, link),
                new Payload.KeyExchange(group.id, kx.publicValue()));
        LOG.debug("tunnel {}: IKE_FOLLOWUP_KE of the {} ({})", ikeSa.name(), of, group);
        ikeSa.tasks().followUp(IkeTask.of(ExchangeType.IKE_FOLLOWUP_KE, () -> inner, r -> done.accept(followupSecret(kx, r), r)));
    }

    private static byte[] followupSecret(KeyExchange kx, IkeMessage r) {
        Optional<Payload.KeyExchange> ke = r.first(Payload.KeyExchange.class);
        if (r.notifies().anyMatch(Payload.Notify::isError) || ke.isEmpty() || ke.get().group() != kx.group().id) {
            return null;
        }
        try {
            return kx.sharedSecret(ke.get().data());
        } catch (GeneralSecurityException e) {
            return null;
        }
    }

    /** Our key exchange value for the peer's, or null after answering INVALID_SYNTAX (a value the group rejects). */
    KeAnswer answerKe(IkeMessage m, Algorithms.Group group, byte[] peerValue) {
        KeyExchange kx = KeyExchange.generate(group);
        try {
            byte[] ours = kx.respond(peerValue);
            return new KeAnswer(new Payload.KeyExchange(group.id, ours), kx.sharedSecret(peerValue));
        } catch (GeneralSecurityException e) {
            ikeSa.respond(m, List.of(IkeSa.notify(NotifyType.INVALID_SYNTAX, new byte[0])));
            return null;
        }
    }

    /** An IKE_FOLLOWUP_KE's key exchange for group; null after answering INVALID_KE_PAYLOAD or INVALID_SYNTAX. */
    KeAnswer answerFollowupKe(IkeMessage m, Algorithms.Group group) {
        Optional<Payload.KeyExchange> ke = m.first(Payload.KeyExchange.class);
        if (ke.isEmpty() || ke.get().group() != group.id) {
            ikeSa.respond(m, List.of(IkeSa.notify(NotifyType.INVALID_KE_PAYLOAD, WireBytes.u16(group.id))));
            return null;
        }
        return answerKe(m, group, ke.get().data());
    }

    /** Whether the peer's ADDITIONAL_KEY_EXCHANGE notify carries the link we sent (constant-time compare). */
    static boolean links(Optional<Payload.Notify> link, byte[] expected) {
        return link.isPresent() && MessageDigest.isEqual(link.get().data(), expected);
    }
}
