package dev.strait.gateway.ike.sa;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Where the engine's IKE datagrams leave and arrive: UDP 500 and the NAT-T port in production ({@link UdpTransport}),
 * or anything else that carries datagrams between engines (an in-process benchmark, the unit tests' network).
 */
public interface Transport extends AutoCloseable {
    /** Takes the datagrams that arrive; viaNatt: on the NAT-T port, non-ESP marker removed. */
    interface Receiver {
        void receive(byte[] datagram, InetSocketAddress from, boolean viaNatt);
    }

    /** Starts delivering datagrams to receiver (from any thread; the array is the receiver's to keep). */
    void start(Receiver receiver) throws IOException;

    /** Sends one IKE message to the peer, from UDP 500 or (viaNatt) the NAT-T port with the non-ESP marker. */
    void send(byte[] message, InetSocketAddress to, boolean viaNatt);

    /** One NAT keepalive (RFC 3948 section 2.3: a single 0xFF byte) from the NAT-T port. */
    void sendNatKeepalive(InetSocketAddress to);

    /** The port IKE is received on (normally 500). */
    int ikePort();

    /** The NAT-T port (normally 4500). */
    int nattPort();

    /** Our address towards a peer (with the given port), as the routing table would pick it. */
    InetSocketAddress localAddressFor(InetSocketAddress peer, int port);

    @Override
    void close();
}
