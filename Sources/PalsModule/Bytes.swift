import PalsCore

/// Big-endian reading and writing, and hex text, for the module's byte formats.
public enum Bytes {
    /// Appends `value` big-endian, all of its bytes, to `out`.
    @inlinable
    public static func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        var v = value.bigEndian
        withUnsafeBytes(of: &v) { out.append(contentsOf: $0) }
    }

    /// Reads a big-endian integer at `offset`; nil when the bytes run out.
    @inlinable
    public static func read<T: FixedWidthInteger, C: RandomAccessCollection<UInt8>>(
        _: T.Type, from bytes: C, at offset: Int
    ) -> T? where C.Index == Int {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset + size <= bytes.count else { return nil }
        var v: T = 0
        let base = bytes.startIndex + offset
        for k in 0..<size { v = (v << 8) | T(bytes[base + k]) }
        return v
    }

    private static let digits = Array("0123456789abcdef".utf8)

    /// Lower-case hex text of `bytes`, two digits per byte.
    public static func hex<C: Collection<UInt8>>(_ bytes: C) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses lower- or upper-case hex; the error names `what`.
    public static func fromHex(_ text: String, what: String) throws(PalsError) -> [UInt8] {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else {
            throw PalsError(.malformedFile, "\(what): hex text has an odd number of digits")
        }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var k = 0
        while k < chars.count {
            guard let hi = value(chars[k]), let lo = value(chars[k + 1]) else {
                throw PalsError(.malformedFile, "\(what): \"\(text.prefix(16))…\" is not hex")
            }
            out.append(hi << 4 | lo)
            k += 2
        }
        return out
    }
}
