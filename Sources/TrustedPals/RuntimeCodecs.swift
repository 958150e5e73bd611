import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime

/// UIC's messages inside a module frame: `silent` (1 byte, 0 or 1), the view
/// (n values of 8 bytes, ⊥ = Int64.min), the trusted set (n bits, packed,
/// unused bits zero).
public struct UICModuleCodec: ModuleCodec {
    /// The UIC instance whose messages are encoded.
    public let proto: UIC<Concrete>

    /// The codec of `proto`'s messages.
    public init(_ proto: UIC<Concrete>) { self.proto = proto }

    /// "uic/VARIANT n=… t=… rounds=…", bound into every session.
    public var instanceName: String {
        "uic/\(proto.variant.rawValue) n=\(proto.n) t=\(proto.t) rounds=\(proto.rounds)"
    }

    private var bitBytes: Int { (proto.n + 7) / 8 }
    /// The size of every message: 1 + 8n + ⌈n/8⌉ bytes.
    public var maxMessageBytes: Int { 1 + 8 * proto.n + bitBytes }

    /// The bytes of `m`: the silent flag, the view, the packed trusted set.
    public func encode(_ m: UIC<Concrete>.Message) -> [UInt8] {
        var out: [UInt8] = [m.silent ? 1 : 0]
        out.reserveCapacity(maxMessageBytes)
        for v in m.view { ValueBytes.append(v, to: &out) }
        var bits = [UInt8](repeating: 0, count: bitBytes)
        for (k, b) in m.trusted.enumerated() where b { bits[k / 8] |= 1 << UInt8(k % 8) }
        out.append(contentsOf: bits)
        return out
    }

    /// Reads a message of exactly `maxMessageBytes`; nil for another size, a silent byte above 1 or a set unused
    /// bit.
    public func decode(_ bytes: ArraySlice<UInt8>) -> UIC<Concrete>.Message? {
        let n = proto.n
        guard bytes.count == maxMessageBytes else { return nil }
        let b = Array(bytes)
        guard b[0] <= 1 else { return nil }
        var view: [Int] = []
        view.reserveCapacity(n)
        for k in 0..<n {
            guard let value = ValueBytes.read(b[...], at: 1 + 8 * k) else { return nil }
            view.append(value)
        }
        let bits = b[(1 + 8 * n)...]
        var trusted: [Bool] = []
        trusted.reserveCapacity(n)
        for k in 0..<n { trusted.append(bits[bits.startIndex + k / 8] >> UInt8(k % 8) & 1 == 1) }
        // Unused high bits must be zero: one message, one encoding.
        if n % 8 != 0, bits[bits.endIndex - 1] >> UInt8(n % 8) != 0 { return nil }
        return UIC<Concrete>.Message(view: view, trusted: trusted, silent: b[0] == 1)
    }

    /// "silent", or the view (⊥ for missing values) and the trusted processes.
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
    /// What the visit returns.
    associatedtype Result
    /// Receives the runtime model of the instance.
    func visit<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> Result
}

/// A catalogued protocol the runtime runs: it has a module codec.
public protocol RuntimeCatalogued: CataloguedProtocol {
    /// The codec between the protocol's messages and the modules' frames.
    associatedtype Codec: ModuleCodec
    /// The runtime model of `spec`.
    static func runtimeModel(_ spec: ModelSpec) throws(PalsError) -> RuntimeModel<Codec>
}

extension UICEntry: RuntimeCatalogued {
    /// `uicRuntimeModel`.
    public static func runtimeModel(_ spec: ModelSpec) throws(PalsError) -> RuntimeModel<UICModuleCodec> {
        try uicRuntimeModel(spec)
    }
}

extension SMCEntry: RuntimeCatalogued {
    /// `smcRuntimeModel`.
    public static func runtimeModel(_ spec: ModelSpec) throws(PalsError) -> RuntimeModel<SMCModuleCodec> {
        try smcRuntimeModel(spec)
    }
}

extension FairExchangeEntry: RuntimeCatalogued {
    /// `fairExchangeRuntimeModel`.
    public static func runtimeModel(_ spec: ModelSpec) throws(PalsError) -> RuntimeModel<FairExchangeModuleCodec> {
        try fairExchangeRuntimeModel(spec)
    }
}

/// The protocols the runtime runs (those with a module codec), in catalogue order.
public let runtimeProtocols: [String] = Catalog.registered.filter { $0 is any RuntimeCatalogued.Type }.map { $0.name }

/// The UIC runtime model of `spec`.
public func uicRuntimeModel(_ spec: ModelSpec) throws(PalsError) -> RuntimeModel<UICModuleCodec> {
    try Catalog.validate(spec)
    guard spec.protocolName == UICEntry.name else {
        throw PalsError(.unknownProtocol, "\(spec.protocolName) is not \(UICEntry.name)")
    }
    let variant = try Catalog.uicVariant(spec, over: Concrete.self)
    let proto = UIC(logic: Concrete(), n: spec.n, t: spec.t, variant: variant, rounds: spec.rounds)
    return RuntimeModel(
        codec: UICModuleCodec(proto), protocolName: UICEntry.name, variant: spec.variant,
        properties: UIC<Concrete>.properties)
}

/// The SMC runtime model of `spec` (a consistent setup: the model's
/// `sum-mismatched` and `sum-unpadded` variants describe modules the runtime
/// does not build — its modules always pad, and a module given another F
/// refuses the session).
public func smcRuntimeModel(_ spec: ModelSpec) throws(PalsError) -> RuntimeModel<SMCModuleCodec> {
    let spec = Catalog.resolved(spec)
    try Catalog.validate(spec)
    guard let variant = SMC<Concrete>.Variant(name: spec.variant), !variant.unpadded, !variant.mismatched else {
        throw PalsError(
            .invalidArgument,
            "the runtime runs smc with one function from the registry for every module; \(spec.variant) is a model-only variant"
        )
    }
    let proto = SMC(logic: Concrete(), n: spec.n, t: spec.t, variant: variant, rounds: spec.rounds)
    let n = spec.n
    let inputs = Catalog.defaultInputs(spec)
    let majority = variant.function.kind == .majority
    return RuntimeModel(
        codec: SMCModuleCodec(proto), protocolName: SMCEntry.name, variant: spec.variant,
        properties: SMC<Concrete>.properties(for: variant), defaultInputs: inputs,
        randomInputs: { rng in (0..<n).map { _ in majority ? rng.below(2) : rng.below(100) } })
}

/// The fair-exchange runtime model of `spec` (the leaky mode is model-only:
/// a module always sends its padded frame).
public func fairExchangeRuntimeModel(_ spec: ModelSpec) throws(PalsError) -> RuntimeModel<FairExchangeModuleCodec> {
    let spec = Catalog.resolved(spec)
    try Catalog.validate(spec)
    let proto = Catalog.fairExchange(spec, logic: Concrete())
    guard proto.mode != .fakeRoundsLeaky else {
        throw PalsError(
            .invalidArgument, "the runtime's modules always send every frame; fake-rounds-leaky is a model-only variant"
        )
    }
    let n = spec.n
    // The host's inputs carry items and descriptions; p0's module draws ρ.
    let matching = FairExchange<Concrete>.matchingInputs(n: n, rho: 0)
    return RuntimeModel(
        codec: FairExchangeModuleCodec(proto), protocolName: FairExchangeEntry.name, variant: spec.variant,
        properties: FairExchange<Concrete>.properties, defaultInputs: matching,
        randomInputs: { rng in
            // Mostly matching items; one run in ten, one party expects
            // something else from another (nobody may then get anything).
            var inputs = matching
            if rng.below(10) == 0 {
                let i = rng.below(n)
                var j = rng.below(n - 1)
                if j >= i { j += 1 }
                let shift = FairExchange<Concrete>.fieldBits * (j + 1)
                inputs[i] = (inputs[i] & ~(15 << shift)) | (((j + 1 + 1 + rng.below(14)) % 16) << shift)
            }
            return inputs
        })
}

/// Instantiates the runtime model of `spec` and hands it to `visitor`.
public func withRuntimeModel<V: RuntimeModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
    try Catalog.validate(spec)
    // Modules evaluate a user's F afresh in every session (`WasmFunction.memoizes`).
    userFunction(spec)?.memoizes = false
    guard let entry = try Catalog.entry(spec) as? any RuntimeCatalogued.Type else {
        throw PalsError(
            .unknownProtocol,
            "the runtime runs \(runtimeProtocols.joined(separator: ", ")); \"\(spec.protocolName)\" has no module codec"
        )
    }
    func run<R: RuntimeCatalogued>(_: R.Type) throws -> V.Result { try visitor.visit(R.runtimeModel(spec)) }
    return try run(entry)
}

// MARK: - SMC and fair exchange

/// SMC's messages are UIC's (SMC runs UIC, then applies F): the same bytes.
/// The instance name carries F's name and digest, so modules configured with
/// different functions derive different keys and never accept each other's
/// frames; BEGIN is refused when the host names another instance.
public struct SMCModuleCodec: ModuleCodec {
    /// The SMC instance whose messages are encoded.
    public let proto: SMC<Concrete>
    private let uic: UICModuleCodec

    /// The codec of `proto`'s messages, which are those of its UIC.
    public init(_ proto: SMC<Concrete>) {
        self.proto = proto
        self.uic = UICModuleCodec(proto.uic)
    }

    /// "smc/F#DIGEST n=… t=… rounds=…": modules given different functions share no session.
    public var instanceName: String {
        let f = proto.functions[0]
        return "smc/\(f.name)#\(f.digestHex) n=\(proto.n) t=\(proto.t) rounds=\(proto.rounds)"
    }

    /// The size of every message, UIC's.
    public var maxMessageBytes: Int { uic.maxMessageBytes }
    /// UIC's encoding of `m`.
    public func encode(_ m: SMC<Concrete>.Message) -> [UInt8] { uic.encode(m) }
    /// UIC's decoding of `bytes`.
    public func decode(_ bytes: ArraySlice<UInt8>) -> SMC<Concrete>.Message? { uic.decode(bytes) }
    /// UIC's description of `m`.
    public func describe(_ m: SMC<Concrete>.Message) -> String { uic.describe(m) }
}

/// Fair exchange's message: item (8) · ρ (8) · abort (1) · the UIC message on
/// the votes (UIC's encoding), the same size in every round and mode. In the
/// fake-rounds mode p0's module draws ρ uniformly from {1…M} itself (the
/// host's input carries only the item and descriptions).
public struct FairExchangeModuleCodec: ModuleCodec {
    /// The fair-exchange instance whose messages are encoded.
    public let proto: FairExchange<Concrete>
    private let uic: UICModuleCodec

    /// The codec of `proto`'s messages.
    public init(_ proto: FairExchange<Concrete>) {
        self.proto = proto
        self.uic = UICModuleCodec(proto.uic)
    }

    /// "fair-exchange/MODE[ M=…] n=… t=… rounds=…", bound into every session.
    public var instanceName: String {
        "fair-exchange/\(proto.mode.rawValue)\(proto.mode == .deterministic ? "" : " M=\(proto.M)") n=\(proto.n) t=\(proto.t) rounds=\(proto.rounds)"
    }

    /// The size of every message: 17 bytes before UIC's message.
    public var maxMessageBytes: Int { 17 + uic.maxMessageBytes }

    /// The bytes of `m`: item, ρ, the abort flag, then UIC's encoding of the votes.
    public func encode(_ m: FairExchange<Concrete>.Message) -> [UInt8] {
        var out: [UInt8] = []
        ValueBytes.append(m.item, to: &out)
        ValueBytes.append(m.rho, to: &out)
        out.append(m.abort ? 1 : 0)
        return out + uic.encode(m.uic)
    }

    /// Reads a message of exactly `maxMessageBytes`; nil for another size, an abort byte above 1 or a malformed
    /// UIC part.
    public func decode(_ bytes: ArraySlice<UInt8>) -> FairExchange<Concrete>.Message? {
        guard bytes.count == maxMessageBytes, let item = ValueBytes.read(bytes, at: 0),
            let rho = ValueBytes.read(bytes, at: 8)
        else { return nil }
        let flag = bytes[bytes.startIndex + 16]
        guard flag <= 1, let u = uic.decode(bytes[(bytes.startIndex + 17)...]) else { return nil }
        return FairExchange<Concrete>.Message(item: item, rho: rho, abort: flag == 1, uic: u)
    }

    /// The item and ρ (⊥ for missing values), abort or ok, and the UIC message.
    public func describe(_ m: FairExchange<Concrete>.Message) -> String {
        func v(_ x: Int) -> String { x == Concrete.bottomValue ? "⊥" : String(x) }
        return "(item \(v(m.item)), ρ \(v(m.rho)), \(m.abort ? "abort" : "ok"), uic \(uic.describe(m.uic)))"
    }

    /// In the fake-rounds modes p0's module puts a ρ drawn uniformly from 1…M into its host's input; every other
    /// module runs with its host's input.
    public func moduleInput(_ hostInput: Int, process: Int, random: () -> UInt64) -> Int {
        guard process == 0, proto.mode != .deterministic else { return hostInput }
        let shift = FairExchange<Concrete>.fieldBits * (proto.n + 1)
        let low = hostInput & ((1 << shift) - 1)
        let rho = 1 + Int(random() % UInt64(proto.M))
        return low | rho << shift
    }
}

/// The number of fake rounds M of a runtime model that has them (fair
/// exchange in a fake-rounds mode: M + 1 rounds), else nil.
public func fakeRounds<C: ModuleCodec>(of model: RuntimeModel<C>) -> Int? {
    guard Catalog.entry(named: model.protocolName)?.roundsAreFakeRounds == true,
        model.variant != FairExchange<Concrete>.Mode.deterministic.rawValue
    else { return nil }
    return model.rounds - 1
}
