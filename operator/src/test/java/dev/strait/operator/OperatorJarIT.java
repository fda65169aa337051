package dev.strait.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The shaded operator jar, as the image ships it: it carries the shared validation from strait-api but nothing of the
 * gateway (no FFM datapath, no IKE, no BouncyCastle). Runs after `package` (failsafe).
 */
class OperatorJarIT {
    @Test
    void holdsTheSharedValidationAndNoGatewayClass() throws Exception {
        Path jar = Path.of(System.getProperty("strait.operator.jar", "target/strait-operator.jar"));
        assertTrue(Files.isRegularFile(jar), jar + " is built by `package`");
        try (JarFile f = new JarFile(jar.toFile())) {
            List<String> names = f.stream().map(JarEntry::getName).toList();
            assertNotNull(f.getEntry("dev/strait/operator/OperatorMain.class"));
            assertNotNull(f.getEntry("dev/strait/api/validation/ConfigValidator.class"));
            assertNotNull(f.getEntry("dev/strait/api/net/Cidr.class"));
            assertEquals(List.of(), names.stream().filter(n -> n.startsWith("dev/strait/gateway/")).toList(),
                    "gateway classes in the operator jar");
            assertEquals(List.of(), names.stream().filter(n -> n.startsWith("org/bouncycastle/")).limit(5).toList(),
                    "BouncyCastle (a gateway dependency) in the operator jar");
        }
    }
}
