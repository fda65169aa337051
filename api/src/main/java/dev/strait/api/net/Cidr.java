package dev.strait.api.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/** An IPv4 or IPv6 prefix; host bits must be zero so that "10.0.0.1/24" is caught as a typo. */
public record Cidr(InetAddress network, int prefixLength) {

    public static Cidr parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("is empty");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR like 10.0.0.0/24");
        }
        InetAddress addr = parseAddress(text.substring(0, slash));
        int max = addr.getAddress().length * 8;
        int len;
        try {
            len = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has no valid prefix length");
        }
        if (len < 0 || len > max) {
            throw new IllegalArgumentException("'" + text + "' prefix length must be 0.." + max);
        }
        byte[] b = addr.getAddress();
        byte[] masked = mask(b, len);
        if (!Arrays.equals(b, masked)) {
            throw new IllegalArgumentException("'" + text + "' has host bits set (did you mean "
                    + new Cidr(toAddress(masked), len) + "?)");
        }
        return new Cidr(addr, len);
    }

    /** Parses a literal IP address without ever doing a DNS lookup. */
    public static InetAddress parseAddress(String text) {
        if (text == null || text.isEmpty() || !text.matches("[0-9a-fA-F.:]+")) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IP address");
        }
    }

    public boolean isIpv6() {
        return network.getAddress().length == 16;
    }

    /** First address of the range. */
    public byte[] start() {
        return network.getAddress();
    }

    /** Last address of the range. */
    public byte[] end() {
        byte[] b = network.getAddress();
        for (int i = 0; i < b.length * 8; i++) {
            if (i >= prefixLength) {
                b[i / 8] |= (byte) (0x80 >>> (i % 8));
            }
        }
        return b;
    }

    public boolean contains(byte[] address) {
        if (address.length != network.getAddress().length) {
            return false;
        }
        return Arrays.equals(mask(address, prefixLength), network.getAddress());
    }

    public boolean overlaps(Cidr other) {
        if (isIpv6() != other.isIpv6()) {
            return false;
        }
        int len = Math.min(prefixLength, other.prefixLength);
        return Arrays.equals(mask(network.getAddress(), len), mask(other.network.getAddress(), len));
    }

    private static byte[] mask(byte[] b, int len) {
        byte[] out = b.clone();
        for (int i = 0; i < out.length * 8; i++) {
            if (i >= len) {
                out[i / 8] &= (byte) ~(0x80 >>> (i % 8));
            }
        }
        return out;
    }

    private static InetAddress toAddress(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefixLength;
    }
}
