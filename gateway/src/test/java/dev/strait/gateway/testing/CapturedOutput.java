package dev.strait.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Captures System.out and System.err (and so the slf4j-simple log, which writes to System.err) until closed. Test
 * classes run one after another in the surefire JVM, so nothing else writes there meanwhile.
 */
public final class CapturedOutput implements AutoCloseable {
    private final PrintStream oldOut = System.out;
    private final PrintStream oldErr = System.err;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private CapturedOutput() {
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    public static CapturedOutput start() {
        return new CapturedOutput();
    }

    public String stdout() {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    public String stderr() {
        synchronized (err) {
            return err.toString(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        System.setOut(oldOut);
        System.setErr(oldErr);
    }
}
