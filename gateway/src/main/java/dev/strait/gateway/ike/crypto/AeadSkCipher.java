package dev.strait.gateway.ike.crypto;

import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-GCM-16 (RFC 5282) and ChaCha20-Poly1305 (RFC 7634) for the SK payload. Nonce = 4-byte salt (the tail of the
 * key material) || 8-byte explicit IV; the IV is a per-key counter, so a nonce is never used twice with one key.
 * Each seal/open takes the spare Cipher (or makes one) and re-initialises it with the message's nonce, so calls
 * from any thread never share a Cipher, and the common case (one SA's messages in turn) skips the provider lookup.
 */
final class AeadSkCipher implements SkCipher {
    private static final int SALT_LENGTH = 4;
    private static final int IV_LENGTH = 8;
    private static final int ICV_LENGTH = 16;

    private final Algorithms.Encr encr;
    private final SecretKeySpec key;
    private final byte[] salt;
    private final long firstIv;
    private final AtomicLong sealed = new AtomicLong();
    /** A Cipher of this key left by the last seal/open, re-initialised for the next (taken atomically: any thread). */
    private final java.util.concurrent.atomic.AtomicReference<Cipher> spare = new java.util.concurrent.atomic.AtomicReference<>();

    AeadSkCipher(Algorithms.Encr encr, int keyBits, byte[] keyMaterial, long firstIv) {
        this.encr = encr;
        int keyLength = keyBits / 8;
        if (keyMaterial == null || keyMaterial.length != keyLength + SALT_LENGTH) {
            throw new IllegalArgumentException(encr + " needs " + (keyLength + SALT_LENGTH)
                    + " bytes of key material (key || 4-byte salt)");
        }
        this.key = new SecretKeySpec(keyMaterial, 0, keyLength, encr == Algorithms.Encr.AES_GCM_16 ? "AES" : "ChaCha20");
        this.salt = Arrays.copyOfRange(keyMaterial, keyLength, keyMaterial.length);
        this.firstIv = firstIv;
    }

    @Override
    public int ivLength() {
        return IV_LENGTH;
    }

    @Override
    public int icvLength() {
        return ICV_LENGTH;
    }

    @Override
    public int padTo() {
        return 1;
    }

    @Override
    public void seal(byte[] msg, int ivOff) {
        int ptOff = ivOff + IV_LENGTH;
        int ptLen = msg.length - ICV_LENGTH - ptOff;
        if (ivOff < 0 || ptLen < 0) {
            throw new IllegalArgumentException("message too short for IV and ICV");
        }
        long count = sealed.getAndIncrement();
        if (count < 0) {
            throw new IllegalStateException("IV space of this key is exhausted; rekey");
        }
        long iv = firstIv + count;
        for (int i = 0; i < IV_LENGTH; i++) {
            msg[ivOff + i] = (byte) (iv >>> (56 - 8 * i));
        }
        try {
            Cipher cipher = cipher(Cipher.ENCRYPT_MODE, msg, ivOff);
            cipher.updateAAD(msg, 0, ivOff);
            cipher.doFinal(msg, ptOff, ptLen, msg, ptOff); // writes ciphertext and then the ICV, in place
            spare.set(cipher);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(encr + " encryption failed", e);
        }
    }

    @Override
    public byte[] open(byte[] msg, int ivOff) throws AEADBadTagException {
        int ctOff = ivOff + IV_LENGTH;
        if (ivOff < 0 || msg.length - ctOff < ICV_LENGTH) {
            throw new AEADBadTagException("encrypted payload too short for IV and ICV");
        }
        try {
            Cipher cipher = cipher(Cipher.DECRYPT_MODE, msg, ivOff);
            cipher.updateAAD(msg, 0, ivOff);
            byte[] plain = cipher.doFinal(msg, ctOff, msg.length - ctOff);
            spare.set(cipher);
            return plain;
        } catch (AEADBadTagException e) {
            throw new AEADBadTagException(encr + " ICV does not verify");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(encr + " decryption failed", e);
        }
    }

    private Cipher cipher(int mode, byte[] msg, int ivOff) throws GeneralSecurityException {
        byte[] nonce = new byte[SALT_LENGTH + IV_LENGTH];
        System.arraycopy(salt, 0, nonce, 0, SALT_LENGTH);
        System.arraycopy(msg, ivOff, nonce, SALT_LENGTH, IV_LENGTH);
        AlgorithmParameterSpec params;
        Cipher cipher;
        boolean gcm = encr == Algorithms.Encr.AES_GCM_16;
        cipher = spare.getAndSet(null);
        if (cipher == null) {
            cipher = JcaCiphers.get(gcm ? "AES/GCM/NoPadding" : "ChaCha20-Poly1305");
        }
        params = gcm ? new GCMParameterSpec(ICV_LENGTH * 8, nonce) : new IvParameterSpec(nonce);
        cipher.init(mode, key, params);
        return cipher;
    }

    @Override
    public String toString() {
        return "AeadSkCipher[" + encr + ", key redacted]";
    }
}
