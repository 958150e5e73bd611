import PalsModule

/// A command APDU in every case of ISO/IEC 7816-4 §5.1:
///
/// ```
/// case 1   CLA INS P1 P2
/// case 2S  CLA INS P1 P2 Le                       Le 00 = 256
/// case 3S  CLA INS P1 P2 Lc data                  1 ≤ Lc ≤ 255
/// case 4S  CLA INS P1 P2 Lc data Le
/// case 2E  CLA INS P1 P2 00 Le1 Le2               Le 0000 = 65536
/// case 3E  CLA INS P1 P2 00 Lc1 Lc2 data          1 ≤ Lc ≤ 65535
/// case 4E  CLA INS P1 P2 00 Lc1 Lc2 data Le1 Le2
/// ```
public struct ISOCommand: Equatable, Sendable {
    /// The class byte CLA, chaining bit included.
    public var cla: UInt8
    /// The instruction byte INS.
    public var ins: UInt8
    /// The parameter byte P1.
    public var p1: UInt8
    /// The parameter byte P2.
    public var p2: UInt8
    /// The command data (Lc bytes); empty when the command has none.
    public var data: [UInt8]
    /// Ne, the most response bytes expected; nil when the command has no Le.
    public var ne: Int?
    /// Whether the command uses the extended length fields.
    public var extended: Bool

    /// A command; it is extended when `extended` is set or when the data or Ne
    /// do not fit the short form.
    public init(
        cla: UInt8, ins: UInt8, p1: UInt8 = 0, p2: UInt8 = 0, data: [UInt8] = [], ne: Int? = nil, extended: Bool = false
    ) {
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
        self.ne = ne
        self.extended = extended || data.count > 255 || (ne ?? 0) > 256
    }

    /// The encoding (short unless `extended`). Data longer than 65535 bytes
    /// or Ne above 65536 cannot be encoded: callers split such data first.
    public var bytes: [UInt8] {
        precondition(data.count <= 65535 && (ne ?? 0) <= 65536, "APDU fields out of range")
        var out = [cla, ins, p1, p2]
        if extended {
            if !data.isEmpty {
                out += [0, UInt8(data.count >> 8), UInt8(data.count & 0xff)]
                out += data
            }
            if let ne {
                if data.isEmpty { out.append(0) }
                out += [UInt8((ne >> 8) & 0xff), UInt8(ne & 0xff)]  // 65536 → 0000
            }
        } else {
            if !data.isEmpty {
                out.append(UInt8(data.count))
                out += data
            }
            if let ne { out.append(UInt8(ne & 0xff)) }  // 256 → 00
        }
        return out
    }

    /// Parses a command APDU; the failure is the status word to answer
    /// (6700 for any length field that does not match the bytes).
    public static func parse(_ b: [UInt8]) -> Result<ISOCommand, CardStatus> {
        guard b.count >= 4 else { return .failure(.wrongLength) }
        var c = ISOCommand(cla: b[0], ins: b[1], p1: b[2], p2: b[3])
        let rest = b.count - 4
        if rest == 0 { return .success(c) }
        if rest == 1 {
            c.ne = b[4] == 0 ? 256 : Int(b[4])
            return .success(c)
        }
        if b[4] != 0 {
            let lc = Int(b[4])
            if rest == 1 + lc {
                c.data = Array(b[5...])
                return .success(c)
            }
            if rest == 2 + lc {
                c.data = Array(b[5..<(5 + lc)])
                let le = b[5 + lc]
                c.ne = le == 0 ? 256 : Int(le)
                return .success(c)
            }
            return .failure(.wrongLength)
        }
        // Extended length: 00 then two bytes.
        guard rest >= 3 else { return .failure(.wrongLength) }
        c.extended = true
        let l = Int(b[5]) << 8 | Int(b[6])
        if rest == 3 {
            c.ne = l == 0 ? 65536 : l
            return .success(c)
        }
        guard l > 0 else { return .failure(.wrongLength) }
        if rest == 3 + l {
            c.data = Array(b[7...])
            return .success(c)
        }
        if rest == 5 + l {
            c.data = Array(b[7..<(7 + l)])
            let le = Int(b[7 + l]) << 8 | Int(b[8 + l])
            c.ne = le == 0 ? 65536 : le
            return .success(c)
        }
        return .failure(.wrongLength)
    }
}

/// A status word SW1 SW2 as the card layer answers it (ISO/IEC 7816-4,
/// GlobalPlatform conventions). The module's own status words pass through
/// unchanged.
public struct CardStatus: RawRepresentable, Hashable, Sendable, Error, CustomStringConvertible {
    /// SW1 in the high byte, SW2 in the low byte.
    public var rawValue: UInt16
    /// The status word SW1 SW2 read as one big-endian number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// The status word of the two bytes that end a response APDU.
    public init(_ sw1: UInt8, _ sw2: UInt8) { rawValue = UInt16(sw1) << 8 | UInt16(sw2) }

    /// 9000: success.
    public static let ok = CardStatus(rawValue: 0x9000)
    /// 6700: wrong length (a length field that does not match the bytes, or
    /// data too long).
    public static let wrongLength = CardStatus(rawValue: 0x6700)
    /// 6982: security status not satisfied; the module answers it to a BEGIN of
    /// a session begun before.
    public static let securityStatus = CardStatus(rawValue: 0x6982)
    /// 6985: conditions of use not satisfied (no applet selected, a chain
    /// broken off, GET RESPONSE with nothing pending).
    public static let conditionsNotSatisfied = CardStatus(rawValue: 0x6985)
    /// 6A80: incorrect data in the command.
    public static let wrongData = CardStatus(rawValue: 0x6A80)
    /// 6A82: SELECT names no applet on this card.
    public static let notFound = CardStatus(rawValue: 0x6A82)
    /// 6A86: incorrect parameters P1 P2.
    public static let wrongP1P2 = CardStatus(rawValue: 0x6A86)
    /// 6D00: instruction not supported.
    public static let insNotSupported = CardStatus(rawValue: 0x6D00)
    /// 6E00: class not supported (logical channels other than 0, secure
    /// messaging).
    public static let claNotSupported = CardStatus(rawValue: 0x6E00)

    /// 61xx: xx more bytes (00: 256 or more) wait for GET RESPONSE.
    public static func moreData(_ remaining: Int) -> CardStatus {
        CardStatus(0x61, remaining >= 256 ? 0 : UInt8(remaining))
    }

    /// The first byte, SW1.
    public var sw1: UInt8 { UInt8(rawValue >> 8) }
    /// The second byte, SW2.
    public var sw2: UInt8 { UInt8(rawValue & 0xff) }
    /// SW1 SW2, as they end a response APDU.
    public var bytes: [UInt8] { [sw1, sw2] }

    /// The code in hexadecimal and what it means, e.g. `6A82 applet not found`.
    public var description: String {
        let code = String(rawValue, radix: 16, uppercase: true)
        if sw1 == 0x61 { return "\(code) \(sw2 == 0 ? "256 or more" : "\(sw2)") bytes wait for GET RESPONSE" }
        if let s = StatusWord(rawValue: rawValue) { return s.description }
        switch self {
        case .notFound: return "\(code) applet not found"
        case .wrongP1P2: return "\(code) incorrect parameters P1-P2"
        default: return "\(code)"
        }
    }
}
