import PalsCore
import PalsProtocols
import PalsSymbolic
import PalsZ3

/// The outcome of one property under the symbolic engine.
public struct SymbolicPropertyReport: Sendable {
    public var name: String
    public var kind: PropertyKind
    /// holds / violated / witnessed / not-witnessed / unknown /
    /// internal-disagreement (`status.rawValue`).
    public var status: SymbolicStatus
    /// Why the status is `unknown` (Z3's reason, e.g. "timeout",
    /// "sat.giveup") or `internalDisagreement` (what differs).
    public var reason: String?
    /// For `violated`: the shrunk counterexample, replayed by `simulate`
    /// (engine "symbolic").
    public var counterexample: CounterexampleFile?
    /// For `witnessed`: the failure pattern of a run that satisfies the witness.
    public var witness: FailurePattern?
    /// For `internalDisagreement`: the solver's failure pattern.
    public var solverPattern: FailurePattern?
    /// Wall-clock seconds of this property's query, replay and shrinking.
    public var seconds: Double
    /// Z3's statistics of this property's query.
    public var statistics: [SolverStatistic]
}

/// The outcome of `runSymbolicCheck`.
public struct SymbolicCheckReport: Sendable {
    public var spec: ModelSpec
    public var rounds: Int
    public var inputs: [Int]
    public var faultModel: FaultModel
    public var symmetry: Bool
    /// Per property, in the protocol's property order.
    public var properties: [SymbolicPropertyReport]
    /// violated if some property is violated; unknown if a query gave up;
    /// internal-disagreement if the solver and `simulate` disagreed; holds
    /// otherwise.
    public var verdict: SymbolicStatus
    /// Total wall-clock seconds, and those spent building the formula.
    public var seconds: Double
    public var buildSeconds: Double
    /// Z3's statistics summed over the queries.
    public var statistics: [SolverStatistic]
    /// The Z3 library version, e.g. "4.8.12".
    public var z3Version: String

    /// The counterexamples of the violated properties, in property order.
    public var counterexamples: [CounterexampleFile] { properties.compactMap(\.counterexample) }
}

/// Runs the symbolic bounded model checker (Z3) on a catalogued protocol:
/// instantiates it over `Symbolic` and over `Concrete`, checks every property
/// of the protocol, replays each solver counterexample through `simulate` on
/// the concrete instance and shrinks it.
///
/// - Parameters:
///   - faultModel: general omission (default) or crash-stop.
///   - timeout: wall-clock limit per solver query in seconds (nil: none); a
///     query that hits it reports `unknown` with reason, never `holds`.
///   - symmetry: restrict the faulty set to a subset of {p0 … p(t−1)} (sound
///     for the catalogued protocols, which are process-symmetric and
///     data-independent, with distinct inputs).
///   - inputs: one per process, non-negative (default 0, 1, …, n−1).
/// - Throws: `PalsError` for a bad spec or inputs, `Z3Error` if Z3 reports an
///   error.
public func runSymbolicCheck(
    spec: ModelSpec, faultModel: FaultModel = .generalOmission, timeout: Double? = nil, symmetry: Bool = true,
    inputs: [Int]? = nil
) throws -> SymbolicCheckReport {
    try Catalog.validate(spec)
    let inputs = inputs ?? Array(0..<spec.n)
    guard inputs.count == spec.n else {
        throw PalsError(.invalidArgument, "expected \(spec.n) inputs, got \(inputs.count)")
    }
    if let bad = inputs.first(where: { $0 < 0 }) {
        throw PalsError(.invalidArgument, "input \(bad) is negative; the symbolic engine needs inputs ≥ 0")
    }
    var options = SymbolicOptions()
    options.faultModel = faultModel
    options.timeout = timeout
    options.symmetry = symmetry
    options.inputs = inputs
    let z3 = try Z3Context()
    let logic = Symbolic(context: z3, valueBits: Symbolic.bits(forValuesBelow: (inputs.max() ?? 0) + 1))
    let result: SymbolicResult
    switch spec.protocolName {
    case "uic":
        // `Catalog.validate` has checked the variant name.
        let checker = try SymbolicChecker(
            symbolic: UIC(
                logic: logic, n: spec.n, t: spec.t, variant: UIC<Symbolic>.Variant(rawValue: spec.variant)!,
                rounds: spec.rounds),
            concrete: UIC(
                logic: Concrete(), n: spec.n, t: spec.t, variant: UIC<Concrete>.Variant(rawValue: spec.variant)!,
                rounds: spec.rounds),
            properties: UIC<Symbolic>.properties, concreteProperties: UIC<Concrete>.properties,
            select: SymbolicStates.uic(logic), options: options)
        result = try checker.run()
    case "floodset":
        let checker = try SymbolicChecker(
            symbolic: FloodSet(logic: logic, n: spec.n, t: spec.t, rounds: spec.rounds),
            concrete: FloodSet(logic: Concrete(), n: spec.n, t: spec.t, rounds: spec.rounds),
            properties: FloodSet<Symbolic>.properties, concreteProperties: FloodSet<Concrete>.properties,
            select: SymbolicStates.floodSet(logic), options: options)
        result = try checker.run()
    default:
        throw PalsError(.unknownProtocol, "the symbolic engine has no instance of \"\(spec.protocolName)\"")
    }
    let properties = result.verdicts.map { v in
        SymbolicPropertyReport(
            name: v.name, kind: v.kind, status: v.status, reason: v.reason,
            counterexample: v.status == .violated
                ? CounterexampleFile(
                    protocolName: spec.protocolName, variant: spec.variant, n: spec.n, t: spec.t,
                    rounds: result.rounds, faultModel: faultModel, inputs: inputs, pattern: v.pattern!,
                    property: v.name, violatedAfterRound: v.violatedAfterRound!, decisions: v.decisions!,
                    engine: "symbolic")
                : nil,
            witness: v.status == .witnessed ? v.pattern : nil,
            solverPattern: v.status == .internalDisagreement ? v.solverPattern : nil,
            seconds: v.seconds, statistics: v.statistics)
    }
    return SymbolicCheckReport(
        spec: spec, rounds: result.rounds, inputs: inputs, faultModel: faultModel, symmetry: symmetry,
        properties: properties, verdict: result.verdict, seconds: result.seconds, buildSeconds: result.buildSeconds,
        statistics: result.statistics, z3Version: Z3Context.version)
}

/// Field-wise `ite` on the states of the catalogued protocols over
/// `Symbolic` (the checker needs it to keep a crashed process's state).
enum SymbolicStates {
    static func uic(_ l: Symbolic) -> SymbolicStateSelect<UIC<Symbolic>.State> {
        { c, a, b in
            UIC<Symbolic>.State(
                me: a.me,
                view: zip(a.view, b.view).map { l.select(c, $0, $1) },
                trusted: zip(a.trusted, b.trusted).map { l.ite(c, $0, $1) },
                halted: l.ite(c, a.halted, b.halted))
        }
    }

    static func floodSet(_ l: Symbolic) -> SymbolicStateSelect<FloodSet<Symbolic>.State> {
        { c, a, b in FloodSet<Symbolic>.State(me: a.me, view: zip(a.view, b.view).map { l.select(c, $0, $1) }) }
    }
}
