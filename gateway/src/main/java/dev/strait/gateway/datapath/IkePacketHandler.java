package dev.strait.gateway.datapath;

import java.net.InetSocketAddress;

/** Receives IKE messages arriving on the NAT-T port (the non-ESP marker already stripped). */
@FunctionalInterface
public interface IkePacketHandler {
    void onIkePacket(byte[] buf, int off, int len, InetSocketAddress from);
}
