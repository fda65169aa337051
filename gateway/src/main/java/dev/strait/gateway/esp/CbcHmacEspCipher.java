package dev.strait.gateway.esp;

import dev.strait.gateway.ike.crypto.Algorithms;
import dev.strait.gateway.wire.BigEndian;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-CBC (RFC 3602) with HMAC-SHA2 truncated to half the hash (RFC 4868). The ICV covers SPI, seq, IV and
 * ciphertext, plus seq-hi appended (not sent) with ESN (RFC 4303 section 2.2.1). CBC needs unpredictable IVs:
 * each is AES-ECB of the sequence number under a random per-SA key, unpredictable without a random draw per packet.
 */
final class CbcHmacEspCipher implements EspCipher {
    private final Cipher cipher;
    private final SecretKeySpec key;
    private final Cipher ivGen;
    private final Mac mac;
    private final int icvLength;
    private final byte[] ivBlock = new byte[16];
    private final byte[] macOut;
    private final byte[] icvIn;
    private final byte[] icvComputed;
    private final byte[] seqHi = new byte[4];

    CbcHmacEspCipher(int keyBits, Algorithms.Integ integ, byte[] encKey, byte[] integKey)
            throws GeneralSecurityException {
        if (integ == null) {
            throw new IllegalArgumentException("AES-CBC needs an integrity algorithm");
        }
        if (integ == Algorithms.Integ.HMAC_SHA1_96) {
            throw new IllegalArgumentException("ESP integrity HMAC-SHA1-96 is legacy and refused; use HMAC-SHA2");
        }
        if (keyBits != 128 && keyBits != 192 && keyBits != 256) {
            throw new IllegalArgumentException("AES-CBC key size must be 128, 192 or 256 bits, not " + keyBits);
        }
        if (encKey == null || encKey.length != keyBits / 8) {
            throw new IllegalArgumentException("AES-CBC-" + keyBits + " needs a " + keyBits / 8 + "-byte key");
        }
        if (integKey == null || integKey.length != integ.keyLength) {
            throw new IllegalArgumentException(integ + " needs a " + integ.keyLength + "-byte key");
        }
        key = new SecretKeySpec(encKey, "AES");
        cipher = Cipher.getInstance("AES/CBC/NoPadding");
        mac = Mac.getInstance(integ.jcaName);
        mac.init(new SecretKeySpec(integKey, integ.jcaName));
        icvLength = integ.icvLength;
        macOut = new byte[mac.getMacLength()];
        icvIn = new byte[icvLength];
        icvComputed = new byte[icvLength];
        byte[] ivKey = new byte[16];
        new SecureRandom().nextBytes(ivKey);
        ivGen = Cipher.getInstance("AES/ECB/NoPadding");
        ivGen.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(ivKey, "AES"));
    }

    @Override
    public int ivLength() {
        return 16;
    }

    @Override
    public int icvLength() {
        return icvLength;
    }

    @Override
    public int align() {
        return 16;
    }

    @Override
    public int seal(long seq, boolean esn, byte[] out, int espOff, byte[] in, int inOff, int inLen, byte[] trailer,
                    int trailerLen) throws GeneralSecurityException {
        BigEndian.putLong(ivBlock, 0, seq);
        ivGen.doFinal(ivBlock, 0, 16, out, espOff + 8);
        cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(out, espOff + 8, 16));
        int ct = espOff + 24;
        int n = cipher.update(in, inOff, inLen, out, ct);
        n += cipher.doFinal(trailer, 0, trailerLen, out, ct + n);
        int authLen = 24 + n;
        computeMac(seq, esn, out, espOff, authLen);
        System.arraycopy(macOut, 0, out, espOff + authLen, icvLength);
        return authLen + icvLength;
    }

    @Override
    public int open(long seq, boolean esn, byte[] pkt, int espOff, int espLen, byte[] out, int outOff)
            throws GeneralSecurityException {
        int authLen = espLen - icvLength;
        computeMac(seq, esn, pkt, espOff, authLen);
        System.arraycopy(pkt, espOff + authLen, icvIn, 0, icvLength);
        System.arraycopy(macOut, 0, icvComputed, 0, icvLength);
        if (!MessageDigest.isEqual(icvComputed, icvIn)) {
            return -1;
        }
        cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(pkt, espOff + 8, 16));
        return cipher.doFinal(pkt, espOff + 24, authLen - 24, out, outOff);
    }

    private void computeMac(long seq, boolean esn, byte[] b, int off, int len) throws GeneralSecurityException {
        mac.update(b, off, len);
        if (esn) {
            BigEndian.putInt(seqHi, 0, (int) (seq >>> 32));
            mac.update(seqHi, 0, 4);
        }
        mac.doFinal(macOut, 0);
    }
}
