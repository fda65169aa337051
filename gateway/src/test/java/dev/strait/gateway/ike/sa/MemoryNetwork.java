package dev.strait.gateway.ike.sa;

import dev.strait.gateway.ike.message.ExchangeType;
import dev.strait.gateway.ike.message.IkeCodec;
import dev.strait.gateway.ike.message.IkeMessage;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * IKE datagrams between engines in one JVM, by address, with no sockets: no root, no fixed ports, and two test runs
 * on one machine cannot clash. Each engine gets a {@link Link} as its transport, which can lose datagrams on purpose.
 * Every datagram is recorded, so tests can assert the exchanges on the wire.
 */
public final class MemoryNetwork {
    public static final int IKE_PORT = 500;
    public static final int NATT_PORT = 4500;

    /** One datagram as it went over the network (header fields only; SK payloads stay opaque). */
    public record Datagram(String from, String to, int exchangeType, boolean response, int messageId, boolean delivered,
                           boolean viaNatt, byte[] bytes) {
        @Override
        public String toString() {
            return from + "->" + to + " " + ExchangeType.name(exchangeType) + (response ? " response " : " request ") + messageId
                    + (delivered ? "" : " (lost)");
        }
    }

    private final Map<String, Link> links = new ConcurrentHashMap<>();
    private final List<Datagram> wire = new CopyOnWriteArrayList<>();

    /** The transport of the engine at ip, whose clock times its datagrams' latency. */
    public Link link(String ip, Clock clock) {
        return new Link(ip, clock);
    }

    /** Everything sent so far, in order. */
    public List<Datagram> wire() {
        return List.copyOf(wire);
    }

    /** The requests of one exchange type among datagrams, in order. */
    public static List<Datagram> requests(List<Datagram> datagrams, int exchangeType) {
        return datagrams.stream().filter(d -> !d.response() && d.exchangeType() == exchangeType).toList();
    }

    /** A datagram from outside any engine (a flood, a spoofer): delivered to the engine at to's address. */
    public void inject(byte[] datagram, InetSocketAddress from, InetSocketAddress to) {
        deliver(datagram, from, to, to.getPort() == NATT_PORT);
    }

    private void deliver(byte[] datagram, InetSocketAddress from, InetSocketAddress to, boolean viaNatt) {
        Link target = links.get(to.getAddress().getHostAddress());
        Link source = links.get(from.getAddress().getHostAddress());
        boolean delivered = target != null && target.receiver != null && !target.muted && (source == null || !source.muted);
        record(datagram, from, to, delivered, viaNatt);
        if (delivered) {
            target.receiver.receive(datagram.clone(), from, viaNatt);
        }
    }

    private void record(byte[] datagram, InetSocketAddress from, InetSocketAddress to, boolean delivered, boolean viaNatt) {
        try {
            IkeMessage m = IkeCodec.decode(datagram, 0, datagram.length);
            wire.add(new Datagram(from.getAddress().getHostAddress(), to.getAddress().getHostAddress(), m.exchangeType(),
                    m.isResponse(), m.messageId(), delivered, viaNatt, datagram.clone()));
        } catch (Exception e) {
            // not IKE (a flood's garbage): not part of the exchanges
        }
    }

    /** One engine's place on the network: its transport. */
    public final class Link implements Transport {
        private final String ip;
        private final Clock clock;
        private volatile Receiver receiver;
        /** How long this engine's datagrams travel (engine time); zero: they arrive at once. */
        public volatile java.time.Duration latency = java.time.Duration.ZERO;
        private volatile boolean muted;
        /** Simulated loss: while set, the first copy of every IKE request sent is dropped; its retransmission goes out. */
        public volatile boolean dropFirstCopyOfRequests;
        /** Simulated outage: while set, every IKE request sent is dropped, retransmissions too. */
        public volatile boolean dropRequests;
        private final Set<String> droppedRequests = ConcurrentHashMap.newKeySet();
        private final List<InetSocketAddress> keepalives = new CopyOnWriteArrayList<>();

        private Link(String ip, Clock clock) {
            this.ip = ip;
            this.clock = clock;
        }

        /** The engine goes silent, as if its host vanished: nothing leaves or arrives any more. */
        public void mute() {
            muted = true;
        }

        /** How many distinct requests lost their first copy to dropFirstCopyOfRequests. */
        public int droppedRequests() {
            return droppedRequests.size();
        }

        /** The NAT keepalives this engine sent, by destination. */
        public List<InetSocketAddress> keepalives() {
            return List.copyOf(keepalives);
        }

        @Override
        public void start(Receiver r) {
            receiver = r;
            links.put(ip, this);
        }

        @Override
        public void send(byte[] message, InetSocketAddress to, boolean viaNatt) {
            InetSocketAddress from = new InetSocketAddress(ip, viaNatt ? NATT_PORT : IKE_PORT);
            boolean request = message.length > 19 && (message[19] & 0x20) == 0; // IKE header flags: R bit clear
            if (dropRequests && request) {
                record(message, from, to, false, viaNatt);
                return;
            }
            if (dropFirstCopyOfRequests && request && droppedRequests.add(HexFormat.of().formatHex(message))) {
                record(message, from, to, false, viaNatt);
                return;
            }
            if (latency.isZero()) {
                deliver(message, from, to, viaNatt);
            } else {
                clock.after(latency, () -> deliver(message, from, to, viaNatt));
            }
        }

        @Override
        public void sendNatKeepalive(InetSocketAddress to) {
            if (!muted) {
                keepalives.add(to);
            }
        }

        @Override
        public int ikePort() {
            return IKE_PORT;
        }

        @Override
        public int nattPort() {
            return NATT_PORT;
        }

        @Override
        public InetSocketAddress localAddressFor(InetSocketAddress peer, int port) {
            return new InetSocketAddress(ip, port);
        }

        @Override
        public void close() {
            links.remove(ip, this);
        }
    }
}
