package dev.strait.gateway.datapath.demux;

import dev.strait.gateway.datapath.spi.IkePacketHandler;
import dev.strait.gateway.datapath.udp.DatagramSink;

/**
 * Sorts what arrives on UDP 4500 (RFC 3948): a datagram starting with the 4-byte non-ESP marker (zero) is IKE and
 * goes, marker removed, to the IKE handler (the engine's bounded {@link NattIkeQueue}, so IKE never holds up the ESP
 * thread); a single 0xFF byte is a NAT keepalive and is dropped; anything else of at least 8 bytes (SPI and
 * sequence number) is ESP; shorter datagrams are malformed and dropped.
 */
public final class Demultiplexer implements DatagramSink {
    /** What a datagram on the NAT-T port is. */
    public enum Kind { IKE, ESP, KEEPALIVE, MALFORMED }

    private final IkePacketHandler ike;
    private final EspSink esp;

    public Demultiplexer(IkePacketHandler ike, EspSink esp) {
        this.ike = ike;
        this.esp = esp;
    }

    public static Kind classify(byte[] buf, int len) {
        if (len == 1 && buf[0] == (byte) 0xFF) {
            return Kind.KEEPALIVE;
        }
        if (len >= 4 && buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0) {
            return Kind.IKE;
        }
        return len < 8 ? Kind.MALFORMED : Kind.ESP;
    }

    @Override
    public void onDatagram(byte[] buf, int len, Source from) {
        switch (classify(buf, len)) {
            case ESP -> esp.onEsp(buf, len, from);
            case IKE -> ike.onIkePacket(buf, 4, len - 4, from.address());
            case KEEPALIVE, MALFORMED -> {
                // RFC 3948 section 2.3: keepalives are ignored; too short for ESP, nothing to learn from it.
            }
        }
    }

    @Override
    public void onBatchEnd() {
        esp.onBatchEnd();
    }
}
