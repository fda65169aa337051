package dev.strait.gateway.ike.message;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/** Compares records by content: byte[] components by value, lists element by element, recursively. */
final class ContentAssertions {
    private ContentAssertions() {
    }

    static void assertSameContent(Object expected, Object actual) {
        String diff = diff("", expected, actual);
        if (diff != null) {
            fail("content differs at " + diff);
        }
    }

    static boolean sameContent(Object expected, Object actual) {
        return diff("", expected, actual) == null;
    }

    private static String diff(String path, Object a, Object b) {
        if (a == null || b == null) {
            return a == b ? null : path + ": " + a + " vs " + b;
        }
        if (a instanceof byte[] x && b instanceof byte[] y) {
            return Arrays.equals(x, y) ? null
                    : path + ": " + HexFormat.of().formatHex(x) + " vs " + HexFormat.of().formatHex(y);
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return path + ": list size " + x.size() + " vs " + y.size();
            }
            for (int i = 0; i < x.size(); i++) {
                String d = diff(path + "[" + i + "]", x.get(i), y.get(i));
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (a.getClass().isRecord()) {
            if (a.getClass() != b.getClass()) {
                return path + ": " + a.getClass().getSimpleName() + " vs " + b.getClass().getSimpleName();
            }
            for (RecordComponent c : a.getClass().getRecordComponents()) {
                try {
                    String d = diff(path + "." + c.getName(), c.getAccessor().invoke(a), c.getAccessor().invoke(b));
                    if (d != null) {
                        return d;
                    }
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            }
            return null;
        }
        return a.equals(b) ? null : path + ": " + a + " vs " + b;
    }
}
