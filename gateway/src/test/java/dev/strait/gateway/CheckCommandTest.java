package dev.strait.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strait.gateway.config.CarelessConfigs;
import dev.strait.gateway.testing.CapturedOutput;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** `strait-gateway check` as an operator runs it: exit code and what it prints. */
class CheckCommandTest {
    @TempDir
    Path dir;

    record Result(int rc, String out, String err) {
    }

    private Result check(String yaml) throws Exception {
        return command("check", yaml);
    }

    private Result command(String name, String yaml) throws Exception {
        Path file = Files.writeString(dir.resolve("gateway.yaml"), yaml);
        try (CapturedOutput captured = CapturedOutput.start()) {
            int rc = new CommandLine(new Main()).execute(name, "-c", file.toString());
            return new Result(rc, captured.stdout(), captured.stderr());
        }
    }

    static List<CarelessConfigs.Case> cases() {
        return CarelessConfigs.all();
    }

    @Test
    void aValidConfigPasses() throws Exception {
        Result r = check(CarelessConfigs.VALID);
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("config OK: 2 tunnel(s)"), r.out());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachCarelessConfigExitsTwoNamingTheField(CarelessConfigs.Case c) throws Exception {
        Result r = check(c.yaml().apply(dir));
        assertEquals(CheckCommand.EXIT_CONFIG, r.rc(), r.out() + r.err());
        assertTrue(r.err().contains(": " + c.field() + ": "), r.err());
        assertTrue(r.err().contains(c.messagePart()), r.err());
        assertFalse(r.out().contains("config OK"), r.out());
    }

    @Test
    void aCertificateTunnelWhoseFilesAreMissingFailsAsRunWould() throws Exception {
        String yaml = CarelessConfigs.VALID.replace("auth: {psk: {value: interop-test-psk-not-secret}}",
                "auth: {certificate: {certFile: " + dir.resolve("gw.crt") + ", keyFile: " + dir.resolve("gw.key")
                        + ", caFile: " + dir.resolve("ca.crt") + "}}");
        Result r = check(yaml);
        assertEquals(CheckCommand.EXIT_CONFIG, r.rc(), r.out() + r.err());
        assertTrue(r.err().contains("auth.certificate.certFile: "), r.err());
    }

    /** The canary of issue 14: broken YAML around a PSK must not bring the PSK line to the terminal. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.strait.gateway.config.BrokenYaml#all")
    void brokenYamlNearAPskNeverPrintsIt(dev.strait.gateway.config.BrokenYaml.Case c) throws Exception {
        Result r = check(c.yaml());
        assertEquals(CheckCommand.EXIT_CONFIG, r.rc(), "rc for " + c);
        String printed = r.out() + r.err();
        assertFalse(printed.contains(dev.strait.gateway.config.BrokenYaml.CANARY_PART), printed);
        assertTrue(r.err().contains(c.expected()), r.err());
    }

    /** `run` refuses the same configs at start, with the same message, before it opens a socket. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.strait.gateway.config.BrokenYaml#all")
    void runRefusesBrokenYamlAtStartWithoutPrintingIt(dev.strait.gateway.config.BrokenYaml.Case c) throws Exception {
        Result run = command("run", c.yaml());
        assertEquals(CheckCommand.EXIT_CONFIG, run.rc(), "rc for " + c);
        assertFalse((run.out() + run.err()).contains(dev.strait.gateway.config.BrokenYaml.CANARY_PART), run.err());
        assertEquals(check(c.yaml()).err(), run.err(), "run says what check says");
    }
}
