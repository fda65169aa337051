package dev.strait.gateway.config;

/** A configuration problem, phrased for the operator: names the field and what is wrong with it. */
public final class ConfigException extends Exception {
    private final String field;

    public ConfigException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
