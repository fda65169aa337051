package dev.strait.gateway.ike;

import java.util.Locale;

/**
 * A reason enum whose constants are metric (and status) labels: the label is the constant's name in lower case, so
 * renaming a constant renames what dashboards and alerts match.
 */
public interface MetricLabel {
    String name();

    default String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
