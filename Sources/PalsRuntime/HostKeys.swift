import Crypto
import Foundation
import NIOCore
import NIOSSL
import PalsCore
import PalsModule
import SwiftASN1
import X509

/// A host's long-term key (P-256), which authenticates its TLS channels
/// (DESIGN §5, "Authenticated host channels"; seed §2.1: reliable secure
/// channels). The roster pins every host's public key; the module's key is a
/// different one and never leaves the module.
public struct HostKey: Sendable {
    /// The `schema` of a host key file.
    public static let schemaID = "trustedpals/host-key/v1"
    /// The process whose host holds the key.
    public let id: Int
    /// The raw 32-byte P-256 private scalar.
    let raw: [UInt8]

    /// The key of host `id`.
    public init(id: Int, privateKey: P256.Signing.PrivateKey) {
        self.id = id
        self.raw = Array(privateKey.rawRepresentation)
    }

    /// A fresh random key.
    public static func generate(id: Int) -> HostKey {
        HostKey(id: id, privateKey: P256.Signing.PrivateKey())
    }

    var privateKey: P256.Signing.PrivateKey {
        // `raw` was checked when the key was made or parsed.
        guard let k = try? P256.Signing.PrivateKey(rawRepresentation: raw) else {
            preconditionFailure("Invalid host key bytes")
        }
        return k
    }

    /// The public key as the roster pins it (65 bytes, uncompressed point).
    public var publicKey: [UInt8] { Array(privateKey.publicKey.x963Representation) }

    /// The host key file: schema, id and the private scalar in hex (a secret; keep the file private).
    public var json: JSON {
        .object([("schema", .string(Self.schemaID)), ("id", .int(id)), ("privateKey", .string(Bytes.hex(raw)))])
    }

    /// Reads a host key file written from `json`.
    ///
    /// - Throws: `unsupportedSchema` for another schema; `malformedFile` naming the field that is missing or invalid.
    public static func parse(_ text: String) throws(PalsError) -> HostKey {
        let json = try JSON.parse(text)
        guard json["schema"]?.stringValue == schemaID else {
            throw PalsError(.unsupportedSchema, "host key file: expected \"schema\": \"\(schemaID)\"")
        }
        guard let id = json["id"]?.intValue, id >= 0, id < ProcessSet.maxProcesses else {
            throw PalsError(
                .malformedFile, "host key file: \"id\" must be an integer in 0..<\(ProcessSet.maxProcesses)")
        }
        guard let hex = json["privateKey"]?.stringValue else {
            throw PalsError(.malformedFile, "host key file: missing \"privateKey\" (hex)")
        }
        let raw = try Bytes.fromHex(hex, what: "host key file privateKey")
        guard raw.count == 32, let key = try? P256.Signing.PrivateKey(rawRepresentation: raw) else {
            throw PalsError(.malformedFile, "host key file: \"privateKey\" must be a P-256 scalar of 32 bytes")
        }
        return HostKey(id: id, privateKey: key)
    }
}

/// The TLS side of one host: its certificate (self-signed with its host
/// key, made at start-up) and the roster's pinned host keys. Mutual TLS 1.3:
/// a connection is accepted only from a peer presenting the pinned key of a
/// roster host other than this one; a connection to p_j only if the other
/// end presents p_j's pinned key. Nothing else about the certificate counts.
public struct HostTLS: Sendable {
    /// This host's process id.
    public let me: Int
    /// Per roster host, the SubjectPublicKeyInfo (DER) of its pinned key.
    let pins: [[UInt8]?]
    let server: NIOSSLContext
    let client: NIOSSLContext

    /// - Parameters:
    ///   - key: this host's key.
    ///   - pinned: every roster host's public key (65 bytes), nil where unknown.
    public init(key: HostKey, pinned: [[UInt8]?]) throws(PalsError) {
        guard key.id < pinned.count, pinned[key.id] == key.publicKey else {
            throw PalsError(.invalidArgument, "the roster's host key for p\(key.id) does not match this host's key")
        }
        var pins: [[UInt8]?] = []
        for (j, p) in pinned.enumerated() {
            guard let p else {
                pins.append(nil)
                continue
            }
            guard let k = try? P256.Signing.PublicKey(x963Representation: p) else {
                throw PalsError(.malformedFile, "roster: the host key of p\(j) is not a P-256 point")
            }
            pins.append(Array(k.derRepresentation))
        }
        do {
            let signing = key.privateKey
            let certKey = Certificate.PrivateKey(signing)
            let name = try DistinguishedName { CommonName("trustedpals host p\(key.id)") }
            let now = Date()
            let cert = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: certKey.publicKey,
                notValidBefore: now.addingTimeInterval(-86_400), notValidAfter: now.addingTimeInterval(86_400 * 3650),
                issuer: name, subject: name, extensions: Certificate.Extensions(),
                issuerPrivateKey: certKey)
            var der = DER.Serializer()
            try der.serialize(cert)
            let sslCert = try NIOSSLCertificate(bytes: der.serializedBytes, format: .der)
            let sslKey = try NIOSSLPrivateKey(bytes: Array(signing.derRepresentation), format: .der)
            var s = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(sslCert)], privateKey: .privateKey(sslKey))
            var c = TLSConfiguration.makeClientConfiguration()
            c.certificateChain = [.certificate(sslCert)]
            c.privateKey = .privateKey(sslKey)
            for k in [0, 1] {
                var t = k == 0 ? s : c
                t.minimumTLSVersion = .tlsv13
                t.maximumTLSVersion = .tlsv13
                t.certificateVerification = .noHostnameVerification
                t.trustRoots = .certificates([])
                t.shutdownTimeout = .milliseconds(200)
                if k == 0 { s = t } else { c = t }
            }
            self.server = try NIOSSLContext(configuration: s)
            self.client = try NIOSSLContext(configuration: c)
        } catch {
            throw PalsError(.invalidArgument, "cannot set up TLS for host p\(key.id): \(error)")
        }
        self.me = key.id
        self.pins = pins
    }

    /// The roster host whose pinned key `certificate` carries (never this host).
    public func identify(_ certificate: NIOSSLCertificate?) -> Int? {
        guard let certificate, let spki = try? certificate.extractPublicKey().toSPKIBytes() else { return nil }
        for (j, p) in pins.enumerated() where j != me && p == spki { return j }
        return nil
    }

    /// The handler for a connection accepted from an unknown peer.
    func serverHandler() -> NIOSSLServerHandler {
        let tls = self
        return NIOSSLServerHandler(context: server) { certificates, promise in
            promise.succeed(tls.identify(certificates.first) != nil ? .certificateVerified : .failed)
        }
    }

    /// The handler for a connection this host opens to `peer`.
    func clientHandler(to peer: Int) throws -> NIOSSLClientHandler {
        let tls = self
        return try NIOSSLClientHandler(context: client, serverHostname: nil) { certificates, promise in
            promise.succeed(tls.identify(certificates.first) == peer ? .certificateVerified : .failed)
        }
    }
}
