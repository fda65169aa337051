package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.crypto.SkCipher;
import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeCodec;
import dev.strait.gateway.ike.message.IkeMessage;
import dev.strait.gateway.ike.message.MalformedMessageException;
import dev.strait.gateway.ike.message.Payload;
import java.util.List;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Encrypted payload of one IKE SA (RFC 7296 section 3.14): seals our messages and opens the peer's with the
 * current SK_e / SK_a, as SKF fragments when fragmentation was negotiated (RFC 7383). The keys change when the
 * IKE_INTERMEDIATE exchanges add key material, so the SA installs them here.
 */
final class SkChannel {
    private static final Logger LOG = LoggerFactory.getLogger(SkChannel.class);

    private final IkeSa ikeSa;
    private final IkeEngine engine;
    private SkCipher outCipher;
    private SkCipher inCipher;
    private final FragmentAssembler requestFragments;
    private final FragmentAssembler responseFragments;

    SkChannel(IkeSa ikeSa, IkeEngine engine) {
        this.ikeSa = ikeSa;
        this.engine = engine;
        this.requestFragments = new FragmentAssembler(FragmentAssembler.MAX_AGE, engine.clock()::nanoTime);
        this.responseFragments = new FragmentAssembler(FragmentAssembler.MAX_AGE, engine.clock()::nanoTime);
    }

    /** Our cipher (out) and the peer's (in), both set at once. */
    void install(SkCipher out, SkCipher in) {
        outCipher = out;
        inCipher = in;
    }

    /** Keys are installed: protected messages can go both ways. */
    boolean ready() {
        return inCipher != null;
    }

    /** Opens SK, or one SKF fragment; returns null for a bad message or while fragments are still missing. */
    List<Payload> decrypt(IkeMessage m, byte[] raw) {
        try {
            Optional<Payload.EncryptedFragment> f = m.first(Payload.EncryptedFragment.class);
            if (f.isPresent()) {
                if (!ikeSa.fragmentation()) {
                    throw new MalformedMessageException("SKF fragment although fragmentation was not negotiated");
                }
                byte[] part = SkProtector.openFragment(inCipher, f.get(), raw, 0, raw.length);
                engine.listener().fragment("received");
                FragmentAssembler.Whole whole = (m.isResponse() ? responseFragments : requestFragments).add(m.messageId(),
                        f.get().fragmentNumber(), f.get().totalFragments(), f.get().firstInnerPayload(), part);
                return whole == null ? null : IkeCodec.decodeChain(whole.firstPayload(), whole.chain(), 0, whole.chain().length);
            }
            return SkProtector.open(inCipher, m, raw, 0, raw.length);
        } catch (AEADBadTagException e) {
            engine.drop(IkeDrop.INTEGRITY, "tunnel {}: dropping {} whose integrity check fails", ikeSa.name(),
                    ExchangeType.name(m.exchangeType()));
            return null;
        } catch (MalformedMessageException e) {
            engine.drop(IkeDrop.MALFORMED, "tunnel {}: dropping malformed {}: {}", ikeSa.name(),
                    ExchangeType.name(m.exchangeType()), dev.strait.gateway.ike.message.LogSafe.text(e.getMessage()));
            return null;
        }
    }

    /** SK-protects a message, as SKF fragments when fragmentation is on and it would not fit the path (RFC 7383). */
    List<byte[]> protect(int exchange, int flags, int messageId, List<Payload> inner) {
        byte[] whole = SkProtector.seal(outCipher, ikeSa.spiI(), ikeSa.spiR(), exchange, flags, messageId, inner);
        int limit = fragmentSize();
        if (!ikeSa.fragmentation() || whole.length <= limit) {
            return List.of(whole);
        }
        List<byte[]> fragments = SkProtector.sealFragments(outCipher, ikeSa.spiI(), ikeSa.spiR(), exchange, flags, messageId, inner, limit);
        LOG.debug("tunnel {}: {} of {} bytes goes out in {} fragments", ikeSa.name(), ExchangeType.name(exchange), whole.length,
                fragments.size());
        fragments.forEach(f -> engine.listener().fragment("sent"));
        return fragments;
    }

    /** Largest IKE message per datagram: path MTU (at least 576 / 1280, RFC 7383 section 2.5.1) minus IP, UDP, marker. */
    private int fragmentSize() {
        boolean v6 = ikeSa.remote().getAddress() instanceof java.net.Inet6Address;
        int mtu = Math.max(engine.settings().pathMtu(), v6 ? 1280 : 576);
        return mtu - (v6 ? 40 : 20) - 8 - (ikeSa.natt() ? 4 : 0);
    }
}
