package dev.strait.gateway.datapath;

import dev.strait.api.net.Cidr;

/** A prefix matched directly against address bytes inside a packet, without allocating. */
record Prefix(byte[] network, int length) {

    static Prefix of(Cidr c) {
        return new Prefix(c.start(), c.prefixLength());
    }

    static Prefix[] of(java.util.List<Cidr> list) {
        return list == null ? new Prefix[0] : list.stream().map(Prefix::of).toArray(Prefix[]::new);
    }

    boolean matches(byte[] pkt, int off, int addrLen) {
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

    static boolean any(Prefix[] prefixes, byte[] pkt, int off, int addrLen) {
        for (Prefix p : prefixes) {
            if (p.matches(pkt, off, addrLen)) {
                return true;
            }
        }
        return false;
    }
}
