package dev.strait.gateway.esp;

import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.wire.BigEndian;
import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-GCM with a 16-byte ICV (RFC 4106) and ChaCha20-Poly1305 (RFC 7634): nonce = salt(4) || IV(8), the IV being
 * the 64-bit sequence number (unique per SA, so never reused under one key); AAD = SPI || seq, or
 * SPI || seq-hi || seq-lo with ESN.
 */
final class AeadEspCipher implements EspCipher {
    private static final int ICV = 16;

    private final boolean gcm;
    private final Cipher cipher;
    private final SecretKeySpec key;
    private final byte[] nonce = new byte[12];
    private final byte[] aad = new byte[12];

    AeadEspCipher(Algorithms.Encr encr, int keyBits, byte[] keyMaterial) throws GeneralSecurityException {
        gcm = encr == Algorithms.Encr.AES_GCM_16;
        int keyLen = gcm ? keyBits / 8 : 32;
        if (gcm && keyBits != 128 && keyBits != 256 && keyBits != 192) {
            throw new IllegalArgumentException("AES-GCM key size must be 128, 192 or 256 bits, not " + keyBits);
        }
        if (keyMaterial == null || keyMaterial.length != keyLen + 4) {
            throw new IllegalArgumentException(encr + " needs " + (keyLen + 4) + " bytes of key material (key + salt), got "
                    + (keyMaterial == null ? 0 : keyMaterial.length));
        }
        key = new SecretKeySpec(keyMaterial, 0, keyLen, gcm ? "AES" : "ChaCha20");
        System.arraycopy(keyMaterial, keyLen, nonce, 0, 4);
        cipher = Cipher.getInstance(gcm ? "AES/GCM/NoPadding" : "ChaCha20-Poly1305");
    }

    @Override
    public int ivLength() {
        return 8;
    }

    @Override
    public int icvLength() {
        return ICV;
    }

    @Override
    public int align() {
        return 4;
    }

    /** Inits the cipher for one packet: nonce from iv, AAD from the SPI and the (extended) sequence number. */
    private void prepare(int mode, long iv, long seq, boolean esn, byte[] esp, int espOff)
            throws GeneralSecurityException {
        BigEndian.putLong(nonce, 4, iv);
        AlgorithmParameterSpec spec = gcm ? new GCMParameterSpec(ICV * 8, nonce) : new IvParameterSpec(nonce);
        cipher.init(mode, key, spec);
        System.arraycopy(esp, espOff, aad, 0, 4);
        if (esn) {
            BigEndian.putLong(aad, 4, seq);
            cipher.updateAAD(aad, 0, 12);
        } else {
            System.arraycopy(esp, espOff + 4, aad, 4, 4);
            cipher.updateAAD(aad, 0, 8);
        }
    }

    @Override
    public int seal(long seq, boolean esn, byte[] out, int espOff, byte[] in, int inOff, int inLen, byte[] trailer,
                    int trailerLen) throws GeneralSecurityException {
        prepare(Cipher.ENCRYPT_MODE, seq, seq, esn, out, espOff);
        BigEndian.putLong(out, espOff + 8, seq);
        int ct = espOff + 16;
        int n = cipher.update(in, inOff, inLen, out, ct);
        n += cipher.doFinal(trailer, 0, trailerLen, out, ct + n);
        return 16 + n;
    }

    @Override
    public int open(long seq, boolean esn, byte[] pkt, int espOff, int espLen, byte[] out, int outOff)
            throws GeneralSecurityException {
        // The nonce uses the IV as sent: it equals the sequence number for our peers, but the RFC lets senders
        // choose any unique IV, so read it from the packet.
        long iv = BigEndian.getLong(pkt, espOff + 8);
        prepare(Cipher.DECRYPT_MODE, iv, seq, esn, pkt, espOff);
        try {
            return cipher.doFinal(pkt, espOff + 16, espLen - 16, out, outOff);
        } catch (AEADBadTagException e) {
            return -1;
        }
    }
}
