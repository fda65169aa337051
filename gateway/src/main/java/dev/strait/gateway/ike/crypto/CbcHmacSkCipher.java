package dev.strait.gateway.ike.crypto;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.engines.CamelliaEngine;
import org.bouncycastle.crypto.modes.CBCBlockCipher;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;

/**
 * AES-CBC (JCA) or Camellia-CBC (BouncyCastle; the JDK has no Camellia) with HMAC-SHA2 truncated per RFC 4868.
 * Random IV per message; the ICV covers everything from the IKE header to the end of the ciphertext
 * (RFC 7296 section 3.14). Cipher and Mac objects are made per call, so any thread may seal or open.
 */
final class CbcHmacSkCipher implements SkCipher {
    private static final int BLOCK = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Algorithms.Encr encr;
    private final Algorithms.Integ integ;
    private final byte[] encKey;
    private final HmacPrf.MacFactory macs;
    private final byte[] integKey;

    CbcHmacSkCipher(Algorithms.Encr encr, int keyBits, Algorithms.Integ integ, byte[] encKey, byte[] integKey) {
        if (integ == null) {
            throw new IllegalArgumentException(encr + " needs an integrity algorithm");
        }
        if (encKey == null || encKey.length != keyBits / 8) {
            throw new IllegalArgumentException(encr + " with " + keyBits + "-bit keys needs " + keyBits / 8
                    + " bytes of key material");
        }
        if (integKey == null || integKey.length != integ.keyLength) {
            throw new IllegalArgumentException(integ + " needs a " + integ.keyLength + "-byte key");
        }
        this.encr = encr;
        this.integ = integ;
        this.encKey = encKey.clone();
        this.integKey = integKey.clone();
        this.macs = new HmacPrf.MacFactory(integ.jcaName);
    }

    @Override
    public int ivLength() {
        return BLOCK;
    }

    @Override
    public int icvLength() {
        return integ.icvLength;
    }

    @Override
    public int padTo() {
        return BLOCK;
    }

    @Override
    public void seal(byte[] msg, int ivOff) {
        int ptOff = ivOff + BLOCK;
        int ptLen = msg.length - integ.icvLength - ptOff;
        if (ivOff < 0 || ptLen <= 0 || ptLen % BLOCK != 0) {
            throw new IllegalArgumentException("padded plaintext length " + ptLen + " is not a positive multiple of "
                    + BLOCK);
        }
        byte[] iv = new byte[BLOCK];
        RANDOM.nextBytes(iv);
        System.arraycopy(iv, 0, msg, ivOff, BLOCK);
        crypt(true, iv, msg, ptOff, ptLen, msg, ptOff);
        byte[] icv = icv(msg, msg.length - integ.icvLength);
        System.arraycopy(icv, 0, msg, msg.length - icv.length, icv.length);
    }

    @Override
    public byte[] open(byte[] msg, int ivOff) throws AEADBadTagException {
        int ctOff = ivOff + BLOCK;
        int ctLen = msg.length - integ.icvLength - ctOff;
        if (ivOff < 0 || ctLen <= 0 || ctLen % BLOCK != 0) {
            throw new AEADBadTagException("encrypted payload length " + ctLen + " is not a positive multiple of "
                    + BLOCK);
        }
        byte[] expected = icv(msg, msg.length - integ.icvLength);
        byte[] received = Arrays.copyOfRange(msg, msg.length - integ.icvLength, msg.length);
        if (!MessageDigest.isEqual(expected, received)) {
            throw new AEADBadTagException(integ + " ICV does not verify");
        }
        byte[] plaintext = new byte[ctLen];
        crypt(false, Arrays.copyOfRange(msg, ivOff, ctOff), msg, ctOff, ctLen, plaintext, 0);
        return plaintext;
    }

    /** The truncated HMAC over msg[0, length). */
    byte[] icv(byte[] msg, int length) {
        return truncatedHmac(macs, integ, integKey, msg, length);
    }

    static byte[] truncatedHmac(HmacPrf.MacFactory macs, Algorithms.Integ integ, byte[] key, byte[] data, int length) {
        Mac mac = macs.init(key);
        mac.update(data, 0, length);
        return Arrays.copyOf(mac.doFinal(), integ.icvLength);
    }

    private void crypt(boolean encrypt, byte[] iv, byte[] in, int inOff, int len, byte[] out, int outOff) {
        if (encr == Algorithms.Encr.AES_CBC) {
            try {
                Cipher cipher = JcaCiphers.get("AES/CBC/NoPadding");
                cipher.init(encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, new SecretKeySpec(encKey, "AES"),
                        new IvParameterSpec(iv));
                cipher.doFinal(in, inOff, len, out, outOff);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-CBC failed", e);
            }
        } else {
            BlockCipher cbc = CBCBlockCipher.newInstance(new CamelliaEngine());
            cbc.init(encrypt, new ParametersWithIV(new KeyParameter(encKey), iv));
            for (int i = 0; i < len; i += BLOCK) {
                cbc.processBlock(in, inOff + i, out, outOff + i);
            }
        }
    }

    @Override
    public String toString() {
        return "CbcHmacSkCipher[" + encr + ", " + integ + ", keys redacted]";
    }
}
