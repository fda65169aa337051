package dev.strait.gateway.ike.sa;

import dev.strait.api.net.Cidr;
import dev.strait.gateway.ike.message.Payload.TrafficSelector;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which of a tunnel's (local subnet, remote subnet) pairs the established Child SAs carry. A Child SA carries the
 * cross product of its local and remote selectors (as the datapath matches them: addresses only), so a pair is
 * covered when one Child SA's local selectors contain the whole local subnet and its remote selectors the whole
 * remote subnet. Peers that keep one subnet pair per Child SA (strongSwan children, many appliances) narrow the
 * IKE_AUTH Child SA to one pair; the rest need CREATE_CHILD_SA exchanges (RFC 7296 section 1.3.1).
 */
final class SubnetPairs {
    private SubnetPairs() {
    }

    /** One subnet pair of a tunnel's configuration. */
    record Pair(Cidr local, Cidr remote) {
        /** E.g. "10.10.0.0/24 <-> 10.21.0.0/24". */
        String describe() {
            return local + " <-> " + remote;
        }
    }

    /** The selectors of one Child SA, seen from our side. */
    record Carried(List<TrafficSelector> local, List<TrafficSelector> remote) {
        static Carried of(IkeSa.Child c) {
            return new Carried(c.localTs(), c.remoteTs());
        }
    }

    /** Every same-family pair of the configuration, in configuration order (local subnets outer). */
    static List<Pair> all(List<Cidr> locals, List<Cidr> remotes) {
        List<Pair> out = new ArrayList<>();
        for (Cidr l : locals) {
            for (Cidr r : remotes) {
                if (l.isIpv6() == r.isIpv6()) {
                    out.add(new Pair(l, r));
                }
            }
        }
        return out;
    }

    /** The configured pairs no single Child SA carries completely. */
    static List<Pair> uncovered(List<Cidr> locals, List<Cidr> remotes, List<Carried> children) {
        return all(locals, remotes).stream().filter(p -> children.stream().noneMatch(c -> covers(c, p))).toList();
    }

    static boolean covers(Carried c, Pair p) {
        return contains(c.local(), p.local().start(), p.local().end()) && contains(c.remote(), p.remote().start(), p.remote().end());
    }

    /** True when every address range of {@code c} already lies within one of {@code others}: it adds nothing. */
    static boolean redundant(Carried c, List<Carried> others) {
        for (TrafficSelector l : c.local()) {
            for (TrafficSelector r : c.remote()) {
                boolean inside = others.stream().anyMatch(o -> contains(o.local(), l.startAddress(), l.endAddress())
                        && contains(o.remote(), r.startAddress(), r.endAddress()));
                if (!inside) {
                    return false;
                }
            }
        }
        return !c.local().isEmpty() && !c.remote().isEmpty();
    }

    /** True when the union of the selectors' address ranges contains [start, end] (same address family only). */
    static boolean contains(List<TrafficSelector> selectors, byte[] start, byte[] end) {
        List<TrafficSelector> sameFamily = selectors.stream().filter(s -> s.startAddress().length == start.length)
                .sorted(Comparator.comparing(s -> new BigInteger(1, s.startAddress()))).toList();
        BigInteger next = new BigInteger(1, start); // first address not yet known to be covered
        BigInteger last = new BigInteger(1, end);
        for (TrafficSelector s : sameFamily) {
            BigInteger from = new BigInteger(1, s.startAddress());
            BigInteger to = new BigInteger(1, s.endAddress());
            if (from.compareTo(next) > 0) {
                return false; // a gap before this selector
            }
            if (to.compareTo(next) >= 0) {
                next = to.add(BigInteger.ONE);
            }
            if (next.compareTo(last) > 0) {
                return true;
            }
        }
        return next.compareTo(last) > 0;
    }
}
