package dev.strait.gateway.datapath.sa;

import dev.strait.api.net.Cidr;
import java.util.List;

/** A prefix matched directly against address bytes inside a packet, without allocating. */
public record Prefix(byte[] network, int length) {

    public static Prefix of(Cidr c) {
        return new Prefix(c.start(), c.prefixLength());
    }

    public static Prefix[] of(List<Cidr> list) {
        return list == null ? new Prefix[0] : list.stream().map(Prefix::of).toArray(Prefix[]::new);
    }

    public boolean matches(byte[] pkt, int off, int addrLen) {
        if (addrLen != network.length) {
            return false;
        }
        int full = length >>> 3;
        for (int i = 0; i < full; i++) {
            if (pkt[off + i] != network[i]) {
                return false;
            }
        }
        int rest = length & 7;
        if (rest == 0) {
            return true;
        }
        int mask = (0xFF00 >>> rest) & 0xFF;
        return ((pkt[off + full] ^ network[full]) & mask) == 0;
    }

    public static boolean any(Prefix[] prefixes, byte[] pkt, int off, int addrLen) {
        for (Prefix p : prefixes) {
            if (p.matches(pkt, off, addrLen)) {
                return true;
            }
        }
        return false;
    }
}
