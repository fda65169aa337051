package dev.strait.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.e2e.support.Commands;
import dev.strait.e2e.support.E2eDirs;
import dev.strait.e2e.support.ExecResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What can be checked of the container images without a container engine: the Dockerfile's jlink module list builds
 * a runtime from the local JDK 25 on which the jar starts and works, the COPY sources exist, base images are pinned,
 * the OCI labels are there and the operator does not run as root.
 */
class ImagesIT {
    static final Path REPO = E2eDirs.module().getParent();
    private static final Pattern MODULES = Pattern.compile("(?m)^ARG JLINK_MODULES=(\\S+)$");
    private static final Pattern JLINK = Pattern.compile("(?s)RUN (jlink .*?--output \\S+)");
    private static final Pattern COPY = Pattern.compile("(?m)^COPY (?!--from)(.+)$");
    private static final Pattern BASE = Pattern.compile("(?m)^ARG (BUILD|RUNTIME)_IMAGE=(\\S+)$");

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gateway", "operator"})
    void jlinkedRuntimeOfTheDockerfileRunsTheJar(String component) throws IOException {
        String dockerfile = Files.readString(REPO.resolve("Dockerfile." + component));
        Matcher m = MODULES.matcher(dockerfile);
        assertTrue(m.find(), "Dockerfile." + component + " declares ARG JLINK_MODULES");
        String modules = m.group(1);

        Path jar = REPO.resolve(component + "/target/strait-" + component + ".jar");
        assertTrue(Files.isRegularFile(jar), jar + " is built by the reactor before e2e");
        Path jdk = Path.of(System.getProperty("java.home"));

        // The list is what jdeps finds, nothing less (a missing module fails at run time only on some code paths).
        String needed = Commands.run(Duration.ofMinutes(2), List.of(jdk.resolve("bin/jdeps").toString(),
                "--print-module-deps", "--ignore-missing-deps", "--multi-release", "25", jar.toString())).orThrow().stdout().strip();
        assertTrue(List.of(modules.split(",")).containsAll(List.of(needed.split(","))),
                "JLINK_MODULES " + modules + " lacks some of jdeps' " + needed);

        // The same jlink options as the Dockerfile's RUN line, into a fresh directory.
        Matcher j = JLINK.matcher(dockerfile);
        assertTrue(j.find(), "a RUN jlink ... --output line");
        Path runtime = E2eDirs.work("images").resolve(component + "-jre");
        deleteTree(runtime);
        List<String> jlink = new ArrayList<>();
        for (String tok : j.group(1).replace("\\\n", " ").trim().split("\\s+")) {
            jlink.add(switch (tok) {
                case "jlink" -> jdk.resolve("bin/jlink").toString();
                case "\"${JLINK_MODULES}\"" -> modules;
                case "/opt/jre" -> runtime.toString();
                default -> tok;
            });
        }
        Commands.run(Duration.ofMinutes(3), jlink).orThrow();
        String java = runtime.resolve("bin/java").toString();
        String listed = Commands.run(Duration.ofSeconds(30), List.of(java, "--list-modules")).orThrow().stdout();
        assertFalse(listed.contains("jdk.compiler"), "only the listed modules (and what they require) are in the runtime");

        if (component.equals("gateway")) {
            ExecResult v = Commands.run(Duration.ofSeconds(60), List.of(java, "-jar", jar.toString(), "--version")).orThrow();
            assertTrue(v.stdout().startsWith("strait-gateway "), v.describe());
            // check reads the PSK file the example names: give it one
            Path work = E2eDirs.work("images");
            Path psk = Files.writeString(work.resolve("site-b.psk"), "an-example-psk-of-enough-bytes\n");
            Path example = Files.writeString(work.resolve("gateway.yaml"), Files.readString(
                    REPO.resolve("examples/standalone/gateway.yaml")).replace("/etc/strait/site-b.psk", psk.toString()));
            ExecResult check = Commands.run(Duration.ofSeconds(60), List.of(java, "-jar", jar.toString(), "check", "--config",
                    example.toString())).orThrow();
            assertTrue(check.stdout().contains("config OK: 1 tunnel(s)"), check.describe());
            // and a broken config is refused on the same runtime (the YAML and validation code paths load)
            Path broken = Files.writeString(work.resolve("broken.yaml"),
                    "tunnels:\n  - name: x\n    peer: {id: a, address: 192.0.2.1}\n    local: {id: b, subnets: [10.0.0.0/16]}\n"
                            + "    remote: {subnets: [10.1.0.0/16]}\n    auth: {psk: {value: 0123456789abcdef0123456789abcdef}}\n    ike: {proposals: [3des-md5-modp1024]}\n");
            assertFalse(Commands.run(Duration.ofSeconds(60), List.of(java, "-jar", jar.toString(), "check", "--config",
                    broken.toString())).ok(), "a 3DES/MD5/MODP1024 proposal is refused");
        } else {
            ExecResult help = Commands.run(Duration.ofSeconds(60), List.of(java, "-jar", jar.toString(), "--help")).orThrow();
            assertTrue(help.stdout().contains("--gateway-image"), help.describe());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gateway", "operator"})
    void dockerfileCopiesExistingFilesFromPinnedImagesWithOciLabels(String component) throws IOException {
        String dockerfile = Files.readString(REPO.resolve("Dockerfile." + component));
        Matcher c = COPY.matcher(dockerfile);
        int copies = 0;
        while (c.find()) {
            String[] parts = c.group(1).trim().split("\\s+");
            for (int i = 0; i < parts.length - 1; i++) {
                assertTrue(Files.exists(REPO.resolve(parts[i])), "Dockerfile." + component + " copies " + parts[i]);
                copies++;
            }
        }
        assertTrue(copies >= 8, "the build stage copies the wrapper, POMs and sources");
        Matcher b = BASE.matcher(dockerfile);
        int bases = 0;
        while (b.find()) {
            String image = b.group(2);
            assertTrue(image.contains("@sha256:") || image.matches(".+:(.*\\d+\\.\\d+.*|.*\\d{8}.*)"),
                    image + " is pinned by digest or by an exact version tag");
            bases++;
        }
        assertEquals(2, bases, "a build image and a runtime image");
        for (String label : List.of("title", "description", "version", "source", "licenses")) {
            assertTrue(dockerfile.contains("org.opencontainers.image." + label + "="), "OCI label " + label);
        }
        if (component.equals("operator")) {
            assertTrue(dockerfile.matches("(?s).*\\nUSER 65532:65532\\n.*"), "the operator image runs as a non-root user");
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (Files.exists(p)) {
            try (var s = Files.walk(p)) {
                for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(x);
                }
            }
        }
    }
}
