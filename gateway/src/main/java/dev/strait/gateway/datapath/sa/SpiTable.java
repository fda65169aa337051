package dev.strait.gateway.datapath.sa;

import java.util.Map;

/** Immutable open-addressing map from inbound SPI to SA: lookups without boxing or locks. */
final class SpiTable {
    static final SpiTable EMPTY = new SpiTable(new int[1], new ChildSa[1], 0);

    private final int[] keys;
    private final ChildSa[] values;
    private final int mask;

    private SpiTable(int[] keys, ChildSa[] values, int mask) {
        this.keys = keys;
        this.values = values;
        this.mask = mask;
    }

    static SpiTable of(Map<Integer, ChildSa> map) {
        int size = Integer.highestOneBit(Math.max(4, map.size() * 4) - 1) << 1;
        int[] keys = new int[size];
        ChildSa[] values = new ChildSa[size];
        for (Map.Entry<Integer, ChildSa> e : map.entrySet()) {
            int i = mix(e.getKey()) & (size - 1);
            while (values[i] != null) {
                i = (i + 1) & (size - 1);
            }
            keys[i] = e.getKey();
            values[i] = e.getValue();
        }
        return new SpiTable(keys, values, size - 1);
    }

    ChildSa get(int spi) {
        int i = mix(spi) & mask;
        while (values[i] != null) {
            if (keys[i] == spi) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    private static int mix(int h) {
        return h * 0x9E3779B9 >>> 7 ^ h;
    }
}
