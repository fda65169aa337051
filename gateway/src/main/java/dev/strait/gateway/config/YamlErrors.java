package dev.strait.gateway.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.dataformat.yaml.JacksonYAMLParseException;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.v1alpha1.TunnelConfig;
import dev.strait.api.v1alpha1.TunnelSpec;
import dev.strait.api.validation.ConfigException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Turns Jackson/SnakeYAML failures into {@link ConfigException}s that never quote the input: field paths keep only
 * names the config model knows, and positions are given as line and column.
 */
final class YamlErrors {
    /** Every field name of the config model: a path element outside it is input text and is shown as "?". */
    private static final Set<String> MODEL_FIELDS = modelFields();

    /** A SnakeYAML token as its messages quote it: '<scalar>', '<block end>', ... or one or two punctuation marks. */
    private static final String TOKEN_NAME = ".(<(scalar|block end|block mapping start|block sequence start|block entry"
            + "|flow mapping start|flow mapping end|flow sequence start|flow sequence end|flow entry|document start"
            + "|document end|stream end|key|value|anchor|alias|tag)>|\\p{Punct}{1,2}).";

    private YamlErrors() {
    }

    /**
     * A YAML syntax error or a duplicate key: position only, never the offending line.
     *
     * @param path the field path where binding met it, or null to take the parser's
     */
    static ConfigException syntax(StreamReadException e, String path) {
        String where = at(e.getLocation());
        String message = String.valueOf(e.getOriginalMessage());
        if (!(e instanceof JacksonYAMLParseException) && message.startsWith("Duplicate field")) {
            return new ConfigException(path != null ? path : contextPath(e.getProcessor()), "duplicate key" + where
                    + " (each key may appear once in a mapping)");
        }
        if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblemMark() != null) {
            // SnakeYAML's mark is where the problem is; Jackson's location is where the enclosing node began
            where = " at line " + (m.getProblemMark().getLine() + 1) + ", column " + (m.getProblemMark().getColumn() + 1);
        }
        return new ConfigException("config", "not valid YAML" + where + problem(e));
    }

    /** " at line L, column C" (1-based), or "" when unknown. */
    static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "";
        }
        return " at line " + location.getLineNr() + (location.getColumnNr() > 0 ? ", column " + location.getColumnNr() : "");
    }

    /** The field path of a mapping error; {@code parentOnly} leaves out the last element (an unknown key's name). */
    static String path(JsonMappingException e, boolean parentOnly) {
        List<JsonMappingException.Reference> refs = e.getPath();
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < refs.size() - (parentOnly ? 1 : 0); i++) {
            JsonMappingException.Reference r = refs.get(i);
            if (r.getFieldName() != null) {
                p.append(p.isEmpty() ? "" : ".").append(known(r.getFieldName()));
            } else {
                p.append('[').append(r.getIndex()).append(']');
            }
        }
        return p.isEmpty() ? "config" : p.toString();
    }

    /** " (did you mean 'x'? fields here: a, b, c)" for an unknown key, without showing the key. */
    static String knownFields(String unknown, Collection<Object> known) {
        if (known == null || known.isEmpty()) {
            return "";
        }
        TreeSet<String> names = new TreeSet<>();
        known.forEach(k -> names.add(String.valueOf(k)));
        String close = unknown == null ? null : names.stream()
                .filter(n -> editDistance(n.toLowerCase(), unknown.toLowerCase()) <= 2).findFirst().orElse(null);
        return " (" + (close != null ? "did you mean '" + close + "'? " : "") + "fields here: " + String.join(", ", names) + ")";
    }

    static String expected(Class<?> target) {
        if (target == null) {
            return "";
        }
        if (Number.class.isAssignableFrom(target) || target.isPrimitive()) {
            return " (expected a number)";
        }
        if (target == String.class) {
            return " (expected a string)";
        }
        if (Collection.class.isAssignableFrom(target)) {
            return " (expected a list)";
        }
        return " (expected a mapping)";
    }

    /** The parser's description of the problem, with anything it quotes from the input cut out. */
    private static String problem(StreamReadException e) {
        Throwable cause = e.getCause();
        String text = cause instanceof org.yaml.snakeyaml.error.MarkedYAMLException m ? m.getProblem() : null;
        if (text == null || text.isBlank()) {
            return "";
        }
        // Quoted parts are input, except SnakeYAML's names of tokens: '<scalar>', '<block end>', ':', ',' and the like.
        java.util.regex.Matcher quoted = java.util.regex.Pattern.compile("'[^']*'|\"[^\"]*\"|`[^`]*`").matcher(text);
        String unquoted = quoted.replaceAll(q -> java.util.regex.Matcher.quoteReplacement(
                q.group().matches(TOKEN_NAME) ? q.group() : "(...)")).strip();
        int newline = unquoted.indexOf('\n');
        if (newline >= 0) {
            unquoted = unquoted.substring(0, newline);
        }
        return unquoted.length() > 160 ? "" : ": " + unquoted;
    }

    private static String contextPath(Object processor) {
        if (!(processor instanceof JsonParser parser)) {
            return "config";
        }
        Deque<String> parts = new java.util.ArrayDeque<>();
        for (JsonStreamContext c = parser.getParsingContext(); c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) {
                parts.addFirst("[" + Math.max(0, c.getCurrentIndex()) + "]");
            } else if (c.getCurrentName() != null) {
                parts.addFirst("." + known(c.getCurrentName()));
            }
        }
        String p = String.join("", parts);
        return p.isEmpty() ? "config" : p.substring(p.startsWith(".") ? 1 : 0);
    }

    private static String known(String name) {
        return MODEL_FIELDS.contains(name) ? name : "?";
    }

    private static Set<String> modelFields() {
        Set<String> out = new HashSet<>();
        List<Class<?>> classes = new ArrayList<>();
        Stream.of(GatewayConfig.class, TunnelSpec.class, TunnelConfig.class).forEach(c -> {
            classes.add(c);
            classes.addAll(List.of(c.getDeclaredClasses()));
        });
        for (Class<?> c : classes) {
            for (Field f : c.getFields()) {
                if (!Modifier.isStatic(f.getModifiers())) {
                    out.add(f.getName());
                }
            }
        }
        return Set.copyOf(out);
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int[] cur = new int[b.length() + 1];
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            prev = cur;
        }
        return prev[b.length()];
    }
}
