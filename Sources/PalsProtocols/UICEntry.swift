import PalsCore

/// Uniform Interactive Consistency in the catalogue: its variants are the
/// standard protocol and its mutants.
public enum UICEntry: CataloguedProtocol {
    /// `uic`.
    public static let name = "uic"
    /// What the protocol is.
    public static let summary = "Uniform Interactive Consistency under general omission (Parvédy & Raynal)"
    /// `standard` and the mutants.
    public static var variants: [String] { UIC<Concrete>.Variant.allCases.map(\.rawValue) }

    @inlinable
    static func instance<L: Logic>(_ spec: ModelSpec, logic: L) throws(PalsError) -> UIC<L> {
        UIC(
            logic: logic, n: spec.n, t: spec.t, variant: try Catalog.uicVariant(spec, over: L.self), rounds: spec.rounds
        )
    }

    /// The instance's rounds (t + 1 unless overridden).
    public static func rounds(_ spec: ModelSpec) -> Int { (try? instance(spec, logic: Concrete()).rounds) ?? 0 }

    /// The instance over `Concrete`, with UIC's properties.
    @inlinable
    public static func visit<V: ConcreteModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
        try visitor.visit(
            try instance(spec, logic: Concrete()), properties: UIC<Concrete>.properties,
            describe: UIC<Concrete>.describe)
    }

    /// The instance over the visitor's logic and over `Concrete`.
    @inlinable
    public static func visit<V: LogicModelVisitor>(_ spec: ModelSpec, logic visitor: V) throws -> V.Result {
        try visitor.visit(
            try instance(spec, logic: visitor.logic), properties: UIC<V.L>.properties,
            concrete: try instance(spec, logic: Concrete()), concreteProperties: UIC<Concrete>.properties)
    }
}
