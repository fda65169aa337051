package dev.strait.gateway.datapath.udp;

import java.net.InetSocketAddress;

/** Takes the datagrams {@link BatchUdpSocket} receives, on its receive thread. */
public interface DatagramSink {

    /** The sender of the datagram being handed over, decoded only when asked for (valid during the call). */
    interface Source {
        InetSocketAddress address();
    }

    /** One datagram in buf[0, len); buf is reused after the call returns. */
    void onDatagram(byte[] buf, int len, Source from);

    /** After the last datagram of one recvmmsg batch: the moment to flush anything held back (GRO). */
    void onBatchEnd();
}
