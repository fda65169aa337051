package dev.strait.gateway.datapath.demux;

import dev.strait.gateway.datapath.udp.DatagramSink;

/** Takes the ESP datagrams the {@link Demultiplexer} sorts out, on the receive thread. */
public interface EspSink {
    /** ESP drops everything (datapath mode None). */
    EspSink NONE = new EspSink() {
        @Override
        public void onEsp(byte[] buf, int len, DatagramSink.Source from) {
        }

        @Override
        public void onBatchEnd() {
        }
    };

    /** One ESP packet (SPI first) in buf[0, len), at least 8 bytes; buf is reused after the call returns. */
    void onEsp(byte[] buf, int len, DatagramSink.Source from);

    /** After the last datagram of one receive batch: flush anything held back (GRO). */
    void onBatchEnd();
}
