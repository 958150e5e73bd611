import PalsCore

/// Receives a concrete protocol instance with its properties; lets the CLI
/// and tests run any engine on any catalogued protocol without either side
/// knowing the other.
public protocol ConcreteModelVisitor {
    associatedtype Result
    func visit<P: RoundProtocol & Sendable>(
        _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
    ) throws -> Result where P.L == Concrete, P.State: Hashable
}

/// A protocol instance as named on the command line.
public struct ModelSpec: Hashable, Sendable, CustomStringConvertible {
    public var protocolName: String
    public var variant: String
    public var n: Int
    public var t: Int
    /// Overrides the protocol's number of rounds.
    public var rounds: Int?

    public init(protocolName: String, variant: String = "standard", n: Int, t: Int, rounds: Int? = nil) {
        self.protocolName = protocolName
        self.variant = variant
        self.n = n
        self.t = t
        self.rounds = rounds
    }

    public var description: String {
        "\(protocolName)\(variant == "standard" ? "" : "/\(variant)") n=\(n) t=\(t)" + (rounds.map { " rounds=\($0)" } ?? "")
    }
}

/// The protocols the tool knows, by name.
public enum Catalog {
    public struct Entry: Sendable {
        public let name: String
        public let summary: String
        public let variants: [String]
    }

    public static let entries: [Entry] = [
        Entry(
            name: "uic", summary: "Uniform Interactive Consistency under general omission (Parvédy & Raynal)",
            variants: UIC<Concrete>.Variant.allCases.map(\.rawValue)),
        Entry(
            name: "floodset", summary: "FloodSet interactive consistency (crash-tolerant baseline)",
            variants: ["standard"]),
    ]

    /// Checks `spec` (n, t, rounds, protocol, variant) and returns the rounds
    /// the instance will run.
    public static func validate(_ spec: ModelSpec) throws(PalsError) {
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
        guard entry.variants.contains(spec.variant) else {
            throw PalsError(
                .unknownProtocol,
                "unknown variant \"\(spec.variant)\" of \(entry.name); known: \(entry.variants.joined(separator: ", "))")
        }
    }

    /// Instantiates `spec` over `Concrete` and hands it to `visitor`.
    /// Inlinable so that the engines are specialized for each protocol.
    @inlinable
    public static func visit<V: ConcreteModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
        try validate(spec)
        let logic = Concrete()
        switch spec.protocolName {
        case "uic":
            let variant = UIC<Concrete>.Variant(rawValue: spec.variant)!
            let p = UIC(logic: logic, n: spec.n, t: spec.t, variant: variant, rounds: spec.rounds)
            return try visitor.visit(p, properties: UIC<Concrete>.properties, describe: UIC<Concrete>.describe)
        case "floodset":
            let p = FloodSet(logic: logic, n: spec.n, t: spec.t, rounds: spec.rounds)
            return try visitor.visit(p, properties: FloodSet<Concrete>.properties, describe: { _ in "" })
        default:
            preconditionFailure("Invalid state: catalogue entry \(spec.protocolName) has no instance")
        }
    }
}

extension UIC where L == Concrete {
    /// A short note for diagrams: `H` once halted, else the trusted set size.
    @inlinable
    public static func describe(_ s: State) -> String {
        s.halted ? "H" : "T\(s.trusted.filter { $0 }.count)"
    }
}
