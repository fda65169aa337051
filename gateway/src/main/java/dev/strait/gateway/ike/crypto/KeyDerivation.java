package dev.strait.gateway.ike.crypto;

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

    /** SKEYSEED = prf(Ni | Nr, g^ir) then prf+(SKEYSEED, Ni | Nr | SPIi | SPIr). */
    public static IkeKeys ikeSaKeys(PrfFunction prf, byte[] ni, byte[] nr, byte[] sharedSecret, long spiI, long spiR,
                                    int encKeyLength, int integKeyLength) {
        throw new UnsupportedOperationException("crypto: to be implemented");
    }

    /** IKE SA rekey (section 2.18): SKEYSEED = prf(SK_d(old), g^ir(new) | Ni | Nr). */
    public static IkeKeys rekeyedIkeSaKeys(PrfFunction oldPrf, byte[] oldSkD, PrfFunction newPrf, byte[] ni, byte[] nr,
                                           byte[] sharedSecret, long spiI, long spiR, int encKeyLength, int integKeyLength) {
        throw new UnsupportedOperationException("crypto: to be implemented");
    }

    /** RFC 9370 section 2.2.2: after each additional key exchange, the IKE keys are updated from SK_d. */
    public static IkeKeys additionalKeyUpdate(PrfFunction prf, byte[] skD, byte[] sharedSecret, byte[] ni, byte[] nr,
                                             long spiI, long spiR, int encKeyLength, int integKeyLength) {
        throw new UnsupportedOperationException("crypto: to be implemented");
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
        throw new UnsupportedOperationException("crypto: to be implemented");
    }
}
