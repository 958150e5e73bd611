import Crypto
import Foundation
import PalsCore

/// Why a frame was not accepted. Every rejected frame counts as an omission
/// (DESIGN §5); the codes travel in the ROUND IN response.
public enum FrameVerdict: UInt8, Error, Sendable, CaseIterable, CustomStringConvertible {
    /// The frame opened and carried a protocol message.
    case accepted = 0
    /// No frame arrived in time (or the adversary dropped it).
    case absent = 1
    /// Not exactly the instance's frame size: truncated or oversized.
    case wrongSize = 2
    /// The header does not start with the magic and version.
    case badHeader = 3
    /// The header names another session (a replay from another session).
    case wrongSession = 4
    /// The header names another round (a replay or a reordered frame).
    case wrongRound = 5
    /// The header names another sender or receiver than the slot it came in.
    case misrouted = 6
    /// Authentication failed: forged, altered, or sealed with another key.
    case forged = 7
    /// Authentic, but the padded plaintext is malformed.
    case badPadding = 8
    /// Authentic and well padded, but not a message of the protocol.
    case badMessage = 9

    /// The reason in a few words, as reports print it.
    public var description: String {
        switch self {
        case .accepted: "accepted"
        case .absent: "absent"
        case .wrongSize: "wrong size"
        case .badHeader: "bad header"
        case .wrongSession: "wrong session"
        case .wrongRound: "wrong round"
        case .misrouted: "misrouted"
        case .forged: "authentication failed"
        case .badPadding: "bad padding"
        case .badMessage: "not a protocol message"
        }
    }
}

/// The frame format (DESIGN §5). Every frame of an instance has the same size:
///
/// ```
/// header (20 bytes, cleartext, authenticated as associated data):
///   "TP" | version 1 | kind 0 | session (8) | round (4) | sender (2) | receiver (2)
/// body: ChaCha20-Poly1305 ciphertext of  length (2) | message | zero padding
///       (plaintext size = 2 + maxMessageBytes), then the 16-byte tag
/// nonce: round (4) | sender (2) | receiver (2) | 0 0 0 0
/// ```
/// The key is the pair's session key (`ChannelKeys`), so a frame of another
/// session fails authentication even if its header is rewritten; the nonce
/// and associated data bind round, sender and receiver.
public struct FrameFormat: Sendable, Equatable {
    /// The size of the cleartext header, in bytes.
    public static let headerSize = 20
    /// The size of the Poly1305 tag, in bytes.
    public static let tagSize = 16
    /// The format version, the header's third byte.
    public static let version: UInt8 = 1

    /// The largest message the frame carries.
    public let maxMessageBytes: Int

    /// The format of an instance whose messages take at most `maxMessageBytes` bytes.
    public init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// The size of the sealed plaintext: the 2-byte length, then the message zero-padded to `maxMessageBytes`.
    public var plaintextSize: Int { 2 + maxMessageBytes }
    /// The size of every frame.
    public var frameSize: Int { Self.headerSize + plaintextSize + Self.tagSize }

    /// The header of the frame from `sender` to `receiver` in `round` of `session` (round truncated to 32 bits,
    /// ids to 16).
    public static func header(session: SessionID, round: Int, sender: Int, receiver: Int) -> [UInt8] {
        var h: [UInt8] = [UInt8(ascii: "T"), UInt8(ascii: "P"), version, 0]
        h.reserveCapacity(headerSize)
        h.append(contentsOf: session.bytes)
        Bytes.append(UInt32(truncatingIfNeeded: round), to: &h)
        Bytes.append(UInt16(truncatingIfNeeded: sender), to: &h)
        Bytes.append(UInt16(truncatingIfNeeded: receiver), to: &h)
        return h
    }

    static func nonce(round: Int, sender: Int, receiver: Int) -> ChaChaPoly.Nonce {
        var n: [UInt8] = []
        n.reserveCapacity(12)
        Bytes.append(UInt32(truncatingIfNeeded: round), to: &n)
        Bytes.append(UInt16(truncatingIfNeeded: sender), to: &n)
        Bytes.append(UInt16(truncatingIfNeeded: receiver), to: &n)
        n.append(contentsOf: [0, 0, 0, 0])
        guard let nonce = try? ChaChaPoly.Nonce(data: n) else {  // 12 bytes: cannot fail
            preconditionFailure("Invalid state: a nonce of \(n.count) bytes")
        }
        return nonce
    }

    /// Seals `message` (at most `maxMessageBytes`) from `sender` to `receiver`.
    public func seal(
        _ message: [UInt8], key: SymmetricKey, session: SessionID, round: Int, sender: Int, receiver: Int
    ) -> [UInt8] {
        precondition(message.count <= maxMessageBytes, "a message exceeds the codec's maxMessageBytes")
        var plain: [UInt8] = []
        plain.reserveCapacity(plaintextSize)
        Bytes.append(UInt16(message.count), to: &plain)
        plain.append(contentsOf: message)
        plain.append(contentsOf: repeatElement(0, count: plaintextSize - plain.count))
        let header = Self.header(session: session, round: round, sender: sender, receiver: receiver)
        // A 256-bit key and a 12-byte nonce: sealing cannot fail.
        guard
            let box = try? ChaChaPoly.seal(
                plain, using: key, nonce: Self.nonce(round: round, sender: sender, receiver: receiver),
                authenticating: header)
        else { preconditionFailure("Invalid state: ChaChaPoly refused a \(key.bitCount)-bit key") }
        var frame = header
        frame.reserveCapacity(frameSize)
        frame.append(contentsOf: box.ciphertext)
        frame.append(contentsOf: box.tag)
        return frame
    }

    /// Opens a frame expected from `sender` to `receiver` in `round` of
    /// `session`; returns the message bytes or why the frame is rejected.
    public func open(
        _ frame: ArraySlice<UInt8>, key: SymmetricKey, session: SessionID, round: Int, sender: Int, receiver: Int
    ) -> Result<ArraySlice<UInt8>, FrameVerdict> {
        guard frame.count == frameSize else { return .failure(.wrongSize) }
        let b = frame.startIndex
        guard frame[b] == UInt8(ascii: "T"), frame[b + 1] == UInt8(ascii: "P"), frame[b + 2] == Self.version,
            frame[b + 3] == 0
        else { return .failure(.badHeader) }
        guard frame[(b + 4)..<(b + 12)].elementsEqual(session.bytes) else { return .failure(.wrongSession) }
        guard let r = Bytes.read(UInt32.self, from: frame, at: 12), Int(r) == round else {
            return .failure(.wrongRound)
        }
        guard let s = Bytes.read(UInt16.self, from: frame, at: 16), Int(s) == sender,
            let q = Bytes.read(UInt16.self, from: frame, at: 18), Int(q) == receiver
        else { return .failure(.misrouted) }
        let header = frame[b..<(b + Self.headerSize)]
        let body = frame[(b + Self.headerSize)..<(b + frameSize - Self.tagSize)]
        let tag = frame[(b + frameSize - Self.tagSize)...]
        let plain: Data
        do {
            let box = try ChaChaPoly.SealedBox(
                nonce: Self.nonce(round: round, sender: sender, receiver: receiver), ciphertext: body, tag: tag)
            plain = try ChaChaPoly.open(box, using: key, authenticating: header)
        } catch {
            return .failure(.forged)
        }
        let bytes = [UInt8](plain)
        guard let length = Bytes.read(UInt16.self, from: bytes, at: 0), Int(length) <= maxMessageBytes else {
            return .failure(.badPadding)
        }
        let end = 2 + Int(length)
        guard bytes[end...].allSatisfy({ $0 == 0 }) else { return .failure(.badPadding) }
        return .success(bytes[2..<end])
    }
}
