package dev.strait.e2e.support;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the e2e module lives (failsafe passes strait.e2e.dir) and where tests put their files. */
public final class E2eDirs {
    private E2eDirs() {
    }

    public static Path module() {
        String dir = System.getProperty("strait.e2e.dir");
        return (dir == null ? Path.of("").toAbsolutePath() : Path.of(dir)).normalize();
    }

    public static Path bin() {
        return module().resolve("bin");
    }

    /** A fresh-or-existing directory under e2e/target/e2e-work/ for one test's files and logs. */
    public static Path work(String name) {
        Path p = module().resolve("target").resolve("e2e-work").resolve(name);
        try {
            Files.createDirectories(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p;
    }
}
