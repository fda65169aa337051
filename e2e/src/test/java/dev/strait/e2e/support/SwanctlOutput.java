package dev.strait.e2e.support;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses {@code swanctl --list-sas --pretty}. The pretty form is one item per line ({@code key = value},
 * {@code name {}, {@code key = [} ... {@code ]}, {@code }}), so values with spaces (DNs) survive, unlike --raw.
 */
public final class SwanctlOutput {
    private SwanctlOutput() {
    }

    /** The generic tree: sections become maps, lists become List&lt;String&gt;, values stay strings. */
    public static Map<String, Object> parseTree(String pretty) {
        Map<String, Object> root = new LinkedHashMap<>();
        Deque<Map<String, Object>> sections = new ArrayDeque<>();
        sections.push(root);
        List<String> list = null;
        int lineNo = 0;
        for (String raw : pretty.split("\n")) {
            lineNo++;
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            if (list != null) {
                if (line.equals("]")) {
                    list = null;
                } else {
                    list.add(line);
                }
            } else if (line.endsWith(" {")) {
                Map<String, Object> section = new LinkedHashMap<>();
                // "list-sa event {" repeats once per IKE_SA: number repeated keys so none is lost
                String key = uniqueKey(sections.peek(), line.substring(0, line.length() - 2).strip());
                sections.peek().put(key, section);
                sections.push(section);
            } else if (line.equals("}")) {
                if (sections.size() == 1) {
                    throw new IllegalArgumentException("line " + lineNo + ": unbalanced '}'");
                }
                sections.pop();
            } else if (line.endsWith(" = [")) {
                list = new ArrayList<>();
                sections.peek().put(line.substring(0, line.length() - 4).strip(), list);
            } else {
                int eq = line.indexOf(" = ");
                if (eq < 0) {
                    throw new IllegalArgumentException("line " + lineNo + ": not 'key = value': " + line);
                }
                sections.peek().put(line.substring(0, eq).strip(), line.substring(eq + 3).strip());
            }
        }
        if (sections.size() != 1 || list != null) {
            throw new IllegalArgumentException("swanctl output ends inside a section or list");
        }
        return root;
    }

    /** All IKE_SAs in a --list-sas --pretty answer, in the order listed. */
    public static List<IkeSa> parseSas(String pretty) {
        List<IkeSa> sas = new ArrayList<>();
        for (var top : parseTree(pretty).entrySet()) {
            if (!top.getKey().startsWith("list-sa event")) {
                continue;
            }
            for (var ike : section(top.getValue()).entrySet()) {
                sas.add(ikeSa(ike.getKey(), section(ike.getValue())));
            }
        }
        return sas;
    }

    private static IkeSa ikeSa(String name, Map<String, Object> m) {
        List<ChildSa> children = new ArrayList<>();
        Object cs = m.get("child-sas");
        if (cs != null) {
            for (Object c : section(cs).values()) {
                children.add(childSa(section(c)));
            }
        }
        return new IkeSa(name, num(m, "uniqueid"), str(m, "state"), "yes".equals(str(m, "initiator")),
                str(m, "local-host"), (int) num(m, "local-port"), str(m, "local-id"),
                str(m, "remote-host"), (int) num(m, "remote-port"), str(m, "remote-id"),
                str(m, "initiator-spi"), str(m, "responder-spi"),
                str(m, "encr-alg"), (int) num(m, "encr-keysize"), str(m, "integ-alg"), str(m, "prf-alg"),
                str(m, "dh-group"), "yes".equals(str(m, "nat-remote")), List.copyOf(children));
    }

    private static ChildSa childSa(Map<String, Object> m) {
        return new ChildSa(str(m, "name"), num(m, "uniqueid"), str(m, "state"), str(m, "mode"), str(m, "protocol"),
                "yes".equals(str(m, "encap")), str(m, "spi-in"), str(m, "spi-out"),
                str(m, "encr-alg"), (int) num(m, "encr-keysize"), str(m, "integ-alg"), str(m, "dh-group"),
                num(m, "bytes-in"), num(m, "packets-in"), num(m, "bytes-out"), num(m, "packets-out"),
                strings(m, "local-ts"), strings(m, "remote-ts"));
    }

    private static String uniqueKey(Map<String, Object> in, String key) {
        if (!in.containsKey(key)) {
            return key;
        }
        int n = 2;
        while (in.containsKey(key + "#" + n)) {
            n++;
        }
        return key + "#" + n;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Object o) {
        if (o instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw new IllegalArgumentException("expected a section, got " + o);
    }

    private static String str(Map<String, Object> m, String key) {
        return m.get(key) instanceof String s ? s : null;
    }

    private static long num(Map<String, Object> m, String key) {
        String s = str(m, key);
        return s == null ? 0 : Long.parseLong(s);
    }

    private static List<String> strings(Map<String, Object> m, String key) {
        return m.get(key) instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
    }
}
