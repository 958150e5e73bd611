import Crypto

extension Roster {
    /// SHA-256 over every module's public key in id order, hex: names the
    /// deployment a run trace was made in, so that the oracle refuses keys
    /// of another deployment instead of reporting their frames as forged.
    public var fingerprint: String {
        var h = SHA256()
        for p in peers { h.update(data: p.publicKey) }
        return Bytes.hex(Array(h.finalize()))
    }
}
