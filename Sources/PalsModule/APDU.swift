/// An APDU-style command (after ISO/IEC 7816-4): the only thing that crosses
/// the module boundary from host to module.
///
/// ```
/// CLA INS P1 P2                       no data
/// CLA INS P1 P2 Lc data               short form, 1 ≤ Lc ≤ 255
/// CLA INS P1 P2 00 Lc1 Lc2 data       extended form, 1 ≤ Lc ≤ 65535
/// ```
/// (no Le: a response carries whatever data the command defines).
public struct CommandAPDU: Equatable, Sendable {
    /// The class byte; the module accepts only `ModuleInstruction.cla` (0x80).
    public var cla: UInt8
    /// The instruction byte (`ModuleInstruction`).
    public var ins: UInt8
    /// First parameter byte; the module's instructions take 0.
    public var p1: UInt8
    /// Second parameter byte; the module's instructions take 0.
    public var p2: UInt8
    /// The command data, at most `maxData` bytes; empty for no data.
    public var data: [UInt8]

    /// The most command data an APDU carries (extended form).
    public static let maxData = 65535

    /// A command from its header bytes and data; class 0x80 and parameters 0 by default.
    public init(cla: UInt8 = ModuleInstruction.cla, ins: UInt8, p1: UInt8 = 0, p2: UInt8 = 0, data: [UInt8] = []) {
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
    }

    /// A command to the module: instruction `ins`, class 0x80, parameters 0.
    public init(_ ins: ModuleInstruction, data: [UInt8] = []) {
        self.init(ins: ins.rawValue, data: data)
    }

    /// The encoded command: header, then Lc in short (1 byte) or extended (00 + 2 bytes) form and the data.
    /// - Precondition: `data` has at most `maxData` bytes.
    public var bytes: [UInt8] {
        precondition(data.count <= Self.maxData, "APDU data exceeds 65535 bytes")
        var out = [cla, ins, p1, p2]
        if data.isEmpty { return out }
        if data.count <= 255 {
            out.append(UInt8(data.count))
        } else {
            out.append(0)
            out.append(UInt8(data.count >> 8))
            out.append(UInt8(data.count & 0xff))
        }
        out.append(contentsOf: data)
        return out
    }

    /// Parses a command; the error is the status word to answer with.
    public static func parse(_ bytes: [UInt8]) -> Result<CommandAPDU, StatusWord> {
        guard bytes.count >= 4 else { return .failure(.wrongLength) }
        var apdu = CommandAPDU(cla: bytes[0], ins: bytes[1], p1: bytes[2], p2: bytes[3])
        if bytes.count == 4 { return .success(apdu) }
        let lc: Int
        let start: Int
        if bytes[4] != 0 {
            lc = Int(bytes[4])
            start = 5
        } else {
            guard bytes.count >= 7 else { return .failure(.wrongLength) }
            lc = Int(bytes[5]) << 8 | Int(bytes[6])
            start = 7
            guard lc > 0 else { return .failure(.wrongLength) }
        }
        guard bytes.count - start == lc else { return .failure(.wrongLength) }
        apdu.data = Array(bytes[start...])
        return .success(apdu)
    }
}

/// A response: data, then the two status bytes.
public struct ResponseAPDU: Equatable, Sendable {
    /// The response data, as the command defines it; empty on an error status.
    public var data: [UInt8]
    /// The status word the module answered with.
    public var status: StatusWord

    /// A response; data-less `ok` by default.
    public init(data: [UInt8] = [], status: StatusWord = .ok) {
        self.data = data
        self.status = status
    }

    /// The encoded response: the data, then the status word big-endian.
    public var bytes: [UInt8] { data + [UInt8(status.rawValue >> 8), UInt8(status.rawValue & 0xff)] }

    /// Splits a response into data and status word; nil when shorter than two bytes. An unlisted status
    /// word reads as `unknown`.
    public static func parse(_ bytes: [UInt8]) -> ResponseAPDU? {
        guard bytes.count >= 2 else { return nil }
        let sw = UInt16(bytes[bytes.count - 2]) << 8 | UInt16(bytes[bytes.count - 1])
        return ResponseAPDU(data: Array(bytes.dropLast(2)), status: StatusWord(rawValue: sw) ?? .unknown)
    }
}

/// Status words (ISO/IEC 7816-4 values).
public enum StatusWord: UInt16, Error, Sendable, CustomStringConvertible {
    /// Success (0x9000).
    case ok = 0x9000
    /// The command is shorter than 4 bytes or its length does not match Lc, or the instruction's data has
    /// the wrong size (0x6700).
    case wrongLength = 0x6700
    /// BEGIN of a session id this module has begun before.
    case sessionUsed = 0x6982
    /// The module could not record a session it was asked to begin.
    case recordFailed = 0x6581
    /// The instruction is out of order: ROUND OUT, ROUND IN or RESULT outside its phase or round (0x6985).
    case conditionsNotSatisfied = 0x6985
    /// Data the instruction does not accept: another instance name, ⊥ as input, nonzero P1/P2, or a bad slot
    /// flag (0x6A80).
    case wrongData = 0x6A80
    /// An instruction the module does not have (0x6D00).
    case insNotSupported = 0x6D00
    /// A class other than 0x80 (0x6E00).
    case claNotSupported = 0x6E00
    /// Any status word not listed here, as read by `ResponseAPDU.parse` (0x6F00).
    case unknown = 0x6F00

    /// The status word in hex with its meaning, e.g. "6985 conditions of use not satisfied".
    public var description: String {
        let code = String(rawValue, radix: 16, uppercase: true)
        switch self {
        case .ok: return "\(code) ok"
        case .wrongLength: return "\(code) wrong length"
        case .sessionUsed: return "\(code) session begun before (sessions are never begun twice)"
        case .recordFailed: return "\(code) the session record cannot be written"
        case .conditionsNotSatisfied: return "\(code) conditions of use not satisfied"
        case .wrongData: return "\(code) incorrect data"
        case .insNotSupported: return "\(code) instruction not supported"
        case .claNotSupported: return "\(code) class not supported"
        case .unknown: return "\(code) no precise diagnosis"
        }
    }
}

/// The module's instructions (class 0x80, proprietary).
///
/// | INS | name | command data | response data |
/// |---|---|---|---|
/// | 0x20 | BEGIN | session (8) · input (8, signed) · instance name (UTF-8) | frame size (2) · rounds (2) · n (2) |
/// | 0x30 | ROUND OUT | round (4) | n frames of frame size, the j-th for p_j |
/// | 0x32 | ROUND IN | round (4) · n slots: 0, or 1 · length (2) · frame (the module's own slot is ignored: it keeps its own message) | n verdict codes (`FrameVerdict`) |
/// | 0x40 | RESULT | — | decided (1) · the module's input (8) · values (8 each, ⊥ = Int64.min) |
/// | 0x50 | ABORT | — | the module's input (8), if a session was open |
public enum ModuleInstruction: UInt8, Sendable {
    /// The class byte of every module instruction (proprietary).
    public static let cla: UInt8 = 0x80
    /// BEGIN: starts a session (0x20).
    case begin = 0x20
    /// ROUND OUT: the round's sealed frames, one per module (0x30).
    case roundOut = 0x30
    /// ROUND IN: the frames that arrived for the round; the module steps and answers a verdict per slot (0x32).
    case roundIn = 0x32
    /// RESULT: the decision after the last round (0x40).
    case result = 0x40
    /// ABORT: ends the session and tells the module's input (0x50).
    case abort = 0x50
}
