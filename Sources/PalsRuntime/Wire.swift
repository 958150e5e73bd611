import NIOCore
import PalsCore

/// What hosts send each other over TCP (length-prefixed):
///
/// ```
/// length (4, of what follows) | kind (1) | session (8) | round (4) | sender (2) | payload
/// ```
/// `hello` opens a connection (sender = the connecting host's id); `frame`
/// carries one sealed module frame; `omitted` says the sender's adversary
/// dropped its frame of that round (so the receiver need not wait for it);
/// `crashed` says the sender's module is stopped from that round on.
/// Nothing here is trusted: the module authenticates frames, and a lying
/// envelope can only cause omissions.
public struct Envelope: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case hello = 1
        case frame = 2
        case omitted = 3
        case crashed = 4
    }

    public var kind: Kind
    public var session: UInt64
    public var round: Int
    public var sender: Int
    public var payload: [UInt8]

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
    public let description: String
}

/// Splits the TCP byte stream into envelopes; anything else closes the
/// connection (the caller counts what is lost as omissions).
struct EnvelopeDecoder: ByteToMessageDecoder {
    typealias InboundOut = Envelope

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard length >= Envelope.fixedSize, length <= Envelope.maxLength else {
            throw WireError(description: "an envelope of \(length) bytes (allowed \(Envelope.fixedSize)…\(Envelope.maxLength))")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        let kindByte = buffer.readInteger(as: UInt8.self)!
        let session = buffer.readInteger(as: UInt64.self)!
        let round = buffer.readInteger(as: UInt32.self)!
        let sender = buffer.readInteger(as: UInt16.self)!
        let payload = buffer.readBytes(length: Int(length) - Envelope.fixedSize)!
        guard let kind = Envelope.Kind(rawValue: kindByte) else {
            throw WireError(description: "an envelope of unknown kind \(kindByte)")
        }
        context.fireChannelRead(
            wrapInboundOut(Envelope(kind: kind, session: session, round: Int(round), sender: Int(sender), payload: payload)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
