package dev.strait.gateway.config;

import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.strait.api.v1alpha1.GatewayConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/** Reads the gateway YAML and validates it; every failure names the offending field. */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

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
            throw new ConfigException("config", "cannot read " + file + ": " + e.getMessage());
        }
        return parse(text);
    }

    public static GatewayConfig parse(String yamlText) throws ConfigException {
        GatewayConfig config;
        try {
            config = YAML.readValue(yamlText, GatewayConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException(path(e), "unknown field '" + e.getPropertyName() + "'");
        } catch (InvalidFormatException e) {
            throw new ConfigException(path(e), "invalid value '" + e.getValue() + "'"
                    + (e.getTargetType() != null && e.getTargetType().isEnum()
                            ? " (expected one of " + java.util.Arrays.toString(e.getTargetType().getEnumConstants()) + ")"
                            : ""));
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof StreamReadException syntax) {
                throw notYaml(syntax);
            }
            throw new ConfigException(path(e), e.getOriginalMessage());
        } catch (StreamReadException e) {
            throw notYaml(e);
        } catch (IOException e) {
            throw new ConfigException("config", "not valid YAML");
        }
        if (config == null) {
            throw new ConfigException("config", "the file is empty");
        }
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

    /** Where, never what: the parser's message quotes the offending line, which may hold a PSK. */
    private static ConfigException notYaml(StreamReadException e) {
        var at = e.getLocation();
        return new ConfigException("config", "not valid YAML" + (at == null ? ""
                : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
    }

    private static String path(JsonMappingException e) {
        String p = e.getPath().stream()
                .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining());
        return p.isEmpty() ? "config" : p.substring(p.startsWith(".") ? 1 : 0);
    }
}
