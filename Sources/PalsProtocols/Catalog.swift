import PalsCore

/// Receives a concrete protocol instance with its properties; lets the CLI
/// and tests run any engine on any catalogued protocol without either side
/// knowing the other.
public protocol ConcreteModelVisitor {
    /// What a visit returns.
    associatedtype Result
    /// Called once, with the instance, the properties to check and a short note
    /// per state for diagrams.
    func visit<P: RoundProtocol & Sendable>(
        _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
    ) throws -> Result where P.L == Concrete, P.State: Hashable
}

/// A protocol instance as named on the command line.
public struct ModelSpec: Hashable, Sendable, CustomStringConvertible {
    /// The catalogue's name of the protocol: `uic`, `floodset`, `smc` or
    /// `fair-exchange`.
    public var protocolName: String
    /// The variant (a mutant, an F or a mode); `standard` stands for the
    /// protocol's default.
    public var variant: String
    /// The number of processes, p0 … p(n-1).
    public var n: Int
    /// The bound on faulty processes.
    public var t: Int
    /// Overrides the protocol's number of rounds.
    public var rounds: Int?

    /// A spec of `protocolName`, variant `standard` unless given;
    /// `Catalog.validate` checks it.
    public init(protocolName: String, variant: String = "standard", n: Int, t: Int, rounds: Int? = nil) {
        self.protocolName = protocolName
        self.variant = variant
        self.n = n
        self.t = t
        self.rounds = rounds
    }

    /// The spec as reports show it, e.g. `smc/max n=3 t=1 rounds=2`; the
    /// variant is left out when `standard`.
    public var description: String {
        "\(protocolName)\(variant == "standard" ? "" : "/\(variant)") n=\(n) t=\(t)"
            + (rounds.map { " rounds=\($0)" } ?? "")
    }
}

/// The protocols the tool knows, by name.
public enum Catalog {
    /// One catalogued protocol.
    public struct Entry: Sendable {
        /// The name on the command line, e.g. `fair-exchange`.
        public let name: String
        /// One line saying what the protocol is and where it comes from.
        public let summary: String
        /// The variant names the catalogue accepts (smc also takes registered
        /// users' functions).
        public let variants: [String]
    }

    /// Every catalogued protocol, in the order listings show them.
    public static let entries: [Entry] = [
        Entry(
            name: "uic", summary: "Uniform Interactive Consistency under general omission (Parvédy & Raynal)",
            variants: UIC<Concrete>.Variant.allCases.map(\.rawValue)),
        Entry(
            name: "floodset", summary: "FloodSet interactive consistency (crash-tolerant baseline)",
            variants: ["standard"]),
        Entry(
            name: "smc", summary: "Secure multi-party computation: F(UIC(x)) with F from the registry (seed Fig. 2)",
            variants: SMC<Concrete>.Variant.names),
        Entry(
            name: "fair-exchange",
            summary: "Fair exchange on security modules (Avoine et al.): deterministic (UIC on votes) or fake rounds",
            variants: FairExchange<Concrete>.Mode.allCases.map(\.rawValue)),
    ]

    /// The variant `standard` stands for a protocol's default variant: `sum`
    /// for smc, `fake-rounds` for fair-exchange.
    public static func resolved(_ spec: ModelSpec) -> ModelSpec {
        var s = spec
        if s.variant == "standard" {
            if s.protocolName == "smc" { s.variant = "sum" }
            if s.protocolName == "fair-exchange" { s.variant = "fake-rounds" }
        }
        return s
    }

    /// The default M of the fake-rounds modes (the run has M + 1 rounds;
    /// `rounds` of a spec sets it).
    public static let defaultM = 4

    /// The inputs a check uses unless told otherwise: 0, 1, …, n−1 (distinct,
    /// which suffices for the data-independent protocols), for smc the powers
    /// of two 1, 2, 4, … (distinct sets of inputs have distinct sums; for
    /// majority the votes 1, 0, 1, 0, …), for
    /// fair-exchange items that match every description and ρ = 1 (fake
    /// rounds).
    public static func defaultInputs(_ spec: ModelSpec) -> [Int] {
        switch spec.protocolName {
        case "smc":
            if resolved(spec).variant == "majority" { return (0..<spec.n).map { $0 % 2 == 0 ? 1 : 0 } }
            return (0..<spec.n).map { 1 << $0 }
        case "fair-exchange":
            return FairExchange<Concrete>.matchingInputs(
                n: spec.n, rho: resolved(spec).variant == "deterministic" ? 0 : 1)
        default: return Array(0..<spec.n)
        }
    }

    /// Rejects inputs a protocol cannot take: for fair-exchange, inputs that
    /// are not packed items and descriptions, or a ρ outside 1…M; for smc
    /// with F = sum, inputs some of whose sums leave the 64-bit integers
    /// (F would wrap around and decide a value no one computed).
    public static func checkInputs(_ spec: ModelSpec, _ inputs: [Int]) throws(PalsError) {
        let spec = resolved(spec)
        try checkInputsFit(spec, inputs)
        guard spec.protocolName == "fair-exchange" else { return }
        let p = fairExchange(spec, logic: Concrete())
        if let problem = FairExchange<Concrete>.inputProblem(inputs, n: spec.n, mode: p.mode, M: p.M) {
            throw PalsError(.invalidArgument, problem)
        }
    }

    /// Rejects inputs on which the protocol's arithmetic would leave the
    /// 64-bit integers: for smc with F = sum, inputs some of whose sums do.
    public static func checkInputsFit(_ spec: ModelSpec, _ inputs: [Int]) throws(PalsError) {
        let spec = resolved(spec)
        if spec.protocolName == "smc", SMC<Concrete>.Variant(name: spec.variant)?.function.kind == .sum {
            // Every partial sum lies between the sum of the negative inputs
            // and the sum of the positive ones.
            var positive = 0
            var negative = 0
            for x in inputs {
                let (s, overflow) = x >= 0 ? positive.addingReportingOverflow(x) : negative.addingReportingOverflow(x)
                guard !overflow else {
                    throw PalsError(
                        .invalidArgument,
                        "the inputs \(inputs.map(String.init).joined(separator: ",")) are too large for F = sum: their sum leaves the 64-bit integers (\(Int.min)…\(Int.max))"
                    )
                }
                if x >= 0 { positive = s } else { negative = s }
            }
        }
    }

    /// The fair-exchange instance of `spec` (validated).
    @inlinable
    public static func fairExchange<L: Logic>(_ spec: ModelSpec, logic: L) -> FairExchange<L> {
        guard let mode = FairExchange<L>.Mode(rawValue: resolved(spec).variant) else {
            preconditionFailure("Invalid state: fair-exchange mode \(spec.variant) was not validated")
        }
        return FairExchange(logic: logic, n: spec.n, t: spec.t, mode: mode, M: (spec.rounds ?? defaultM + 1) - 1)
    }

    /// The UIC variant named by `spec`, over the logic `L`.
    ///
    /// - Throws: `invalidArgument` when `spec.variant` names no UIC variant.
    @inlinable
    public static func uicVariant<L: Logic>(_ spec: ModelSpec, over _: L.Type) throws(PalsError) -> UIC<L>.Variant {
        guard let variant = UIC<L>.Variant(rawValue: spec.variant) else {
            throw PalsError(.invalidArgument, "unknown uic variant \"\(spec.variant)\"")
        }
        return variant
    }

    /// The SMC variant (the function F) named by `spec`, over the logic `L`.
    ///
    /// - Throws: `invalidArgument` when `spec.variant` names no registered function.
    @inlinable
    public static func smcVariant<L: Logic>(_ spec: ModelSpec, over _: L.Type) throws(PalsError) -> SMC<L>.Variant {
        guard let variant = SMC<L>.Variant(name: spec.variant) else {
            throw PalsError(.invalidArgument, "unknown smc function \"\(spec.variant)\"")
        }
        return variant
    }

    /// Checks `spec` (n, t, rounds, protocol, variant); throws an error that
    /// names the first value out of range.
    public static func validate(_ spec: ModelSpec) throws(PalsError) {
        let spec = resolved(spec)
        guard spec.n >= 1 && spec.n <= ProcessSet.maxProcesses else {
            throw PalsError(.invalidArgument, "n = \(spec.n) is out of range: need 1 ≤ n ≤ \(ProcessSet.maxProcesses)")
        }
        guard spec.t >= 0 && spec.t < spec.n else {
            throw PalsError(.invalidArgument, "t = \(spec.t) is out of range: need 0 ≤ t < n = \(spec.n)")
        }
        if let r = spec.rounds, r < 0 || r > 64 {
            throw PalsError(.invalidArgument, "rounds = \(r) is out of range: need 0 ≤ rounds ≤ 64")
        }
        guard let entry = entries.first(where: { $0.name == spec.protocolName }) else {
            throw PalsError(
                .unknownProtocol,
                "unknown protocol \"\(spec.protocolName)\"; known: \(entries.map(\.name).joined(separator: ", "))")
        }
        guard
            entry.variants.contains(spec.variant)
                || (entry.name == "smc" && SMCFunction.registered(spec.variant) != nil)
        else {
            throw PalsError(
                .unknownProtocol,
                "unknown variant \"\(spec.variant)\" of \(entry.name); known: \(entry.variants.joined(separator: ", "))"
            )
        }
        if entry.name == "fair-exchange" {
            guard spec.n >= 2 && spec.n <= 5 else {
                throw PalsError(
                    .invalidArgument,
                    "fair-exchange needs 2 ≤ n ≤ 5 (items are packed into one input), got n = \(spec.n)")
            }
            if spec.variant == "deterministic" {
                if let r = spec.rounds, r != spec.t + 2 {
                    throw PalsError(
                        .invalidArgument, "the deterministic fair exchange runs t + 2 = \(spec.t + 2) rounds, not \(r)")
                }
            } else if let r = spec.rounds, r - 1 < 1 || r - 1 > 63 {
                throw PalsError(.invalidArgument, "M = \(r - 1) is out of range: need 1 ≤ M ≤ 63 (rounds = M + 1 ≤ 64)")
            }
        }
    }

    /// Instantiates `spec` over `Concrete` and hands it to `visitor`.
    /// Inlinable so that the engines are specialized for each protocol.
    @inlinable
    public static func visit<V: ConcreteModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
        try validate(spec)
        let spec = resolved(spec)
        let logic = Concrete()
        switch spec.protocolName {
        case "uic":
            let variant = try uicVariant(spec, over: Concrete.self)
            let p = UIC(logic: logic, n: spec.n, t: spec.t, variant: variant, rounds: spec.rounds)
            return try visitor.visit(p, properties: UIC<Concrete>.properties, describe: UIC<Concrete>.describe)
        case "floodset":
            let p = FloodSet(logic: logic, n: spec.n, t: spec.t, rounds: spec.rounds)
            return try visitor.visit(p, properties: FloodSet<Concrete>.properties, describe: { _ in "" })
        case "smc":
            let variant = try smcVariant(spec, over: Concrete.self)
            let p = SMC(logic: logic, n: spec.n, t: spec.t, variant: variant, rounds: spec.rounds)
            return try visitor.visit(
                p, properties: SMC<Concrete>.properties(for: variant), describe: UIC<Concrete>.describe)
        case "fair-exchange":
            let p = fairExchange(spec, logic: logic)
            return try visitor.visit(
                p, properties: FairExchange<Concrete>.properties, describe: FairExchange<Concrete>.describe)
        default:
            preconditionFailure("Invalid state: catalogue entry \(spec.protocolName) has no instance")
        }
    }
}

/// Receives a concrete protocol that says what its hosts observe
/// (`Observable`), for the noninterference checks.
public protocol ObservableModelVisitor {
    /// What a visit returns.
    associatedtype Result
    /// Called once, with the instance and a short note per state for diagrams.
    func visit<P: Observable & Sendable>(
        _ proto: P, describe: @escaping (P.State) -> String
    ) throws -> Result where P.L == Concrete, P.State: Hashable
}

extension Catalog {
    /// The protocols whose hosts' observations are modelled.
    public static let observable = ["smc", "fair-exchange"]

    /// Instantiates an observable protocol of `spec` and hands it to `visitor`.
    @inlinable
    public static func visitObservable<V: ObservableModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
        try validate(spec)
        let spec = resolved(spec)
        switch spec.protocolName {
        case "smc":
            let p = SMC(
                logic: Concrete(), n: spec.n, t: spec.t, variant: try smcVariant(spec, over: Concrete.self),
                rounds: spec.rounds)
            return try visitor.visit(p, describe: UIC<Concrete>.describe)
        case "fair-exchange":
            return try visitor.visit(fairExchange(spec, logic: Concrete()), describe: FairExchange<Concrete>.describe)
        default:
            throw PalsError(
                .invalidArgument,
                "\(spec.protocolName) does not model what hosts observe; use one of: \(observable.joined(separator: ", "))"
            )
        }
    }
}

extension FairExchange where L == Concrete {
    /// A short note for diagrams: `A` aborted, `C` committed, `H` halted
    /// (deterministic mode), else `-`.
    @inlinable
    public static func describe(_ s: State) -> String {
        s.committed ? "C" : s.uic.halted ? "H" : s.aborted ? "A" : "-"
    }
}

extension UIC where L == Concrete {
    /// A short note for diagrams: `H` once halted, else the trusted set size.
    @inlinable
    public static func describe(_ s: State) -> String {
        s.halted ? "H" : "T\(s.trusted.filter { $0 }.count)"
    }
}
