package dev.strait.api.validation;

import dev.strait.api.text.Printable;

/**
 * A configuration problem, phrased for the operator: names the field and what is wrong with it. The message is safe to
 * log: control characters are escaped, and no caller puts key material or a line of the file into it.
 */
public final class ConfigException extends Exception {
    /** What kind of rule was broken; the operator turns it into the ConfigValid condition's reason. */
    public enum Kind {
        INVALID,
        SUBNET_OVERLAP
    }

    private final String field;
    private final Kind kind;

    public ConfigException(String field, String problem) {
        this(Kind.INVALID, field, problem);
    }

    public ConfigException(Kind kind, String field, String problem) {
        super(Printable.escape(field) + ": " + Printable.escape(problem));
        this.field = field;
        this.kind = kind;
    }

    public String field() {
        return field;
    }

    public Kind kind() {
        return kind;
    }
}
