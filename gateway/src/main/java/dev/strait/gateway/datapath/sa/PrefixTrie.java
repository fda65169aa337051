package dev.strait.gateway.datapath.sa;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable path-compressed binary trie (PATRICIA style) of IPv4 and IPv6 prefixes, each with the values filed under it in the
 * order they were added. A lookup follows the address bits from the root and reports the nodes that hold values
 * along the way, so the caller can take the longest prefix first and fall back to shorter ones. Chains of nodes
 * without values or branches are skipped, so the steps grow with the branching (about log2 of the prefix count),
 * not with the prefix length. Built on the control path, read by the packet threads without locks.
 */
public final class PrefixTrie<T> {
    /** Longest path a lookup reports: /0 to /128. */
    public static final int MAX_DEPTH = 129;
    private static final int V4_ROOT = 0;
    private static final int V6_ROOT = 1;

    /** Per node: its prefix (the bits above it), children by the next bit (-1: none) and its values or null. */
    private final Prefix[] prefixes;
    private final int[] depths;
    private final int[] zero;
    private final int[] one;
    private final Object[][] values;

    private PrefixTrie(Prefix[] prefixes, int[] zero, int[] one, Object[][] values) {
        this.prefixes = prefixes;
        this.depths = new int[prefixes.length];
        for (int i = 0; i < prefixes.length; i++) {
            depths[i] = prefixes[i].length();
        }
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
        int bits = addrLen * 8;
        int n = 0;
        // Down by bit tests alone (as in a PATRICIA trie, the bits a compressed node skipped are not looked at)...
        while (node >= 0) {
            if (values[node] != null) {
                path[n++] = node;
            }
            int d = depths[node];
            if (d == bits) {
                break;
            }
            node = ((a[off + (d >>> 3)] >>> (7 - (d & 7))) & 1) == 0 ? zero[node] : one[node];
        }
        // ...then the deepest node whose whole prefix holds the address: every node above it on the path does too.
        while (n > 0 && !prefixes[path[n - 1]].matches(a, off, addrLen)) {
            n--;
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
            List<Prefix> outPrefixes = new ArrayList<>();
            List<int[]> outChildren = new ArrayList<>();
            List<Object[]> outValues = new ArrayList<>();
            // Roots stay at 0 (IPv4) and 1 (IPv6) even when empty: the lookup starts there.
            for (int root : new int[] {V4_ROOT, V6_ROOT}) {
                outPrefixes.add(new Prefix(new byte[root == V4_ROOT ? 4 : 16], 0));
                outChildren.add(new int[] {-1, -1});
                outValues.add(toArray(values.get(root)));
            }
            for (int root : new int[] {V4_ROOT, V6_ROOT}) {
                byte[] addr = new byte[root == V4_ROOT ? 4 : 16];
                outChildren.get(root)[0] = compress(zero[root], addr, 1, outPrefixes, outChildren, outValues);
                outChildren.get(root)[1] = compress(one[root], withBit(addr, 0), 1, outPrefixes, outChildren,
                        outValues);
            }
            int n = outPrefixes.size();
            int[] z = new int[n];
            int[] o = new int[n];
            for (int i = 0; i < n; i++) {
                z[i] = outChildren.get(i)[0];
                o[i] = outChildren.get(i)[1];
            }
            return new PrefixTrie<>(outPrefixes.toArray(Prefix[]::new), z, o, outValues.toArray(Object[][]::new));
        }

        /**
         * Copies the subtree at node (whose prefix is addr/depth) into the output, skipping nodes without values
         * that have a single child; returns its index there, or -1 when the subtree is empty.
         */
        private int compress(int node, byte[] addr, int depth, List<Prefix> prefixes, List<int[]> children,
                             List<Object[]> out) {
            if (node == 0) {
                return -1;
            }
            while (values.get(node) == null && (zero[node] == 0) != (one[node] == 0)) {
                if (one[node] != 0) {
                    addr = withBit(addr, depth);
                    node = one[node];
                } else {
                    node = zero[node];
                }
                depth++;
            }
            int index = prefixes.size();
            prefixes.add(new Prefix(addr, depth));
            int[] c = {-1, -1};
            children.add(c);
            out.add(toArray(values.get(node)));
            c[0] = compress(zero[node], addr, depth + 1, prefixes, children, out);
            if (one[node] != 0) {
                c[1] = compress(one[node], withBit(addr, depth), depth + 1, prefixes, children, out);
            }
            return index;
        }

        private static byte[] withBit(byte[] addr, int bit) {
            byte[] b = addr.clone();
            b[bit >>> 3] |= (byte) (0x80 >>> (bit & 7));
            return b;
        }

        private static Object[] toArray(List<Object> l) {
            return l == null ? null : l.toArray();
        }
    }
}
