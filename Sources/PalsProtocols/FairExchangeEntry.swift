import PalsCore

/// Fair exchange in the catalogue: a variant is a mode (deterministic, fake
/// rounds, or the model-only leaky fake rounds); the run's length is M + 1.
public enum FairExchangeEntry: CataloguedProtocol {
    /// `fair-exchange`.
    public static let name = "fair-exchange"
    /// What the protocol is.
    public static let summary =
        "Fair exchange on security modules (Avoine et al.): deterministic (UIC on votes) or fake rounds"
    /// The modes.
    public static var variants: [String] { FairExchange<Concrete>.Mode.allCases.map(\.rawValue) }
    /// `fake-rounds`.
    public static var defaultVariant: String { FairExchange<Concrete>.Mode.fakeRounds.rawValue }
    /// `mode`.
    public static var variantOption: String? { "mode" }
    /// Yes: rounds = M + 1.
    public static var roundsAreFakeRounds: Bool { true }

    /// 2 ≤ n ≤ 5 (items are packed into one input); the deterministic mode
    /// runs t + 2 rounds; the fake-rounds modes need 1 ≤ M ≤ 63.
    public static func validate(_ spec: ModelSpec) throws(PalsError) {
        guard spec.n >= 2 && spec.n <= 5 else {
            throw PalsError(
                .invalidArgument,
                "fair-exchange needs 2 ≤ n ≤ 5 (items are packed into one input), got n = \(spec.n)")
        }
        if spec.variant == FairExchange<Concrete>.Mode.deterministic.rawValue {
            if let r = spec.rounds, r != spec.t + 2 {
                throw PalsError(
                    .invalidArgument, "the deterministic fair exchange runs t + 2 = \(spec.t + 2) rounds, not \(r)")
            }
        } else if let r = spec.rounds, r - 1 < 1 || r - 1 > 63 {
            throw PalsError(.invalidArgument, "M = \(r - 1) is out of range: need 1 ≤ M ≤ 63 (rounds = M + 1 ≤ 64)")
        }
    }

    /// Items that match every description, ρ = 1 (fake rounds) or 0.
    public static func defaultInputs(_ spec: ModelSpec) -> [Int] {
        FairExchange<Concrete>.matchingInputs(
            n: spec.n, rho: spec.variant == FairExchange<Concrete>.Mode.deterministic.rawValue ? 0 : 1)
    }

    /// Inputs must be packed items and descriptions, with ρ in 1…M.
    public static func checkInputs(_ spec: ModelSpec, _ inputs: [Int]) throws(PalsError) {
        let p = Catalog.fairExchange(spec, logic: Concrete())
        if let problem = FairExchange<Concrete>.inputProblem(inputs, n: spec.n, mode: p.mode, M: p.M) {
            throw PalsError(.invalidArgument, problem)
        }
    }

    /// Packed inputs (items, descriptions, ρ) and their bound, frame sizes,
    /// rounds.
    public static func valueBound(_ spec: ModelSpec, inputs: [Int]) -> Int {
        max(
            (inputs.max() ?? 0) + 1, (1 << (4 * (spec.n + 1) + 8)) + 1, 4 + 9 * (spec.n + 1) + 1,
            (spec.rounds ?? Catalog.defaultM + 1) + 1)
    }

    /// The mode's rounds: t + 2, or M + 1.
    public static func rounds(_ spec: ModelSpec) -> Int { Catalog.fairExchange(spec, logic: Concrete()).rounds }

    /// The instance over `Concrete`.
    @inlinable
    public static func visit<V: ConcreteModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
        try visitor.visit(
            Catalog.fairExchange(spec, logic: Concrete()), properties: FairExchange<Concrete>.properties,
            describe: FairExchange<Concrete>.describe)
    }

    /// The instance over the visitor's logic and over `Concrete`.
    @inlinable
    public static func visit<V: LogicModelVisitor>(_ spec: ModelSpec, logic visitor: V) throws -> V.Result {
        try visitor.visit(
            Catalog.fairExchange(spec, logic: visitor.logic), properties: FairExchange<V.L>.properties,
            concrete: Catalog.fairExchange(spec, logic: Concrete()),
            concreteProperties: FairExchange<Concrete>.properties)
    }

    /// Yes: hosts see frames and when the exchange ends.
    public static var isObservable: Bool { true }
    /// No: ρ is the secret, not inputs.
    public static var noninterferenceTakesValues: Bool { false }

    /// The instance over `Concrete`.
    @inlinable
    public static func visitObservable<V: ObservableModelVisitor>(_ spec: ModelSpec, _ visitor: V) throws -> V.Result {
        try visitor.visit(Catalog.fairExchange(spec, logic: Concrete()), describe: FairExchange<Concrete>.describe)
    }

    /// The instance over the visitor's logic.
    @inlinable
    public static func visitObservable<V: LogicObservableVisitor>(
        _ spec: ModelSpec, logic visitor: V
    ) throws -> V.Result {
        try visitor.visit(Catalog.fairExchange(spec, logic: visitor.logic))
    }

    /// ρ ranges over 1…M, whoever is faulty: ρ is the module's secret, not
    /// p0's host's.
    public static func interferenceRuns(_ spec: ModelSpec, values: [Int]?) -> @Sendable (ProcessSet) -> [[Int]] {
        let M = rounds(spec) - 1
        let runs = (1...max(1, M)).map { FairExchange<Concrete>.matchingInputs(n: spec.n, rho: $0) }
        return { _ in runs }
    }

    /// ρ's range.
    public static func interferenceDescription(_ spec: ModelSpec, values: [Int]?, runs: Int?, largest: Int) -> String {
        runs == nil ? "ρ free in 1…\(rounds(spec) - 1)" : "ρ = 1…\(rounds(spec) - 1)"
    }

    /// Only ρ changes: every other field equal, ρ in 1…M.
    public static func allowedVariation<L: Logic>(
        _ l: L, spec: ModelSpec, inputs: [Int], largest: Int, b: [L.Value]
    ) -> L.Bit {
        let n = spec.n
        let low = FairExchange<L>.fieldBits * (n + 1)
        let rhoBits = FairExchange<L>.rhoBits
        let M = Catalog.fairExchange(spec, logic: Concrete()).M
        var parts: [L.Bit] = []
        for i in 1..<n { parts.append(l.equal(b[i], l.value(inputs[i]))) }
        let rho = l.bitField(b[0], low: low, count: rhoBits)
        parts.append(l.equal(l.bitField(b[0], low: 0, count: low), l.value(inputs[0] & ((1 << low) - 1))))
        parts.append(l.less(b[0], l.value(1 << (low + rhoBits))))
        parts.append(l.less(l.value(0), rho))
        parts.append(l.not(l.less(l.value(M), rho)))
        return l.all(parts)
    }
}
