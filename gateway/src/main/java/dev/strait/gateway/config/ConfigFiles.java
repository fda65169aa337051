package dev.strait.gateway.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the files a config names (certificate, key, CA, CRL) are read from: the disk, or, for a config that came
 * from its Secret through the API, that Secret's keys. The paths stay as the config names them, so a tunnel's
 * fingerprint does not depend on where its files were read from.
 */
@FunctionalInterface
public interface ConfigFiles {
    ConfigFiles DISK = Files::readAllBytes;

    byte[] read(Path file) throws IOException;

    /**
     * Files directly in {@code dir} (the config file's directory, where the Secret is mounted) come from
     * {@code entries} by file name; any other path is read from the disk. A name in {@code dir} that the Secret does
     * not carry does not exist: the mounted copy may be older than the Secret.
     */
    static ConfigFiles secret(Path dir, Map<String, byte[]> entries) {
        Path base = dir.toAbsolutePath().normalize();
        return file -> {
            Path p = file.toAbsolutePath().normalize();
            if (!base.equals(p.getParent())) {
                return Files.readAllBytes(file);
            }
            byte[] b = entries.get(p.getFileName().toString());
            if (b == null) {
                throw new NoSuchFileException(file.toString(), null, "not a key of the config Secret");
            }
            return b.clone();
        };
    }
}
