package dev.strait.gateway.testing;

import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test class that changes kernel state: network namespaces, TUN devices, veth links, routes, iptables. Tagged
 * {@code privileged} (its own surefire execution, gateway/pom.xml) and skipped, with {@link #REASON} as the reason,
 * unless the JVM runs as root with CAP_NET_ADMIN and CAP_SYS_ADMIN. With CI=true it is never skipped: CI runs as
 * root, and losing these tests there must fail the build, not pass it quietly.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("privileged")
@ExtendWith(Privileged.Check.class)
public @interface Privileged {
    String REASON = "needs root with CAP_NET_ADMIN and CAP_SYS_ADMIN (network namespaces, TUN devices, routes): "
            + "run the build as root to include it";

    /** Reads the effective uid and capabilities of this process from /proc/self/status. */
    final class Check implements ExecutionCondition {
        private static final int CAP_NET_ADMIN = 12;
        private static final int CAP_SYS_ADMIN = 21;

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (privileged() || "true".equalsIgnoreCase(System.getenv("CI"))) {
                return ConditionEvaluationResult.enabled("root with CAP_NET_ADMIN and CAP_SYS_ADMIN (or CI=true)");
            }
            return ConditionEvaluationResult.disabled(REASON);
        }

        static boolean privileged() {
            try {
                List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
                Optional<String> uid = field(status, "Uid:");
                Optional<String> caps = field(status, "CapEff:");
                if (uid.isEmpty() || caps.isEmpty()) {
                    return false;
                }
                long eff = Long.parseUnsignedLong(caps.get(), 16);
                // "Uid:" lists real, effective, saved and filesystem uid: the effective one counts
                return uid.get().split("\\s+")[1].equals("0")
                        && (eff & (1L << CAP_NET_ADMIN)) != 0 && (eff & (1L << CAP_SYS_ADMIN)) != 0;
            } catch (IOException | RuntimeException e) {
                return false; // no procfs (not Linux): no namespaces either
            }
        }

        private static Optional<String> field(List<String> status, String name) {
            return status.stream().filter(l -> l.startsWith(name)).map(l -> l.substring(name.length()).strip())
                    .findFirst();
        }
    }
}
