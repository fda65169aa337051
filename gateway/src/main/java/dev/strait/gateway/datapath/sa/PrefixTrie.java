package dev.strait.gateway.datapath.sa;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable binary trie of IPv4 and IPv6 prefixes, each with the values filed under it in the order they were
 * added. A lookup walks the address bits once (at most 32 or 128 steps, however many prefixes there are) and
 * reports the nodes that hold values along the way, so the caller can take the longest prefix first and fall back
 * to shorter ones. Built on the control path, read by the packet threads without locks.
 */
public final class PrefixTrie<T> {
    /** Longest path a lookup reports: /0 to /128. */
    public static final int MAX_DEPTH = 129;
    private static final int V4_ROOT = 0;
    private static final int V6_ROOT = 1;

    private final int[] zero;
    private final int[] one;
    private final Object[][] values;

    private PrefixTrie(int[] zero, int[] one, Object[][] values) {
        this.zero = zero;
        this.one = one;
        this.values = values;
    }

    public static <T> Builder<T> builder() {
        return new Builder<>();
    }

    /**
     * Writes into path, shortest first, the nodes whose prefix contains the address a[off, off+addrLen) and that
     * hold values; returns how many. path needs {@link #MAX_DEPTH} entries.
     */
    public int match(byte[] a, int off, int addrLen, int[] path) {
        int node = addrLen == 4 ? V4_ROOT : V6_ROOT;
        int n = 0;
        if (values[node] != null) {
            path[n++] = node;
        }
        int bits = addrLen * 8;
        for (int bit = 0; bit < bits; bit++) {
            node = ((a[off + (bit >>> 3)] >>> (7 - (bit & 7))) & 1) == 0 ? zero[node] : one[node];
            if (node == 0) {
                break;
            }
            if (values[node] != null) {
                path[n++] = node;
            }
        }
        return n;
    }

    /** How many values a node reported by {@link #match} holds. */
    public int size(int node) {
        return values[node].length;
    }

    /** The i-th value filed under the node's prefix (in the order added). */
    @SuppressWarnings("unchecked")
    public T value(int node, int i) {
        return (T) values[node][i];
    }

    /** Collects prefixes and values; {@link #build} makes the immutable trie. */
    public static final class Builder<T> {
        private int[] zero = new int[64];
        private int[] one = new int[64];
        private final List<List<Object>> values = new ArrayList<>();

        private Builder() {
            values.add(null);
            values.add(null);
        }

        /** Files value under prefix, after the values already there. */
        public Builder<T> add(Prefix prefix, T value) {
            byte[] net = prefix.network();
            int node = net.length == 4 ? V4_ROOT : V6_ROOT;
            for (int bit = 0; bit < prefix.length(); bit++) {
                boolean set = ((net[bit >>> 3] >>> (7 - (bit & 7))) & 1) != 0;
                int next = set ? one[node] : zero[node];
                if (next == 0) {
                    next = values.size();
                    values.add(null);
                    if (next >= zero.length) {
                        zero = Arrays.copyOf(zero, next * 2);
                        one = Arrays.copyOf(one, next * 2);
                    }
                    if (set) {
                        one[node] = next;
                    } else {
                        zero[node] = next;
                    }
                }
                node = next;
            }
            if (values.get(node) == null) {
                values.set(node, new ArrayList<>());
            }
            values.get(node).add(value);
            return this;
        }

        public PrefixTrie<T> build() {
            int n = values.size();
            Object[][] v = new Object[n][];
            for (int i = 0; i < n; i++) {
                List<Object> l = values.get(i);
                v[i] = l == null ? null : l.toArray();
            }
            return new PrefixTrie<>(Arrays.copyOf(zero, n), Arrays.copyOf(one, n), v);
        }
    }
}
