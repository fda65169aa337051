package dev.strait.gateway.datapath.sa;

import dev.strait.gateway.datapath.spi.Datapath;
import java.net.InetAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards the packet threads' events to the engine's listener (set after start); an exception in the listener is
 * logged and never reaches a packet thread.
 */
public final class Events {
    private static final Logger LOG = LoggerFactory.getLogger(Events.class);
    private static final Datapath.Listener NONE = new Datapath.Listener() {
        @Override
        public void onAcquire(String tunnel) {
        }

        @Override
        public void onRekeyNeeded(int inboundSpi) {
        }
    };

    private volatile Datapath.Listener listener = NONE;

    public void setListener(Datapath.Listener l) {
        this.listener = l == null ? NONE : l;
    }

    public void acquire(String tunnel) {
        try {
            listener.onAcquire(tunnel);
        } catch (RuntimeException e) {
            LOG.warn("acquire for {} failed: {}", tunnel, e.toString());
        }
    }

    public void rekeyNeeded(int inboundSpi) {
        listener.onRekeyNeeded(inboundSpi);
    }

    public void espForUnknownSa(InetAddress peer) {
        try {
            listener.onEspForUnknownSa(peer);
        } catch (RuntimeException e) {
            LOG.warn("unknown-SA report failed: {}", e.toString());
        }
    }
}
