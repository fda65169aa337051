package dev.strait.gateway.ike.sa;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.ike.message.Payload.TrafficSelector;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Traffic selectors (RFC 7296 section 2.9): subnets to selectors, and the responder's narrowing. */
public final class TrafficSelectors {

    private TrafficSelectors() {
    }

    /** A subnet as a selector for any protocol and port. */
    public static TrafficSelector of(Cidr c) {
        return new TrafficSelector(c.isIpv6() ? TrafficSelector.TS_IPV6_ADDR_RANGE : TrafficSelector.TS_IPV4_ADDR_RANGE, 0, 0, 65535, c.start(), c.end());
    }

    public static List<TrafficSelector> of(List<Cidr> subnets) {
        return subnets.stream().map(TrafficSelectors::of).toList();
    }

    /**
     * Narrows what the peer proposed to what we allow: each proposed selector intersected with each allowed subnet.
     * An empty result means TS_UNACCEPTABLE.
     */
    public static List<TrafficSelector> narrow(List<TrafficSelector> proposed, List<Cidr> allowed) {
        List<TrafficSelector> out = new ArrayList<>();
        for (TrafficSelector ts : proposed) {
            if (ts.tsType() != TrafficSelector.TS_IPV4_ADDR_RANGE && ts.tsType() != TrafficSelector.TS_IPV6_ADDR_RANGE) {
                continue;
            }
            for (Cidr c : allowed) {
                TrafficSelector mine = of(c);
                if (mine.tsType() != ts.tsType()) {
                    continue;
                }
                byte[] start = max(ts.startAddress(), mine.startAddress());
                byte[] end = min(ts.endAddress(), mine.endAddress());
                if (compare(start, end) > 0 || ts.startPort() > ts.endPort()) {
                    continue;
                }
                TrafficSelector n = new TrafficSelector(ts.tsType(), ts.ipProtocol(), ts.startPort(), ts.endPort(), start, end);
                if (out.stream().noneMatch(o -> same(o, n))) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    /** True when every selector in answer lies within one of the selectors we proposed. */
    public static boolean isSubset(List<TrafficSelector> answer, List<TrafficSelector> proposed) {
        return !answer.isEmpty() && answer.stream().allMatch(a -> proposed.stream().anyMatch(p -> p.tsType() == a.tsType()
                && compare(p.startAddress(), a.startAddress()) <= 0 && compare(a.endAddress(), p.endAddress()) <= 0
                && (p.ipProtocol() == 0 || p.ipProtocol() == a.ipProtocol())
                && p.startPort() <= a.startPort() && a.endPort() <= p.endPort()));
    }

    /** The smallest list of prefixes that covers exactly the selectors' address ranges. */
    public static List<Cidr> toCidrs(List<TrafficSelector> selectors) {
        List<Cidr> out = new ArrayList<>();
        for (TrafficSelector ts : selectors) {
            out.addAll(rangeToCidrs(ts.startAddress(), ts.endAddress()));
        }
        return out;
    }

    public static String describe(List<TrafficSelector> selectors) {
        return toCidrs(selectors).toString();
    }

    static List<Cidr> rangeToCidrs(byte[] startBytes, byte[] endBytes) {
        int bits = startBytes.length * 8;
        BigInteger start = new BigInteger(1, startBytes);
        BigInteger end = new BigInteger(1, endBytes);
        List<Cidr> out = new ArrayList<>();
        while (start.compareTo(end) <= 0) {
            int size = start.signum() == 0 ? bits : Math.min(bits, start.getLowestSetBit());
            while (size > 0 && start.add(BigInteger.ONE.shiftLeft(size)).subtract(BigInteger.ONE).compareTo(end) > 0) {
                size--;
            }
            out.add(new Cidr(address(start, startBytes.length), bits - size));
            start = start.add(BigInteger.ONE.shiftLeft(size));
        }
        return out;
    }

    private static InetAddress address(BigInteger v, int length) {
        byte[] raw = v.toByteArray();
        byte[] b = new byte[length];
        int copy = Math.min(raw.length, length);
        System.arraycopy(raw, raw.length - copy, b, length - copy, copy);
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean same(TrafficSelector a, TrafficSelector b) {
        return a.tsType() == b.tsType() && a.ipProtocol() == b.ipProtocol() && a.startPort() == b.startPort()
                && a.endPort() == b.endPort() && Arrays.equals(a.startAddress(), b.startAddress())
                && Arrays.equals(a.endAddress(), b.endAddress());
    }

    private static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    private static byte[] max(byte[] a, byte[] b) {
        return compare(a, b) >= 0 ? a : b;
    }

    private static byte[] min(byte[] a, byte[] b) {
        return compare(a, b) <= 0 ? a : b;
    }
}
