import NIOCore
import PalsCore

/// What hosts send each other over TCP (length-prefixed):
///
/// ```
/// length (4, of what follows) | kind (1) | session (8) | round (4) | sender (2) | payload
/// ```
/// `hello` is no longer sent (TLS authenticates the connection) and is ignored; `frame`
/// carries one sealed module frame; `omitted` says the sender's adversary
/// dropped its frame of that round (so the receiver need not wait for it);
/// `crashed` says the sender's module is stopped from that round on.
/// The receiving host takes the sender from the connection's authenticated
/// peer; an envelope whose `sender` field says otherwise is dropped. The
/// module authenticates frames: a lying host can only cause its own omissions.
public struct Envelope: Sendable, Equatable {
    /// What an envelope carries (the byte on the wire).
    public enum Kind: UInt8, Sendable {
        /// The sender's greeting; no longer sent, ignored on receipt.
        case hello = 1
        /// One sealed module frame for the receiver.
        case frame = 2
        /// The sender's adversary dropped its frame of `round`: do not wait for it.
        case omitted = 3
        /// The sender's module is stopped from `round` on.
        case crashed = 4
    }

    /// What the envelope carries.
    public var kind: Kind
    /// The session id's value; envelopes of another session are dropped.
    public var session: UInt64
    /// The round the frame, the omission or the crash is of.
    public var round: Int
    /// The process the sender claims to be; must match the connection's authenticated peer.
    public var sender: Int
    /// The sealed frame for `frame`; empty otherwise.
    public var payload: [UInt8]

    /// An envelope; `payload` is empty except for a frame.
    public init(kind: Kind, session: UInt64, round: Int, sender: Int, payload: [UInt8] = []) {
        self.kind = kind
        self.session = session
        self.round = round
        self.sender = sender
        self.payload = payload
    }

    static let fixedSize = 15
    /// The largest envelope a host accepts (frames are far smaller).
    public static let maxLength = fixedSize + 65535

    /// Appends the envelope with its length prefix to `buffer`.
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(Self.fixedSize + payload.count))
        buffer.writeInteger(kind.rawValue)
        buffer.writeInteger(session)
        buffer.writeInteger(UInt32(truncatingIfNeeded: round))
        buffer.writeInteger(UInt16(truncatingIfNeeded: sender))
        buffer.writeBytes(payload)
    }
}

/// A byte stream that is not a sequence of envelopes.
public struct WireError: Error, CustomStringConvertible {
    /// What is wrong with the stream.
    public let description: String
}

extension Envelope {
    /// Reads one whole envelope from the front of `buffer`; nil when more
    /// bytes are needed. Throws on a length out of range or an unknown kind.
    public static func read(from buffer: inout ByteBuffer) throws -> Envelope? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length >= fixedSize, length <= maxLength else {
            throw WireError(description: "an envelope of \(length) bytes (allowed \(fixedSize)…\(maxLength))")
        }
        guard buffer.readableBytes >= 4 + Int(length),
            let kindByte = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self),
            let session = buffer.getInteger(at: buffer.readerIndex + 5, as: UInt64.self),
            let round = buffer.getInteger(at: buffer.readerIndex + 13, as: UInt32.self),
            let sender = buffer.getInteger(at: buffer.readerIndex + 17, as: UInt16.self),
            let payload = buffer.getBytes(at: buffer.readerIndex + 4 + fixedSize, length: Int(length) - fixedSize)
        else { return nil }
        guard let kind = Kind(rawValue: kindByte) else {
            throw WireError(description: "an envelope of unknown kind \(kindByte)")
        }
        buffer.moveReaderIndex(forwardBy: 4 + Int(length))
        return Envelope(kind: kind, session: session, round: Int(round), sender: Int(sender), payload: payload)
    }
}

/// Splits the TCP byte stream into envelopes; anything else closes the
/// connection (the caller counts what is lost as omissions).
public struct EnvelopeDecoder: ByteToMessageDecoder {
    /// Envelopes, one per whole envelope in the stream.
    public typealias InboundOut = Envelope

    /// A decoder with nothing buffered.
    public init() {}

    /// Passes on the envelope at the front of `buffer`, if it is whole.
    ///
    /// - Throws: `WireError` on a length out of range or an unknown kind (the connection closes).
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let e = try Envelope.read(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(e))
        return .continue
    }

    /// Passes on every whole envelope left when the stream ends; a partial one at the end is not passed on.
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
