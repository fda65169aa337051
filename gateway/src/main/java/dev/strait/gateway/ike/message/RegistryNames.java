package dev.strait.gateway.ike.message;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Map;

/** Number to name for a class of IANA registry constants (ExchangeType, NotifyType, PayloadType), for logs and errors. */
final class RegistryNames {
    private final Map<Integer, String> names = new HashMap<>();
    private final String unknownPrefix;

    /**
     * @param registry      the class whose public static int fields are the registry's numbers, named as IANA names them
     * @param unknownPrefix what an unknown number is written after, e.g. "notify " for "notify 12345"
     * @param overrides     names that differ from the field's, e.g. RFC 7296's short "IDi" for IDI
     */
    RegistryNames(Class<?> registry, String unknownPrefix, Map<Integer, String> overrides) {
        this.unknownPrefix = unknownPrefix;
        for (Field f : registry.getFields()) {
            if (f.getType() == int.class && Modifier.isStatic(f.getModifiers())) {
                try {
                    names.putIfAbsent(f.getInt(null), f.getName());
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        names.putAll(overrides);
    }

    String name(int number) {
        String name = names.get(number);
        return name != null ? name : unknownPrefix + number;
    }
}
