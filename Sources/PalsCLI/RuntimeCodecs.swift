import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime

/// UIC's messages inside a module frame: `silent` (1 byte, 0 or 1), the view
/// (n values of 8 bytes, ⊥ = Int64.min), the trusted set (n bits, packed,
/// unused bits zero).
public struct UICModuleCodec: ModuleCodec {
    public let proto: UIC<Concrete>

    public init(_ proto: UIC<Concrete>) { self.proto = proto }

    public var instanceName: String {
        "uic/\(proto.variant.rawValue) n=\(proto.n) t=\(proto.t) rounds=\(proto.rounds)"
    }

    private var bitBytes: Int { (proto.n + 7) / 8 }
    public var maxMessageBytes: Int { 1 + 8 * proto.n + bitBytes }

    public func encode(_ m: UIC<Concrete>.Message) -> [UInt8] {
        var out: [UInt8] = [m.silent ? 1 : 0]
        out.reserveCapacity(maxMessageBytes)
        for v in m.view { ValueBytes.append(v, to: &out) }
        var bits = [UInt8](repeating: 0, count: bitBytes)
        for (k, b) in m.trusted.enumerated() where b { bits[k / 8] |= 1 << UInt8(k % 8) }
        out.append(contentsOf: bits)
        return out
    }

    public func decode(_ bytes: ArraySlice<UInt8>) -> UIC<Concrete>.Message? {
        let n = proto.n
        guard bytes.count == maxMessageBytes else { return nil }
        let b = Array(bytes)
        guard b[0] <= 1 else { return nil }
        var view: [Int] = []
        view.reserveCapacity(n)
        for k in 0..<n { view.append(ValueBytes.read(b[...], at: 1 + 8 * k)!) }
        let bits = b[(1 + 8 * n)...]
        var trusted: [Bool] = []
        trusted.reserveCapacity(n)
        for k in 0..<n { trusted.append(bits[bits.startIndex + k / 8] >> UInt8(k % 8) & 1 == 1) }
        // Unused high bits must be zero: one message, one encoding.
        if n % 8 != 0, bits[bits.endIndex - 1] >> UInt8(n % 8) != 0 { return nil }
        return UIC<Concrete>.Message(view: view, trusted: trusted, silent: b[0] == 1)
    }

    public func describe(_ m: UIC<Concrete>.Message) -> String {
        if m.silent { return "silent" }
        let view = m.view.map { $0 == Concrete.bottomValue ? "⊥" : String($0) }.joined(separator: ",")
        let trusted = m.trusted.enumerated().filter(\.element).map { "p\($0.offset)" }.joined(separator: ",")
        return "(view [\(view)], trusted {\(trusted)})"
    }
}

/// Receives a runtime model of whatever codec type; lets a command be written
/// once, generically, for every protocol the runtime runs.
public protocol RuntimeModelVisitor {
    associatedtype Result
    func visit<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> Result
}

/// The protocols the runtime runs (those with a module codec).
public let runtimeProtocols = ["uic"]

/// The UIC runtime model of `spec`.
public func uicRuntimeModel(_ spec: ModelSpec) throws(PalsError) -> RuntimeModel<UICModuleCodec> {
    try Catalog.validate(spec)
    guard spec.protocolName == "uic" else {
        throw PalsError(.unknownProtocol, "\(spec.protocolName) is not uic")
    }
    let variant = UIC<Concrete>.Variant(rawValue: spec.variant)!
    let proto = UIC(logic: Concrete(), n: spec.n, t: spec.t, variant: variant, rounds: spec.rounds)
    return RuntimeModel(
        codec: UICModuleCodec(proto), protocolName: "uic", variant: spec.variant, properties: UIC<Concrete>.properties)
}

/// Instantiates the runtime model of `spec` and hands it to `visitor`.
public func withRuntimeModel<V: RuntimeModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
    try Catalog.validate(spec)
    switch spec.protocolName {
    case "uic": return try visitor.visit(uicRuntimeModel(spec))
    default:
        throw PalsError(
            .unknownProtocol,
            "the runtime runs \(runtimeProtocols.joined(separator: ", ")); \"\(spec.protocolName)\" has no module codec")
    }
}
