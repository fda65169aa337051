package dev.strait.gateway.datapath.spi;

import java.net.InetSocketAddress;

/**
 * Receives IKE messages arriving on the NAT-T port (the non-ESP marker already stripped), on the receive thread; the
 * buffer is reused after the call returns, so a handler that keeps the message copies it.
 */
@FunctionalInterface
public interface IkePacketHandler {
    void onIkePacket(byte[] buf, int off, int len, InetSocketAddress from);
}
