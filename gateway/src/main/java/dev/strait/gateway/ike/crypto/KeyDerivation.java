package dev.strait.gateway.ike.crypto;

import dev.strait.gateway.ike.message.WireBytes;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** SKEYSEED and the IKE SA / Child SA key material (RFC 7296 sections 2.13, 2.14, 2.17, 2.18; RFC 9370). */
public final class KeyDerivation {
    private KeyDerivation() {
    }

    /** The seven IKE SA keys in the order of section 2.14. */
    public record IkeKeys(byte[] skD, byte[] skAi, byte[] skAr, byte[] skEi, byte[] skEr, byte[] skPi, byte[] skPr) {
        @Override
        public String toString() {
            return "IkeKeys[redacted]";
        }
    }

    /**
     * SKEYSEED = prf(Ni | Nr, g^ir) then prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). encKeyLength includes the 4-byte salt
     * of AEAD ciphers; integKeyLength is 0 for AEAD. SK_d, SK_pi and SK_pr are as long as the PRF output.
     */
    public static IkeKeys ikeSaKeys(PrfFunction prf, byte[] ni, byte[] nr, byte[] sharedSecret, long spiI, long spiR,
                                    int encKeyLength, int integKeyLength) {
        Objects.requireNonNull(sharedSecret, "sharedSecret");
        // HMAC PRFs take the whole of Ni | Nr as key (section 2.14: only fixed-key PRFs truncate)
        byte[] skeyseed = prf.compute(Bytes.concat(ni, nr), sharedSecret);
        return expand(prf, skeyseed, ni, nr, spiI, spiR, encKeyLength, integKeyLength);
    }

    /**
     * IKE SA rekey (RFC 7296 section 2.18: SKEYSEED = prf(SK_d(old), g^ir(new) | Ni | Nr)), with RFC 9370 additional
     * key exchanges (section 2.2.4):
     * SKEYSEED = prf(SK_d(old), SK(0) | Ni | Nr | SK(1) | ... | SK(n)): the CREATE_CHILD_SA secret before the nonces,
     * those of the IKE_FOLLOWUP_KE exchanges after them, in exchange order (as strongSwan 6 does).
     */
    public static IkeKeys rekeyedIkeSaKeysFromSecrets(PrfFunction oldPrf, byte[] oldSkD, PrfFunction newPrf, byte[] ni,
                                           byte[] nr, List<byte[]> sharedSecrets, long spiI, long spiR, int encKeyLength,
                                           int integKeyLength) {
        if (sharedSecrets.isEmpty()) {
            throw new IllegalArgumentException("an IKE SA rekey needs at least one key exchange");
        }
        byte[] skeyseed = oldPrf.compute(oldSkD, rfc9370Seed(sharedSecrets, ni, nr));
        return expand(newPrf, skeyseed, ni, nr, spiI, spiR, encKeyLength, integKeyLength);
    }

    /** RFC 9370 section 2.2.2: after each additional key exchange, the IKE keys are updated from SK_d. */
    public static IkeKeys additionalKeyUpdate(PrfFunction prf, byte[] skD, byte[] sharedSecret, byte[] ni, byte[] nr,
                                             long spiI, long spiR, int encKeyLength, int integKeyLength) {
        // SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr) with the IKE_SA_INIT nonces and SPIs
        Objects.requireNonNull(sharedSecret, "sharedSecret");
        byte[] skeyseed = prf.compute(skD, sharedSecret, ni, nr);
        return expand(prf, skeyseed, ni, nr, spiI, spiR, encKeyLength, integKeyLength);
    }

    /**
     * Child SA key material (section 2.17): KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), split as
     * initiator-to-responder encryption, integrity, then responder-to-initiator encryption, integrity.
     * sharedSecret may be null (no PFS).
     */
    public record ChildKeys(byte[] encI, byte[] integI, byte[] encR, byte[] integR) {
        @Override
        public String toString() {
            return "ChildKeys[redacted]";
        }
    }

    public static ChildKeys childSaKeys(PrfFunction prf, byte[] skD, byte[] sharedSecret, byte[] ni, byte[] nr,
                                        int encKeyLength, int integKeyLength) {
        return childSaKeysFromSecrets(prf, skD, sharedSecret == null ? List.of() : List.of(sharedSecret), ni, nr,
                encKeyLength, integKeyLength);
    }

    /**
     * Child SA key material with any number of key exchanges (RFC 9370 section 2.2.4):
     * KEYMAT = prf+(SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n)). An empty list means no PFS: prf+(SK_d, Ni | Nr).
     */
    public static ChildKeys childSaKeysFromSecrets(PrfFunction prf, byte[] skD, List<byte[]> sharedSecrets, byte[] ni,
                                                   byte[] nr, int encKeyLength, int integKeyLength) {
        byte[] seed = rfc9370Seed(sharedSecrets, ni, nr);
        byte[] keymat = prf.plus(skD, seed, 2 * (encKeyLength + integKeyLength));
        Splitter split = new Splitter(keymat);
        byte[] encI = split.next(encKeyLength);
        byte[] integI = split.next(integKeyLength);
        byte[] encR = split.next(encKeyLength);
        byte[] integR = split.next(integKeyLength);
        Arrays.fill(keymat, (byte) 0);
        return new ChildKeys(encI, integI, encR, integR);
    }

    /** SK(0) | Ni | Nr | SK(1) | ... | SK(n); with a single key exchange the RFC 7296 g^ir | Ni | Nr. */
    private static byte[] rfc9370Seed(List<byte[]> sharedSecrets, byte[] ni, byte[] nr) {
        if (sharedSecrets.isEmpty()) {
            return Bytes.concat(ni, nr);
        }
        byte[][] parts = new byte[sharedSecrets.size() + 2][];
        parts[0] = sharedSecrets.getFirst();
        parts[1] = ni;
        parts[2] = nr;
        for (int i = 1; i < sharedSecrets.size(); i++) {
            parts[i + 2] = sharedSecrets.get(i);
        }
        return Bytes.concat(parts);
    }

    /** {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
    private static IkeKeys expand(PrfFunction prf, byte[] skeyseed, byte[] ni, byte[] nr, long spiI, long spiR,
                                  int encKeyLength, int integKeyLength) {
        if (encKeyLength <= 0 || integKeyLength < 0) {
            throw new IllegalArgumentException("key lengths must be positive (integrity may be 0 for AEAD)");
        }
        int prfLength = prf.algorithm().outputLength;
        byte[] seed = Bytes.concat(ni, nr, WireBytes.u64(spiI), WireBytes.u64(spiR));
        byte[] keymat = prf.plus(skeyseed, seed, 3 * prfLength + 2 * integKeyLength + 2 * encKeyLength);
        Arrays.fill(skeyseed, (byte) 0);
        Splitter split = new Splitter(keymat);
        IkeKeys keys = new IkeKeys(split.next(prfLength), split.next(integKeyLength), split.next(integKeyLength),
                split.next(encKeyLength), split.next(encKeyLength), split.next(prfLength), split.next(prfLength));
        Arrays.fill(keymat, (byte) 0);
        return keys;
    }

    private static final class Splitter {
        private final byte[] source;
        private int off;

        Splitter(byte[] source) {
            this.source = source;
        }

        byte[] next(int length) {
            byte[] out = Arrays.copyOfRange(source, off, off + length);
            off += length;
            return out;
        }
    }
}
