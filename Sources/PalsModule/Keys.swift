import Crypto
import PalsCore

/// One module's long-term X25519 key pair (seed §7: a key personalised into
/// the security module; it never leaves it).
public struct ModuleKey: Sendable {
    /// The `schema` field of a key file.
    public static let schemaID = "trustedpals/module-key/v1"
    /// The process the key belongs to: the module of `p_id`, its index in the roster.
    public let id: Int
    /// The raw 32-byte X25519 private key.
    let raw: [UInt8]

    /// The key of module `p_id` from an X25519 private key.
    public init(id: Int, privateKey: Curve25519.KeyAgreement.PrivateKey) {
        self.id = id
        self.raw = Array(privateKey.rawRepresentation)
    }

    /// The X25519 private key, for key agreement with the roster's public keys.
    public var privateKey: Curve25519.KeyAgreement.PrivateKey {
        // `raw` came from a key or was validated on construction.
        guard let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw) else {
            preconditionFailure("Invalid state: a module key of \(raw.count) bytes")
        }
        return key
    }

    /// A fresh random key.
    public static func generate(id: Int) -> ModuleKey {
        ModuleKey(id: id, privateKey: Curve25519.KeyAgreement.PrivateKey())
    }

    /// The raw 32-byte X25519 public key, as the roster lists it.
    public var publicKey: [UInt8] { Array(privateKey.publicKey.rawRepresentation) }

    /// The key file's JSON: schema, id, and the private key in hex.
    public var json: JSON {
        .object([
            ("schema", .string(Self.schemaID)),
            ("id", .int(id)),
            ("privateKey", .string(Bytes.hex(raw))),
        ])
    }

    /// Reads a key file (`trustedpals/module-key/v1`).
    /// - Throws: `unsupportedSchema` for another schema; `malformedFile` for an id outside 0..<64 or a private
    ///   key that is not 32 bytes of hex.
    public static func parse(_ text: String) throws(PalsError) -> ModuleKey {
        let json = try JSON.parse(text)
        guard json["schema"]?.stringValue == schemaID else {
            throw PalsError(.unsupportedSchema, "key file: expected \"schema\": \"\(schemaID)\"")
        }
        guard let id = json["id"]?.intValue, id >= 0, id < ProcessSet.maxProcesses else {
            throw PalsError(.malformedFile, "key file: \"id\" must be an integer in 0..<\(ProcessSet.maxProcesses)")
        }
        guard let hex = json["privateKey"]?.stringValue else {
            throw PalsError(.malformedFile, "key file: missing \"privateKey\" (hex)")
        }
        let raw = try Bytes.fromHex(hex, what: "key file privateKey")
        guard raw.count == 32, let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw) else {
            throw PalsError(
                .malformedFile, "key file: \"privateKey\" must be 32 bytes (64 hex digits), got \(raw.count)")
        }
        return ModuleKey(id: id, privateKey: key)
    }
}

/// The roster every module is personalised with: every module's public key
/// and where its host listens.
public struct Roster: Sendable, Equatable {
    /// The `schema` field of a roster file.
    public static let schemaID = "trustedpals/roster/v1"

    /// One module of the roster and its host.
    public struct Peer: Sendable, Equatable {
        /// The module's process number; the roster lists peers by id 0, 1, ….
        public var id: Int
        /// The module's raw 32-byte X25519 public key.
        public var publicKey: [UInt8]
        /// `host:port` of the peer's host, if known.
        public var address: String?
        /// The public key of the peer's host (P-256, 65 bytes uncompressed),
        /// pinned for its TLS channels.
        public var hostKey: [UInt8]?

        /// A roster entry; `Roster.init(peers:)` validates the keys.
        public init(id: Int, publicKey: [UInt8], address: String?, hostKey: [UInt8]? = nil) {
            self.id = id
            self.publicKey = publicKey
            self.address = address
            self.hostKey = hostKey
        }
    }

    /// The peers, `peers[i]` for `p_i`.
    public var peers: [Peer]

    /// A roster of 1…64 peers, validated.
    /// - Throws: `malformedFile` when the peers are not listed by id 0, 1, …, a public key is not a 32-byte
    ///   X25519 key, or a host key is not a P-256 point.
    public init(peers: [Peer]) throws(PalsError) {
        guard !peers.isEmpty, peers.count <= ProcessSet.maxProcesses else {
            throw PalsError(.malformedFile, "roster: needs 1…\(ProcessSet.maxProcesses) peers, got \(peers.count)")
        }
        for (k, p) in peers.enumerated() {
            guard p.id == k else {
                throw PalsError(.malformedFile, "roster: peers must be listed by id 0, 1, …; entry \(k) has id \(p.id)")
            }
            guard p.publicKey.count == 32,
                (try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: p.publicKey)) != nil
            else {
                throw PalsError(
                    .malformedFile, "roster: peer \(k) has a public key of \(p.publicKey.count) bytes; need 32")
            }
            if let h = p.hostKey, (try? P256.Signing.PublicKey(x963Representation: h)) == nil {
                throw PalsError(
                    .malformedFile, "roster: peer \(k) has a host key of \(h.count) bytes that is not a P-256 point")
            }
        }
        self.peers = peers
    }

    /// The number of modules n.
    public var n: Int { peers.count }

    /// The roster file's JSON: schema, n, and per peer its id, public key, address and host key (hex), the
    /// last two when known.
    public var json: JSON {
        .object([
            ("schema", .string(Self.schemaID)),
            ("n", .int(n)),
            (
                "peers",
                .array(
                    peers.map { p in
                        var fields: [(String, JSON)] = [
                            ("id", .int(p.id)), ("publicKey", .string(Bytes.hex(p.publicKey))),
                        ]
                        if let a = p.address { fields.append(("address", .string(a))) }
                        if let h = p.hostKey { fields.append(("hostKey", .string(Bytes.hex(h)))) }
                        return .object(fields)
                    })
            ),
        ])
    }

    /// Reads a roster file (`trustedpals/roster/v1`); an `n` field, when present, must match the peers.
    /// - Throws: `unsupportedSchema` for another schema, `malformedFile` (or `invalidArgument` for an
    ///   address that is not `host:port`) naming the bad entry.
    public static func parse(_ text: String) throws(PalsError) -> Roster {
        let json = try JSON.parse(text)
        guard json["schema"]?.stringValue == schemaID else {
            throw PalsError(.unsupportedSchema, "roster: expected \"schema\": \"\(schemaID)\"")
        }
        guard let list = json["peers"]?.arrayValue else {
            throw PalsError(.malformedFile, "roster: missing array \"peers\"")
        }
        if let n = json["n"]?.intValue, n != list.count {
            throw PalsError(.malformedFile, "roster: \"n\" is \(n) but \(list.count) peers are listed")
        }
        var peers: [Peer] = []
        for (k, entry) in list.enumerated() {
            guard let id = entry["id"]?.intValue else {
                throw PalsError(.malformedFile, "roster: peer entry \(k) lacks an integer \"id\"")
            }
            guard let hex = entry["publicKey"]?.stringValue else {
                throw PalsError(.malformedFile, "roster: peer \(id) lacks \"publicKey\" (hex)")
            }
            let key = try Bytes.fromHex(hex, what: "roster peer \(id) publicKey")
            var address: String?
            if let a = entry["address"] {
                guard let s = a.stringValue else {
                    throw PalsError(.malformedFile, "roster: peer \(id) \"address\" must be a string host:port")
                }
                _ = try HostPort.parse(s)
                address = s
            }
            var hostKey: [UInt8]?
            if let h = entry["hostKey"] {
                guard let hex = h.stringValue else {
                    throw PalsError(.malformedFile, "roster: peer \(id) \"hostKey\" must be a hex string")
                }
                hostKey = try Bytes.fromHex(hex, what: "roster peer \(id) hostKey")
            }
            peers.append(Peer(id: id, publicKey: key, address: address, hostKey: hostKey))
        }
        return try Roster(peers: peers)
    }
}

/// A `host:port` address.
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    /// The host name or IP address (may contain colons: the port follows the last one).
    public var host: String
    /// The TCP port, 0…65535.
    public var port: Int

    /// An address from its host and port, unchecked.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Reads `host:port`, splitting at the last colon.
    /// - Throws: `invalidArgument` for an empty host or a port outside 0…65535.
    public static func parse(_ text: String) throws(PalsError) -> HostPort {
        guard let colon = text.lastIndex(of: ":") else {
            throw PalsError(.invalidArgument, "address \"\(text)\": expected host:port")
        }
        let host = String(text[..<colon])
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), port >= 0, port <= 65535 else {
            throw PalsError(.invalidArgument, "address \"\(text)\": expected host:port with a port in 0…65535")
        }
        return HostPort(host: host, port: port)
    }

    /// `host:port`.
    public var description: String { "\(host):\(port)" }
}

/// The X25519 shared secret of one module with every module of the roster
/// (itself included), computed once per key and roster.
public struct PairSecrets {
    /// The process number of the module whose secrets these are.
    public let me: Int
    let secrets: [SharedSecret]

    /// Agrees `key` with every public key of `roster`.
    /// - Throws: `invalidArgument` when `key` is not the roster's key for its id.
    public init(key: ModuleKey, roster: Roster) throws(PalsError) {
        guard key.id < roster.n else {
            throw PalsError(.invalidArgument, "key id \(key.id) is not in the roster (n = \(roster.n))")
        }
        guard roster.peers[key.id].publicKey == key.publicKey else {
            throw PalsError(.invalidArgument, "the roster's public key for p\(key.id) does not match the private key")
        }
        let privateKey = key.privateKey
        var secrets: [SharedSecret] = []
        secrets.reserveCapacity(roster.n)
        for peer in roster.peers {
            do {
                let other = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: peer.publicKey)
                secrets.append(try privateKey.sharedSecretFromKeyAgreement(with: other))
            } catch {
                throw PalsError(.malformedFile, "roster: key agreement with peer \(peer.id) failed (\(error))")
            }
        }
        self.me = key.id
        self.secrets = secrets
    }
}

/// The per-pair, per-session channel keys of one module (DESIGN §5): for the
/// pair {i, j}, HKDF-SHA256 over the X25519 shared secret of i and j, salted
/// with the session id, with the instance name and both ids in the info
/// string. The pair's two directions share the key; the nonce tells them apart.
public struct ChannelKeys {
    /// The process number of the module whose keys these are.
    public let me: Int
    /// The session every key is derived for.
    public let session: SessionID
    let keys: [SymmetricKey]

    /// - Parameter instance: the protocol instance's name (`ModuleCodec.instanceName`),
    ///   bound into every key so that modules running different instances
    ///   never accept each other's frames.
    public init(secrets: PairSecrets, session: SessionID, instance: String) {
        let me = secrets.me
        self.me = me
        self.session = session
        self.keys = secrets.secrets.enumerated().map { j, secret in
            var info = Array("trustedpals/v1 channel ".utf8) + Array(instance.utf8)
            Bytes.append(UInt16(min(me, j)), to: &info)
            Bytes.append(UInt16(max(me, j)), to: &info)
            return secret.hkdfDerivedSymmetricKey(
                using: SHA256.self, salt: session.bytes, sharedInfo: info, outputByteCount: 32)
        }
    }

    /// The key of the channel between this module and `peer`.
    public func key(with peer: Int) -> SymmetricKey { keys[peer] }
}

/// A session identifier: 8 bytes, fresh per protocol instance, bound into
/// every frame's key, nonce and associated data.
public struct SessionID: Sendable, Hashable, CustomStringConvertible {
    /// The 8 bytes, as they appear in frame headers.
    public let bytes: [UInt8]

    /// A session id from exactly 8 bytes.
    /// - Throws: `invalidArgument` for any other length.
    public init(bytes: [UInt8]) throws(PalsError) {
        guard bytes.count == 8 else {
            throw PalsError(.invalidArgument, "a session id is 8 bytes (16 hex digits), got \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// The session id whose 8 bytes are `value` big-endian.
    public init(_ value: UInt64) {
        var b: [UInt8] = []
        Bytes.append(value, to: &b)
        self.bytes = b
    }

    /// Reads a session id from 16 hex digits.
    /// - Throws: `malformedFile` for text that is not hex, `invalidArgument` for another length.
    public static func parse(_ hex: String) throws(PalsError) -> SessionID {
        try SessionID(bytes: Bytes.fromHex(hex, what: "session id"))
    }

    /// A random session id.
    public static func random() -> SessionID {
        var g = SystemRandomNumberGenerator()
        return SessionID(g.next())
    }

    /// The 8 bytes as a big-endian integer.
    public var value: UInt64 {
        // `bytes` has exactly 8 bytes (checked by every initializer).
        guard let value = Bytes.read(UInt64.self, from: bytes, at: 0) else {
            preconditionFailure("Invalid state: a session id of \(bytes.count) bytes")
        }
        return value
    }
    /// The 16 lower-case hex digits.
    public var description: String { Bytes.hex(bytes) }
}
