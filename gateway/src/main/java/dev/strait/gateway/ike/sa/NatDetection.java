package dev.strait.gateway.ike.sa;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * NAT_DETECTION_SOURCE_IP / _DESTINATION_IP (RFC 7296 section 2.23): SHA-1(SPIi | SPIr | IP | port).
 * SHA-1 is fixed by the protocol here; it is a reachability hint, not an authenticator.
 */
public final class NatDetection {
    private NatDetection() {
    }

    public static byte[] hash(long spiI, long spiR, InetSocketAddress address) {
        byte[] ip = address.getAddress().getAddress();
        ByteBuffer b = ByteBuffer.allocate(16 + ip.length + 2);
        b.putLong(spiI).putLong(spiR).put(ip).putShort((short) address.getPort());
        try {
            return MessageDigest.getInstance("SHA-1").digest(b.array());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A value that matches no address: sent when encapsulation is forced, so that the peer encapsulates too. */
    public static byte[] fake(long spiI, long spiR) {
        byte[] h = hash(spiI, spiR, new InetSocketAddress("0.0.0.0", 0));
        h[0] ^= (byte) 0xA5;
        return h;
    }
}
