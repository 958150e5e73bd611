/// A JSON value with ordered object keys, so that every file and report the
/// tool writes is byte-for-byte deterministic.
public enum JSON: Equatable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number without fraction or exponent that fits in an `Int`.
    case int(Int)
    /// An integer above `Int.max` (written only, e.g. a 64-bit seed);
    /// `unsigned(_:)` makes one of a `UInt64`.
    case uint(UInt64)
    /// Any other number; written as `null` when not finite.
    case double(Double)
    /// A string (escaped when written).
    case string(String)
    /// An array, elements in order.
    case array([JSON])
    /// An object, keys in the order given (duplicates kept; lookups take the first).
    case object([(String, JSON)])

    /// Structural equality; object keys must match in order.
    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.uint(x), .uint(y)): return x == y
        case let (.double(x), .double(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value of `key` in an object (the first one), or nil.
    public subscript(key: String) -> JSON? {
        if case let .object(fields) = self { return fields.first(where: { $0.0 == key })?.1 }
        return nil
    }

    /// A `UInt64` as a JSON number: `.int` when it fits, else `.uint`.
    public static func unsigned(_ v: UInt64) -> JSON {
        Int(exactly: v).map { .int($0) } ?? .uint(v)
    }

    /// The integer, if this is `.int` (not `.uint` or `.double`).
    public var intValue: Int? {
        if case let .int(v) = self { return v }
        return nil
    }
    /// The string, if this is `.string`.
    public var stringValue: String? {
        if case let .string(v) = self { return v }
        return nil
    }
    /// The Boolean, if this is `.bool`.
    public var boolValue: Bool? {
        if case let .bool(v) = self { return v }
        return nil
    }
    /// The elements, if this is `.array`.
    public var arrayValue: [JSON]? {
        if case let .array(v) = self { return v }
        return nil
    }
    /// True iff this is `null`.
    public var isNull: Bool { self == .null }
}

// MARK: - Writing

extension JSON {
    /// Compact single-line form (JSON lines).
    public var compact: String {
        var out = ""
        write(to: &out, indent: nil, level: 0)
        return out
    }

    /// Indented form; arrays of scalars stay on one line.
    public var pretty: String {
        var out = ""
        write(to: &out, indent: "  ", level: 0)
        return out + "\n"
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    private func write(to out: inout String, indent: String?, level: Int) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .uint(u): out += String(u)
        case let .double(d):
            if d.isFinite {
                out += String(d)
            } else {
                out += "null"
            }
        case let .string(s): JSON.escape(s, into: &out)
        case let .array(items):
            if items.isEmpty {
                out += "[]"
                return
            }
            let inline = indent == nil || items.allSatisfy { $0.isScalar || $0.isSmallArray }
            out += "["
            for (k, item) in items.enumerated() {
                if k > 0 { out += inline && indent != nil ? ", " : "," }
                if !inline, let ind = indent {
                    out += "\n" + String(repeating: ind, count: level + 1)
                }
                item.write(to: &out, indent: inline ? nil : indent, level: level + 1)
            }
            if !inline, let ind = indent { out += "\n" + String(repeating: ind, count: level) }
            out += "]"
        case let .object(fields):
            if fields.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (k, (key, value)) in fields.enumerated() {
                if k > 0 { out += "," }
                if let ind = indent { out += "\n" + String(repeating: ind, count: level + 1) }
                JSON.escape(key, into: &out)
                out += indent == nil ? ":" : ": "
                value.write(to: &out, indent: indent, level: level + 1)
            }
            if let ind = indent { out += "\n" + String(repeating: ind, count: level) }
            out += "}"
        }
    }

    private var isSmallArray: Bool {
        if case let .array(items) = self { return items.allSatisfy { $0.isScalar } }
        if case let .object(fields) = self { return fields.count <= 4 && fields.allSatisfy { $0.1.isScalar } }
        return false
    }

    static func escape(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

// MARK: - Parsing

extension JSON {
    /// Parses one JSON document; trailing non-space text is an error.
    public static func parse(_ text: String) throws(PalsError) -> JSON {
        var p = Parser(Array(text.utf8))
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.pos == p.bytes.count else { throw p.fail("unexpected text after the JSON value") }
        return v
    }

    struct Parser {
        let bytes: [UInt8]
        var pos = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        func fail(_ what: String) -> PalsError {
            PalsError(.malformedFile, "invalid JSON at byte \(pos): \(what)")
        }

        mutating func skipSpace() {
            while pos < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[pos]) { pos += 1 }
        }

        mutating func expect(_ literal: String) throws(PalsError) {
            let l = Array(literal.utf8)
            guard pos + l.count <= bytes.count, Array(bytes[pos..<(pos + l.count)]) == l else {
                throw fail("expected \(literal)")
            }
            pos += l.count
        }

        mutating func value(depth: Int) throws(PalsError) -> JSON {
            guard depth < 256 else { throw fail("nesting too deep") }
            guard pos < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[pos] {
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "["):
                pos += 1
                var items: [JSON] = []
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
                    pos += 1
                    return .array(items)
                }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard pos < bytes.count else { throw fail("unterminated array") }
                    if bytes[pos] == UInt8(ascii: ",") {
                        pos += 1
                        continue
                    }
                    if bytes[pos] == UInt8(ascii: "]") {
                        pos += 1
                        return .array(items)
                    }
                    throw fail("expected , or ] in array")
                }
            case UInt8(ascii: "{"):
                pos += 1
                var fields: [(String, JSON)] = []
                var keys = Set<String>()
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
                    pos += 1
                    return .object(fields)
                }
                while true {
                    skipSpace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    let keyStart = pos
                    let key = try string()
                    // A repeated key would be read as one of its values and
                    // the other ignored: refused.
                    guard keys.insert(key).inserted else {
                        pos = keyStart
                        throw fail("duplicate key \"\(key)\"")
                    }
                    skipSpace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected :") }
                    pos += 1
                    skipSpace()
                    fields.append((key, try value(depth: depth + 1)))
                    skipSpace()
                    guard pos < bytes.count else { throw fail("unterminated object") }
                    if bytes[pos] == UInt8(ascii: ",") {
                        pos += 1
                        continue
                    }
                    if bytes[pos] == UInt8(ascii: "}") {
                        pos += 1
                        return .object(fields)
                    }
                    throw fail("expected , or } in object")
                }
            default:
                return try number()
            }
        }

        mutating func number() throws(PalsError) -> JSON {
            let start = pos
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            var isDouble = false
            while pos < bytes.count {
                let c = bytes[pos]
                if c >= 0x30 && c <= 0x39 {
                    pos += 1
                } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                    || c == UInt8(ascii: "+") || (c == UInt8(ascii: "-") && isDouble)
                {
                    isDouble = true
                    pos += 1
                } else {
                    break
                }
            }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            guard !text.isEmpty, text != "-" else { throw fail("unexpected character") }
            if !isDouble, let i = Int(text) { return .int(i) }
            guard let d = Double(text), d.isFinite else { throw fail("bad number \(text)") }
            return .double(d)
        }

        mutating func string() throws(PalsError) -> String {
            pos += 1  // opening quote
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() {
                if !raw.isEmpty {
                    scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                    raw.removeAll()
                }
            }
            while true {
                guard pos < bytes.count else { throw fail("unterminated string") }
                let c = bytes[pos]
                pos += 1
                if c == UInt8(ascii: "\"") { break }
                if c < 0x20 { throw fail("control character in string") }
                if c != UInt8(ascii: "\\") {
                    raw.append(c)
                    continue
                }
                guard pos < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[pos]
                pos += 1
                flush()
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    guard pos + 4 <= bytes.count,
                        let code = UInt32(String(decoding: bytes[pos..<(pos + 4)], as: UTF8.self), radix: 16)
                    else { throw fail("bad \\u escape") }
                    pos += 4
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: throw fail("bad escape")
                }
            }
            flush()
            return String(scalars)
        }
    }
}
