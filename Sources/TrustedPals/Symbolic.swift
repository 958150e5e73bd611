import PalsCore
import PalsExplorer
import PalsProtocols
import PalsSymbolic
import PalsZ3

/// The outcome of one property under the symbolic engine.
public struct SymbolicPropertyReport: Sendable {
    /// The property's name, as the protocol declares it (e.g. "UniformAgreement").
    public var name: String
    /// Whether the property is an invariant, checked after round R, or a witness.
    public var kind: PropertyKind
    /// holds / violated / witnessed / not-witnessed / unknown /
    /// internal-disagreement (`status.rawValue`).
    public var status: Verdict
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
    /// The checked model, with the catalogue's defaults filled in.
    public var spec: ModelSpec
    /// The number of rounds R the runs were unrolled to.
    public var rounds: Int
    /// The inputs of p0 … p(n−1).
    public var inputs: [Int]
    /// The fault model of the failure patterns searched.
    public var faultModel: FaultModel
    /// Whether the faulty set was fixed within {p0 … p(t−1)}; false when every
    /// faulty set was searched (SMC, fair exchange, or repeated inputs).
    public var symmetry: Bool
    /// Per property, in the protocol's property order.
    public var properties: [SymbolicPropertyReport]
    /// violated if some property is violated; unknown if a query gave up;
    /// internal-disagreement if the solver and `simulate` disagreed; holds
    /// otherwise.
    public var verdict: Verdict
    /// Total wall-clock seconds, and those spent building the formula.
    public var seconds: Double
    /// Wall-clock seconds spent building the formula, part of `seconds`.
    public var buildSeconds: Double
    /// Z3's statistics summed over the queries.
    public var statistics: [SolverStatistic]
    /// The Z3 library version, e.g. "4.8.12".
    public var z3Version: String
    /// Why the check stopped before deciding every property (an interrupt, the memory budget), or nil.
    public var stopReason: String?
    /// The Z3 solver each query went to.
    public var solver: Z3SolverKind = .bitBlastSAT

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
///   - stopAtFirstViolation: leave the properties after the first violated
///     one `unchecked`.
///   - solver: the Z3 solver of each query (bit-blasting straight to SAT by default).
///   - progress: receives progress lines while each property is checked (`SymbolicOptions.progress`).
///   - stopReason: polled while each property is checked; a reason stops the check with a partial
///     result (`SymbolicOptions.stopReason`).
///   - threads: threads that replay the shrinker's candidates side by side (the same counterexamples
///     for every value).
/// - Throws: `PalsError` for a bad spec or inputs, `Z3Error` if Z3 reports an
///   error.
public func runSymbolicCheck(
    spec: ModelSpec, faultModel: FaultModel = .generalOmission, timeout: Double? = nil, symmetry: Bool = true,
    inputs: [Int]? = nil, stopAtFirstViolation: Bool = false, solver: Z3SolverKind = .bitBlastSAT,
    progress: (@Sendable (String) -> Void)? = nil, stopReason: (@Sendable () -> String?)? = nil, threads: Int = 1
) throws -> SymbolicCheckReport {
    try Catalog.validate(spec)
    let spec = Catalog.resolved(spec)
    let inputs = inputs ?? Catalog.defaultInputs(spec)
    try Catalog.checkInputs(spec, inputs)
    guard inputs.count == spec.n else {
        throw PalsError(.invalidArgument, "expected \(spec.n) inputs, got \(inputs.count)")
    }
    if let bad = inputs.first(where: { $0 < 0 }) {
        throw PalsError(.invalidArgument, "input \(bad) is negative; the symbolic engine needs inputs ≥ 0")
    }
    try checkSymbolicValues(inputs, what: "input")
    var options = SymbolicOptions()
    options.faultModel = faultModel
    options.timeout = timeout
    options.symmetry = symmetry
    options.inputs = inputs
    options.stopAtFirstViolation = stopAtFirstViolation
    options.solver = solver
    options.progress = progress
    options.stopReason = stopReason
    options.shrinkThreads = max(1, threads)
    let z3 = try Z3Context()
    let logic = Symbolic(context: z3, valueBits: Symbolic.bits(forValuesBelow: valueBound(spec, inputs: inputs)))
    if let restriction = try Catalog.entry(spec).symbolicRestriction(spec) {
        throw PalsError(.invalidArgument, restriction)
    }
    let (result, symmetric) = try Catalog.visit(spec, logic: SymbolicCheckVisitor(logic: logic, options: options))
    options.symmetry = symmetric
    let properties = result.verdicts.map { v in
        var counterexample: CounterexampleFile?
        if v.status == .violated, let pattern = v.pattern, let after = v.violatedAfterRound,
            let decisions = v.decisions
        {
            counterexample = CounterexampleFile(
                protocolName: spec.protocolName, variant: spec.variant, n: spec.n, t: spec.t,
                rounds: result.rounds, faultModel: faultModel, inputs: inputs, pattern: pattern,
                property: v.name, violatedAfterRound: after, decisions: decisions, engine: "symbolic")
        }
        return SymbolicPropertyReport(
            name: v.name, kind: v.kind, status: v.status, reason: v.reason,
            counterexample: counterexample,
            witness: v.status == .witnessed ? v.pattern : nil,
            solverPattern: v.status == .internalDisagreement ? v.solverPattern : nil,
            seconds: v.seconds, statistics: v.statistics)
    }
    return SymbolicCheckReport(
        spec: spec, rounds: result.rounds, inputs: inputs, faultModel: faultModel, symmetry: options.symmetry,
        properties: properties, verdict: result.verdict, seconds: result.seconds, buildSeconds: result.buildSeconds,
        statistics: result.statistics, z3Version: Z3Context.version, stopReason: result.stopReason,
        solver: solver)
}

/// The largest value the symbolic engine is given (2^40 − 1): with n ≤ 64,
/// every sum and product the engines form from such values stays far from
/// overflow, and the bit-vectors stay at most 47 bits wide.
public let symbolicValueLimit = (1 << 40) - 1

/// Values beyond what the symbolic engine represents are an input error.
public func checkSymbolicValues(_ values: [Int], what: String) throws(PalsError) {
    if let bad = values.first(where: { $0 < 0 || $0 > symbolicValueLimit }) {
        throw PalsError(
            .invalidArgument,
            "\(what) \(bad) is out of the symbolic engine's range 0…\(symbolicValueLimit) (2^40 − 1); use the explicit engine for other values"
        )
    }
}

/// An exclusive upper bound on every value a protocol of `spec` computes
/// with on `inputs` (`CataloguedProtocol.valueBound`): the symbolic values
/// must be wide enough that no sum wraps around and no constant collides
/// with ⊥.
public func valueBound(_ spec: ModelSpec, inputs: [Int]) -> Int {
    let spec = Catalog.resolved(spec)
    return Catalog.entry(named: spec.protocolName)?.valueBound(spec, inputs: inputs) ?? (inputs.max() ?? 0) + 1
}

/// Runs the symbolic checker on a catalogued instance; symmetry breaking
/// only for process-symmetric protocols (SMC's F sees positions and
/// values, fair exchange's ρ sits at p0: every faulty set is searched).
struct SymbolicCheckVisitor: LogicModelVisitor {
    let logic: Symbolic
    let options: SymbolicOptions

    func visit<S: StateSelecting, C: RoundProtocol & Sendable>(
        _ proto: S, properties: [Property<S>], concrete: C, concreteProperties: [Property<C>]
    ) throws -> (SymbolicResult, symmetric: Bool) where S.L == Symbolic, C.L == Concrete, C.State: Hashable {
        var options = options
        options.symmetry = options.symmetry && S.self is any ProcessSymmetric.Type
        let result = try SymbolicChecker(
            symbolic: proto, concrete: concrete, properties: properties, concreteProperties: concreteProperties,
            options: options
        ).run()
        return (result, options.symmetry)
    }
}

// MARK: - The symbolic engine on the command line

/// Checks `spec` with the symbolic engine and writes every counterexample file
/// into `out` (the same schema and file names as the explicit engine), each
/// with the diagram of its concrete `simulate` run; the report is the one
/// the explicit engine gives (`CheckReport`), its effort `.solved`.
///
/// The faulty set is fixed within {p0 … p(t−1)} whenever the inputs are
/// distinct (sound for the catalogued protocols, which are process-symmetric
/// and data-independent); with repeated inputs every faulty set is searched.
///
/// With `maxMemory` (bytes) the check stops, with a partial result, once the
/// process's resident memory exceeds it, and after
/// `ResourceGuard.installInterrupt()` at the first SIGINT or SIGTERM; a
/// running solver query is interrupted. Progress lines go to `progress`.
public func symbolicCheckWritingFiles(
    spec: ModelSpec, faultModel: FaultModel, timeout: Double?, inputs: [Int]?, out: String,
    stopAtFirstViolation: Bool = false, maxMemory: Int? = nil, progress: (@Sendable (String) -> Void)? = nil,
    threads: Int = 1
) throws -> CheckReport {
    let symmetry = inputs.map { Set($0).count == $0.count } ?? true
    let report = try runSymbolicCheck(
        spec: spec, faultModel: faultModel, timeout: timeout, symmetry: symmetry, inputs: inputs,
        stopAtFirstViolation: stopAtFirstViolation, progress: progress,
        stopReason: {
            ResourceGuard.stopReason(
                maxMemory: maxMemory, stopOnInterrupt: true, resident: ResourceGuard.residentBytes())
        }, threads: threads)
    var found: [FoundCounterexample] = []
    for file in report.counterexamples {
        let replay = try Catalog.visit(
            spec, ReplayVisitor(inputs: file.inputs, pattern: file.pattern, model: file.faultModel))
        let path = try writeFile(dir: out, name: file.suggestedFileName, text: file.text)
        found.append(FoundCounterexample(file: file, diagram: replay.diagram, path: path))
    }
    return CheckReport(
        spec: report.spec, rounds: report.rounds, inputs: report.inputs, effort: .solved(report),
        counterexamples: found)
}

/// Z3's statistics as a JSON object, in Z3's order (integral values as
/// integers).
public func statisticsJSON(_ stats: [SolverStatistic]) -> JSON {
    .object(
        stats.map { s in
            (s.key, s.value.rounded() == s.value && abs(s.value) < 1e15 ? .int(Int(s.value)) : .double(s.value))
        })
}

/// Sums statistics of several queries or cells (maxima for memory keys), in
/// order of first appearance.
public func sumStatistics(_ lists: [[SolverStatistic]]) -> [SolverStatistic] {
    var totals: [SolverStatistic] = []
    for list in lists {
        for s in list {
            if let i = totals.firstIndex(where: { $0.key == s.key }) {
                totals[i].value = s.key.contains("memory") ? max(totals[i].value, s.value) : totals[i].value + s.value
            } else {
                totals.append(s)
            }
        }
    }
    return totals
}

/// The `solver` object of the JSON output.
public func solverJSON(
    version: String, timeout: Double?, statistics: [SolverStatistic], method: String = SymbolicOptions().solver.name
) -> JSON {
    .object([
        ("name", .string("z3")),
        ("version", .string(version)),
        ("method", .string(method)),
        ("timeout", timeout.map { .double($0) } ?? .null),
        ("statistics", statisticsJSON(statistics)),
    ])
}

/// Seconds rounded to milliseconds, as in the explicit engine's JSON.
public func secondsJSON(_ x: Double) -> JSON { .double((x * 1000).rounded() / 1000) }

/// `pals check --engine symbolic --json`: the explicit engine's keys
/// (`states` is null: the symbolic engine enumerates no states), plus
/// `engine`, `faults`, `solver` and per property `reason` and `seconds`.
func symbolicCheckJSON(_ c: CheckReport, timeout: Double?) -> JSON {
    guard let r = c.solved else { return checkJSON(c, symmetry: false, timeout: timeout) }
    return .object([
        ("verdict", .string(r.verdict.rawValue)),
        ("protocol", .string(r.spec.protocolName)),
        ("variant", .string(r.spec.variant)),
        ("n", .int(r.spec.n)),
        ("t", .int(r.spec.t)),
        ("rounds", .int(r.rounds)),
        ("engine", .string("symbolic")),
        ("faults", .string(r.faultModel.rawValue)),
        ("symmetry", .bool(r.symmetry)),
        ("inputs", .array(r.inputs.map { .int($0) })),
        (
            "properties",
            .array(
                r.properties.map { p in
                    .object([
                        ("name", .string(p.name)),
                        ("kind", .string(p.kind.rawValue)),
                        ("status", .string(p.status.rawValue)),
                        ("counterexample", c.counterexample(for: p.name)?.path.map { .string($0) } ?? .null),
                        ("reason", p.reason.map { .string($0) } ?? .null),
                        ("seconds", secondsJSON(p.seconds)),
                    ])
                })
        ),
        ("states", .null),
        ("seconds", secondsJSON(r.seconds)),
        ("buildSeconds", secondsJSON(r.buildSeconds)),
        ("counterexample", c.counterexamples.first?.path.map { .string($0) } ?? .null),
        ("complete", .bool(r.stopReason == nil)),
        ("stopReason", r.stopReason.map { .string($0) } ?? .null),
        ("solver", solverJSON(version: r.z3Version, timeout: timeout, statistics: r.statistics, method: r.solver.name)),
    ])
}

/// `pals check --engine symbolic` as text: a verdict per property (with the
/// reason of an unknown or a disagreement), times, and the first
/// counterexample's path and diagram.
func symbolicCheckText(_ c: CheckReport) -> String {
    guard let r = c.solved else { return checkText(c) }
    let candidates =
        r.symmetry ? (r.spec.t == 0 ? "none faulty" : "faulty set ⊆ {p0 … p\(r.spec.t - 1)}") : "every faulty set"
    var s = "\(r.spec) — \(r.rounds) round(s), inputs \(r.inputs.map(String.init).joined(separator: ","))"
    s += ", \(r.faultModel.rawValue) faults\n"
    s += "  symbolic engine: Z3 \(r.z3Version), \(candidates)\n"
    let width = r.properties.map(\.name.count).max() ?? 0
    let statusWidth = r.properties.map(\.status.rawValue.count).max() ?? 0
    for p in r.properties {
        s += "  \(p.name.padding(toLength: width, withPad: " ", startingAt: 0))  "
        s += "\(p.status.rawValue.padding(toLength: statusWidth, withPad: " ", startingAt: 0))  \(fmt(p.seconds)) s"
        if let f = c.counterexample(for: p.name) {
            s +=
                "  (\(f.file.pattern.faulty.count) faulty, \(f.file.pattern.drops.count) dropped, \(f.file.pattern.crashes.count) crashed; \(f.path ?? ""))"
        }
        if let reason = p.reason { s += "  (\(reason))" }
        s += "\n"
    }
    s += "  built in \(fmt(r.buildSeconds)) s, \(fmt(r.seconds)) s in all\n"
    if let reason = r.stopReason { s += "  stopped (\(reason)): the properties left unknown were not decided\n" }
    s += "verdict: \(r.verdict.rawValue)"
    switch r.verdict {
    case .holds: s += " (verified for every admissible failure pattern at n=\(r.spec.n), t=\(r.spec.t))\n"
    case .unknown: s += " (some query gave up: nothing is claimed for it)\n"
    case .internalDisagreement: s += " (the solver and simulate disagree: a bug in the tool)\n"
    default: s += "\n"
    }
    if let f = c.counterexamples.first {
        s += "\ncounterexample for \(f.file.property) (\(f.path ?? "")):\n" + f.diagram
    }
    return s
}
