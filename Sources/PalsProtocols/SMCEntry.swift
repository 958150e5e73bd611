import PalsCore

/// Secure multi-party computation in the catalogue: a variant is the
/// function F (built-in, or a registered user's function), possibly
/// unpadded or mismatched.
public enum SMCEntry: CataloguedProtocol {
    /// `smc`.
    public static let name = "smc"
    /// What the protocol is.
    public static let summary = "Secure multi-party computation: F(UIC(x)) with F from the registry (seed Fig. 2)"
    /// The built-in functions and their model-only forms.
    public static var variants: [String] { SMC<Concrete>.Variant.names }
    /// `sum`.
    public static var defaultVariant: String { "sum" }
    /// `function`.
    public static var variantOption: String? { "function" }

    /// A built-in variant or a registered user's function.
    public static func accepts(variant: String) -> Bool {
        variants.contains(variant) || SMCFunction.registered(variant) != nil
    }

    @inlinable
    static func instance<L: Logic>(_ spec: ModelSpec, logic: L) throws(PalsError) -> SMC<L> {
        SMC(
            logic: logic, n: spec.n, t: spec.t, variant: try Catalog.smcVariant(spec, over: L.self), rounds: spec.rounds
        )
    }

    /// The instance's rounds.
    public static func rounds(_ spec: ModelSpec) -> Int { (try? instance(spec, logic: Concrete()).rounds) ?? 0 }

    /// The powers of two 1, 2, 4, … (distinct sets of inputs have distinct
    /// sums); for majority the votes 1, 0, 1, 0, ….
    public static func defaultInputs(_ spec: ModelSpec) -> [Int] {
        if spec.variant == "majority" { return (0..<spec.n).map { $0 % 2 == 0 ? 1 : 0 } }
        return (0..<spec.n).map { 1 << $0 }
    }

    /// With F = sum, every partial sum must stay within the 64-bit integers
    /// (F would wrap around and decide a value no one computed).
    public static func checkInputsFit(_ spec: ModelSpec, _ inputs: [Int]) throws(PalsError) {
        guard SMC<Concrete>.Variant(name: spec.variant)?.function.kind == .sum else { return }
        // Every partial sum lies between the sum of the negative inputs and
        // the sum of the positive ones.
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

    /// Sums of inputs, process indices and frame sizes (unpadded: up to
    /// 65,536 bytes).
    public static func valueBound(_ spec: ModelSpec, inputs: [Int]) -> Int {
        let frames = spec.variant.hasSuffix("unpadded") ? 65537 : 16 + 9 * spec.n + 1
        return max((inputs.max() ?? 0) + 1, inputs.reduce(0, +) + 1, spec.n + 1, frames)
    }

    /// The symbolic engine does not interpret a user's WebAssembly F.
    public static func symbolicRestriction(_ spec: ModelSpec) -> String? {
        SMCFunction.registered(spec.variant) == nil
            ? nil : "the symbolic engine does not interpret a WebAssembly F; use ⟪engine⟫ explicit"
    }

    /// The instance over `Concrete`, with the properties of its F.
    @inlinable
    public static func visit<V: ConcreteModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
        let p = try instance(spec, logic: Concrete())
        return try visitor.visit(
            p, properties: SMC<Concrete>.properties(for: try Catalog.smcVariant(spec, over: Concrete.self)),
            describe: UIC<Concrete>.describe)
    }

    /// The instance over the visitor's logic and over `Concrete`.
    @inlinable
    public static func visit<V: LogicModelVisitor>(_ spec: ModelSpec, logic visitor: V) throws -> V.Result {
        try visitor.visit(
            try instance(spec, logic: visitor.logic),
            properties: SMC<V.L>.properties(for: try Catalog.smcVariant(spec, over: V.L.self)),
            concrete: try instance(spec, logic: Concrete()),
            concreteProperties: SMC<Concrete>.properties(for: try Catalog.smcVariant(spec, over: Concrete.self)))
    }

    /// Yes: hosts see frame sizes and timing.
    public static var isObservable: Bool { true }
    /// Both unobservability and privacy.
    public static var checksPrivacy: Bool { true }

    /// The instance over `Concrete`.
    @inlinable
    public static func visitObservable<V: ObservableModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
        try visitor.visit(try instance(spec, logic: Concrete()), describe: UIC<Concrete>.describe)
    }

    /// The instance over the visitor's logic.
    @inlinable
    public static func visitObservable<V: LogicObservableVisitor>(
        _ spec: ModelSpec, logic visitor: V
    ) throws -> V.Result {
        try visitor.visit(try instance(spec, logic: visitor.logic))
    }
}
