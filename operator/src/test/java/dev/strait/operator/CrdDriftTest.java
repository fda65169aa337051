package dev.strait.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The committed crds/ must be exactly what the build generates from the Java model. */
class CrdDriftTest {
    static final String REFRESH = "./mvnw -B -ntp -q -pl operator -am -DskipTests process-classes"
            + " && cp operator/target/classes/META-INF/fabric8/*.yml crds/";

    @ParameterizedTest
    @ValueSource(strings = {"ipsectunnels.strait.dev-v1.yml", "ipsecgateways.strait.dev-v1.yml"})
    void committedCrdMatchesGenerated(String name) throws IOException {
        Path generated = Path.of(System.getProperty("strait.generated.crds.dir", "target/classes/META-INF/fabric8"), name);
        Path committed = Path.of(System.getProperty("strait.crds.dir", "../crds"), name);
        assertTrue(Files.exists(generated), "build did not generate " + generated);
        assertTrue(Files.exists(committed), "crds/" + name + " is missing; refresh with: " + REFRESH);
        assertEquals(Files.readString(generated), Files.readString(committed),
                "crds/" + name + " differs from the generated CRD; refresh with: " + REFRESH);
    }
}
