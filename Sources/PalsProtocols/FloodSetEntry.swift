import PalsCore

/// FloodSet in the catalogue: the crash-tolerant baseline, one variant.
public enum FloodSetEntry: CataloguedProtocol {
    /// `floodset`.
    public static let name = "floodset"
    /// What the protocol is.
    public static let summary = "FloodSet interactive consistency (crash-tolerant baseline)"
    /// `standard` only.
    public static let variants = ["standard"]

    /// The instance's rounds (t + 1 unless overridden).
    public static func rounds(_ spec: ModelSpec) -> Int {
        FloodSet(logic: Concrete(), n: spec.n, t: spec.t, rounds: spec.rounds).rounds
    }

    /// The instance over `Concrete`, with FloodSet's properties.
    @inlinable
    public static func visit<V: ConcreteModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
        try visitor.visit(
            FloodSet(logic: Concrete(), n: spec.n, t: spec.t, rounds: spec.rounds),
            properties: FloodSet<Concrete>.properties, describe: { _ in "" })
    }

    /// The instance over the visitor's logic and over `Concrete`.
    @inlinable
    public static func visit<V: LogicModelVisitor>(_ spec: ModelSpec, logic visitor: V) throws -> V.Result {
        try visitor.visit(
            FloodSet(logic: visitor.logic, n: spec.n, t: spec.t, rounds: spec.rounds),
            properties: FloodSet<V.L>.properties,
            concrete: FloodSet(logic: Concrete(), n: spec.n, t: spec.t, rounds: spec.rounds),
            concreteProperties: FloodSet<Concrete>.properties)
    }
}
