package dev.strait.gateway.ike.crypto;

import javax.crypto.AEADBadTagException;

/**
 * Protection of the IKE SK/SKF payload for one direction (RFC 7296 section 3.14; AEAD per RFC 5282 / RFC 7634).
 * Plaintext passed in already carries its padding and pad-length byte; {@link #padTo()} says the block size.
 */
public interface SkCipher {
    /**
     * @param encKey encryption key material (for AEAD: key || 4-byte salt)
     * @param integKey integrity key (empty / null for AEAD)
     */
    static SkCipher of(Algorithms.Encr encr, int keyBits, Algorithms.Integ integ, byte[] encKey, byte[] integKey) {
        checkKeyBits(encr, keyBits);
        if (encr.aead) {
            if (integ != null) {
                throw new IllegalArgumentException(encr + " is an AEAD cipher and takes no integrity algorithm");
            }
            return new AeadSkCipher(encr, keyBits, encKey, 0);
        }
        return new CbcHmacSkCipher(encr, keyBits, integ, encKey, integKey);
    }

    private static void checkKeyBits(Algorithms.Encr encr, int keyBits) {
        boolean ok = encr == Algorithms.Encr.CHACHA20_POLY1305 ? keyBits == 256
                : keyBits == 128 || keyBits == 192 || keyBits == 256;
        if (!ok) {
            throw new IllegalArgumentException(encr + " does not support " + keyBits + "-bit keys");
        }
    }

    int ivLength();

    int icvLength();

    /** Block size the padded plaintext length must be a multiple of (1 for stream/AEAD). */
    int padTo();

    /**
     * Thread-safe. Encrypts in place within msg: msg[0, ivOff) is the associated data (IKE header and everything up to and
     * including the SK payload header); the IV goes to msg[ivOff, ivOff+ivLength), the plaintext is at
     * msg[ivOff+ivLength, msg.length-icvLength) and is replaced by ciphertext; the ICV fills the last icvLength bytes.
     * For CBC + HMAC the ICV covers msg[0, msg.length-icvLength) as section 3.14 requires.
     */
    void seal(byte[] msg, int ivOff);

    /**
     * Verifies and decrypts msg laid out as for seal(); returns the plaintext (with padding still attached).
     * @throws AEADBadTagException when the ICV does not verify (compared in constant time), or the encrypted part is
     *         too short / not a whole number of blocks
     */
    byte[] open(byte[] msg, int ivOff) throws AEADBadTagException;
}
