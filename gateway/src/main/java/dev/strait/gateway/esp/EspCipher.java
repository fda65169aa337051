package dev.strait.gateway.esp;

import dev.strait.gateway.ike.crypto.Algorithms;
import java.security.GeneralSecurityException;

/**
 * ESP payload protection for one direction of one SA. Instances hold JCA Cipher/Mac objects and scratch space,
 * so one instance belongs to one thread. Layout of an ESP packet at espOff:
 * SPI(4) | seq(4) | IV(ivLength) | ciphertext | ICV(icvLength).
 */
public sealed interface EspCipher permits AeadEspCipher, CbcHmacEspCipher {

    static EspCipher create(Algorithms.Encr encr, int keyBits, Algorithms.Integ integ, byte[] encKey,
                            byte[] integKey) {
        try {
            return switch (encr) {
                case AES_GCM_16, CHACHA20_POLY1305 -> {
                    if (integ != null) {
                        throw new IllegalArgumentException(encr + " is AEAD and takes no integrity algorithm");
                    }
                    yield new AeadEspCipher(encr, keyBits, encKey);
                }
                case AES_CBC -> new CbcHmacEspCipher(keyBits, integ, encKey, integKey);
                default -> throw new IllegalArgumentException("ESP encryption " + encr + " is not supported");
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JCA lacks " + encr + ": " + e.getMessage(), e);
        }
    }

    int ivLength();

    int icvLength();

    /** The plaintext (payload, padding, pad length, next header) must be a multiple of this. */
    int align();

    /**
     * Encrypts payload followed by trailer into out; SPI and seq must already be at out[espOff, espOff+8).
     * @param seq the full 64-bit sequence number (its low half is on the wire)
     * @return the whole ESP packet length
     */
    int seal(long seq, boolean esn, byte[] out, int espOff, byte[] in, int inOff, int inLen, byte[] trailer,
             int trailerLen) throws GeneralSecurityException;

    /**
     * Verifies and decrypts the ESP packet pkt[espOff, espOff+espLen) into out[outOff..].
     * @return the plaintext length (payload with padding and trailer), or -1 when the ICV does not verify
     */
    int open(long seq, boolean esn, byte[] pkt, int espOff, int espLen, byte[] out, int outOff)
            throws GeneralSecurityException;
}
