package dev.strait.gateway.ike.crypto;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Cipher;

/**
 * {@code Cipher.getInstance} with the provider remembered per transformation. Without a provider the JCA walks the
 * provider list and parses the transformation on every call, which showed up as ~6% of an IKE responder's CPU with
 * per-message ciphers; with the provider given it only looks up that provider's service.
 */
public final class JcaCiphers {
    private static final Map<String, Provider> PROVIDERS = new ConcurrentHashMap<>();

    private JcaCiphers() {
    }

    public static Cipher get(String transformation) throws GeneralSecurityException {
        Provider p = PROVIDERS.get(transformation);
        if (p != null) {
            return Cipher.getInstance(transformation, p);
        }
        Cipher c = Cipher.getInstance(transformation);
        PROVIDERS.putIfAbsent(transformation, c.getProvider()); // getProvider() fixes the provider choice
        return c;
    }
}
