package dev.strait.gateway.datapath.spi;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The UDP 4500 socket shared by IKE and UDP-encapsulated ESP (RFC 3948): a datagram starting with the 4-byte
 * non-ESP marker (zero) is IKE, a single 0xFF byte is a NAT keepalive, anything else is ESP.
 * Owned by the datapath so the ESP receive path can be batched; IKE is handed to the engine.
 */
public interface NattSocket extends AutoCloseable {

    /** Sends an IKE message to the peer, prefixed with the non-ESP marker. */
    void sendIke(byte[] msg, int off, int len, InetSocketAddress to) throws IOException;

    /** Sends a NAT keepalive (RFC 3948 section 2.3). */
    void sendKeepalive(InetSocketAddress to) throws IOException;

    InetSocketAddress localAddress();

    @Override
    void close();
}
