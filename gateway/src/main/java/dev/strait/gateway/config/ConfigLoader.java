package dev.strait.gateway.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.strait.api.v1alpha1.GatewayConfig;
import dev.strait.api.validation.ConfigException;
import dev.strait.api.validation.ConfigValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads the gateway YAML and validates it; every failure names the offending field. A failure never quotes the file:
 * a broken line may hold a PSK, so the reader gets the field path, line and column instead of the line's content
 * (the parser's own messages do quote it, and are not passed on).
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            // a second `value:` silently winning over the first is how a key ends up other than the one reviewed
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private ConfigLoader() {
    }

    public static ObjectMapper yaml() {
        return YAML;
    }

    public static GatewayConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config", "file " + file + " does not exist");
        } catch (IOException e) {
            throw new ConfigException("config", "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
        return parse(text);
    }

    /** Parses and validates a whole config, reading the PSK files it names (see {@link ConfigValidator#validate}). */
    public static GatewayConfig parse(String yamlText) throws ConfigException {
        GatewayConfig config = read(yamlText);
        ConfigValidator.validate(config);
        return config;
    }

    /**
     * Everything but the tunnels: the settings the daemon reads once at start (listen and admin addresses, datapath,
     * IKE DoS limits, the kubernetes section). A reload that changes them takes effect at the next restart only.
     */
    public static com.fasterxml.jackson.databind.JsonNode startSettings(GatewayConfig config) {
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) YAML.valueToTree(config);
        tree.remove("tunnels");
        return tree;
    }

    private static GatewayConfig read(String yamlText) throws ConfigException {
        GatewayConfig config;
        try {
            config = YAML.readValue(yamlText, GatewayConfig.class);
        } catch (UnrecognizedPropertyException e) {
            // The unknown name itself is not shown: a mis-indented key can turn a PSK into a mapping key.
            throw new ConfigException(YamlErrors.path(e, true), "unknown field" + YamlErrors.at(e.getLocation())
                    + YamlErrors.knownFields(e.getPropertyName(), e.getKnownPropertyIds()));
        } catch (InvalidFormatException e) {
            Class<?> target = e.getTargetType();
            throw new ConfigException(YamlErrors.path(e, false), "invalid value" + YamlErrors.at(e.getLocation())
                    + (target != null && target.isEnum()
                            ? " (expected one of " + java.util.Arrays.toString(target.getEnumConstants()) + ")"
                            : YamlErrors.expected(target)));
        } catch (MismatchedInputException e) {
            throw new ConfigException(YamlErrors.path(e, false), "wrong type" + YamlErrors.at(e.getLocation())
                    + YamlErrors.expected(e.getTargetType()));
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof StreamReadException syntax) { // met while binding: a YAML error or a duplicate key
                throw YamlErrors.syntax(syntax, YamlErrors.path(e, false));
            }
            throw new ConfigException(YamlErrors.path(e, false), "cannot be read" + YamlErrors.at(e.getLocation()));
        } catch (StreamReadException e) {
            throw YamlErrors.syntax(e, null);
        } catch (IOException e) {
            throw new ConfigException("config", "cannot be read (" + e.getClass().getSimpleName() + ")");
        }
        if (config == null) {
            throw new ConfigException("config", "the file is empty");
        }
        return config;
    }
}
