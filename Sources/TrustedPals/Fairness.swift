import Foundation
import PalsCore
import PalsExplorer
import PalsProtocols

/// The exact worst-case probability of an unfair fair exchange.
public struct FairnessReport {
    /// The fair-exchange instance: n, t, the mode and the number of rounds.
    public var spec: ModelSpec
    /// Deterministic (UIC on the votes) or fake rounds.
    public var mode: FairExchange<Concrete>.Mode
    /// The largest ρ of the fake-rounds mode; the run has M + 1 rounds.
    public var M: Int
    /// The number of equally likely runs (values of ρ), and the largest
    /// number of them that one failure pattern makes unfair.
    public var runs: Int
    /// The largest number of runs that one admissible failure pattern makes
    /// unfair.
    public var unfairRuns: Int
    /// The worst-case probability of unfairness, `unfairRuns` / `runs`, exact.
    public var probability: Fraction
    /// The attaining pattern and the ρ of one unfair run under it.
    public var pattern: FailurePattern?
    /// The values of ρ whose run is unfair under `pattern`, ascending (empty in
    /// the deterministic mode).
    public var unfairRhos: [Int]
    /// A counterexample run under `pattern` that violates Fairness, with its
    /// diagram and path; nil when no pattern makes a run unfair.
    public var counterexample: FoundCounterexample?
    /// The product explorer's result: the best score and its pattern, states,
    /// transitions, faulty sets and seconds (a summary for the symbolic engine).
    public var result: ProductResult
    /// The engine that computed the report: "explicit" (the product of the M
    /// runs) or "symbolic" (Z3, deterministic mode only).
    public var engine = "explicit"
    /// Why the explicit search stopped before its last faulty set, or nil;
    /// when set, `probability` is a lower bound.
    public var stopReason: String? { result.stopReason }
}

/// The deterministic mode by the solver: P(unfair) is 1 iff some admissible
/// pattern violates Fairness, 0 iff the query is UNSAT.
public func symbolicFairness(spec: ModelSpec) throws -> FairnessReport {
    let report = try runSymbolicCheck(spec: spec, symmetry: false)
    guard let fairness = report.properties.first(where: { $0.name == "Fairness" }) else {
        throw InternalError("the fair exchange has no Fairness property")
    }
    let proto = Catalog.fairExchange(spec, logic: Concrete())
    var unfair = 0
    var found: FoundCounterexample?
    switch fairness.status {
    case .holds: break
    case .violated:
        unfair = 1
        if let file = fairness.counterexample {
            let trace = try simulate(proto, inputs: file.inputs, pattern: file.pattern)
            found = FoundCounterexample(
                file: file, diagram: Diagram.render(trace, describe: FairExchange<Concrete>.describe))
        }
    case .unknown:
        throw ExitStatus(3)
    default:
        throw InternalError("the solver and simulate disagree on Fairness: \(fairness.reason ?? "")")
    }
    return FairnessReport(
        spec: spec, mode: proto.mode, M: proto.M, runs: 1, unfairRuns: unfair, probability: Fraction(unfair, 1),
        pattern: found?.file.pattern, unfairRhos: [], counterexample: found,
        result: ProductResult(
            best: unfair, pattern: found?.file.pattern, classes: [], states: 0, transitions: 0, faultySets: 0,
            seconds: fairness.seconds),
        engine: "symbolic")
}

/// Computes max over failure patterns of P_ρ(unfair): explores the M runs
/// (ρ = 1 … M, the same items) as one product under every admissible
/// pattern, and at the horizon counts the runs that violate Fairness.
///
/// Patterns are oblivious (fixed before ρ is drawn); see specs/properties.md
/// for why that is the adversary's best.
public func computeFairness(
    spec: ModelSpec, threads: Int, shard: Shard? = nil, maxMemory: Int? = nil, stopOnInterrupt: Bool = false
) throws -> FairnessReport {
    try Catalog.validate(spec)
    let proto = Catalog.fairExchange(spec, logic: Concrete())
    let rhos = proto.mode == .deterministic ? [0] : Array(1...proto.M)
    let inputs = rhos.map { FairExchange<Concrete>.matchingInputs(n: spec.n, rho: $0) }
    let fairness = FairExchange<Concrete>.fairness()
    var sharded = ProductExplorer(proto, threads: threads, runs: { _ in inputs })
    sharded.shard = shard
    sharded.progress = progressReporter()
    sharded.maxMemory = maxMemory
    sharded.stopOnInterrupt = stopOnInterrupt
    let explorer = sharded
    let result = try explorer.maximize { faulty, ins, node in
        (0..<ins.count).filter { k in
            !fairness.holds(proto, explorer.horizonContext(run: k, of: node, inputs: ins[k], faulty: faulty))
        }.count
    }
    var unfairRhos: [Int] = []
    var found: FoundCounterexample?
    func unfairCount(_ p: FailurePattern) throws -> Int {
        try inputs.filter {
            try simulate(proto, inputs: $0, pattern: p).violation(of: fairness, protocol: proto) != nil
        }.count
    }
    if let maximal = result.pattern {
        // The one shrinker: down the canonical order while the pattern still
        // attains the maximum.
        let pattern = try Shrinker.shrink(
            maximal, n: spec.n, t: spec.t, rounds: proto.rounds, model: .generalOmission
        ) { (p: FailurePattern) throws in try unfairCount(p) == result.best }
        for (k, rho) in rhos.enumerated() {
            let trace = try simulate(proto, inputs: inputs[k], pattern: pattern)
            if trace.violation(of: fairness, protocol: proto) != nil { unfairRhos.append(rho) }
        }
        guard unfairRhos.count == result.best, let first = unfairRhos.first,
            let k = rhos.firstIndex(of: first)
        else {
            throw InternalError("the product exploration and simulate disagree on the pattern \(pattern)")
        }
        let trace = try simulate(proto, inputs: inputs[k], pattern: pattern)
        let file = CounterexampleFile(
            protocolName: FairExchangeEntry.name, variant: proto.mode.rawValue, n: spec.n, t: spec.t,
            rounds: proto.rounds,
            inputs: inputs[k], pattern: pattern, property: fairness.name,
            violatedAfterRound: proto.rounds, decisions: CounterexampleFile.decisions(trace.decisions),
            engine: "explicit-product")
        found = FoundCounterexample(
            file: file, diagram: Diagram.render(trace, describe: FairExchange<Concrete>.describe))
    }
    return FairnessReport(
        spec: spec, mode: proto.mode, M: proto.M, runs: rhos.count, unfairRuns: result.best,
        probability: Fraction(result.best, rhos.count), pattern: found?.file.pattern, unfairRhos: unfairRhos,
        counterexample: found, result: result)
}

/// The parameters of `pals fairness` as a value; `run()` performs it.
public struct FairnessRequest {
    /// The number of processes.
    public var n: Int
    /// The largest number of faulty processes.
    public var t: Int
    /// ρ is drawn from 1…M (fake rounds); nil: `Catalog.defaultM`.
    public var M: Int?
    /// "fake-rounds" or "deterministic".
    public var mode: String = "fake-rounds"
    /// Worker threads of the product explorer, 1…256.
    public var threads: Int = 2
    /// Explicit, symbolic (deterministic mode only), or auto (symbolic for the
    /// deterministic mode when n > 4).
    public var engine: EngineChoice = .auto
    /// Whether the report is printed as one JSON object instead of text.
    public var json: Bool = false
    /// The folder the counterexample file is written to.
    public var out: String = "counterexamples"
    /// The path of the HTML report; nil: none.
    public var html: String?
    /// Explicit engine, with JSON output: explore only shard "I/K" of the
    /// faulty sets; `MergeRequest` combines the K outputs.
    public var shard: String?
    /// Explicit engine: stop with the partial result (a lower bound) once
    /// resident memory exceeds this size ("512M", "8G"); nil: the default budget.
    public var maxMemory: String?

    /// Parameters with the command line's defaults.
    public init(
        n: Int, t: Int, M: Int? = nil, mode: String = "fake-rounds", threads: Int = 2, engine: EngineChoice = .auto,
        json: Bool = false, out: String = "counterexamples", html: String? = nil, shard: String? = nil,
        maxMemory: String? = nil
    ) {
        self.maxMemory = maxMemory
        self.n = n
        self.t = t
        self.M = M
        self.mode = mode
        self.threads = threads
        self.engine = engine
        self.json = json
        self.out = out
        self.html = html
        self.shard = shard
    }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Computes the worst-case probability of unfairness, writes the attaining
    /// counterexample file and returns the report (or its JSON, or a shard of it).
    ///
    /// - Throws: `PalsError` for bad options; the result has exit status 3 when the solver gave
    ///   up; `InternalError` when an engine and `simulate` disagree.
    public func perform() throws -> CommandResult {
        var shown = CommandResult()
        try checkWritable(html)
        try checkOutputFolder(out, option: "⟪out⟫", writable: false)
        let shard = try parseShardOption(self.shard, json: json, html: html)
        try checkThreads(threads)
        let budget = try ModelParameters(maxMemory: maxMemory).memoryBudget()
        guard mode == "fake-rounds" || mode == "deterministic" else {
            throw PalsError(.invalidArgument, "unknown mode \"\(mode)\"; use fake-rounds or deterministic")
        }
        // The fake-rounds mode draws ρ from 1…M, M defaulting to the
        // catalogue's, as in every other command.
        let M = self.M ?? (mode == "fake-rounds" ? Catalog.defaultM : nil)
        var rounds: Int? = nil
        if let M {
            guard M >= 1 && M <= 63 else {
                throw PalsError(
                    .invalidArgument, "M = \(M) is out of range: need 1 ≤ M ≤ 63 (the run has M + 1 ≤ 64 rounds)")
            }
            if mode == "fake-rounds" { rounds = M + 1 }
        }
        let spec = ModelSpec(protocolName: FairExchangeEntry.name, variant: mode, n: n, t: t, rounds: rounds)
        let useSolver: Bool
        switch engine {
        case .explicit: useSolver = false
        case .symbolic: useSolver = true
        case .auto: useSolver = n > 4 && mode == "deterministic"
        }
        if useSolver && mode != "deterministic" {
            throw PalsError(
                .invalidArgument,
                "the symbolic engine computes the deterministic mode only (0 or 1); use ⟪engine⟫ explicit")
        }
        if useSolver && shard != nil {
            throw PalsError(.invalidArgument, "⟪shard⟫ splits the explicit engine's faulty sets; use ⟪engine⟫ explicit")
        }
        var report =
            try useSolver
            ? symbolicFairness(spec: spec)
            : try {
                ResourceGuard.installInterrupt()
                return try computeFairness(
                    spec: spec, threads: threads, shard: shard, maxMemory: budget, stopOnInterrupt: true)
            }()
        if let c = report.counterexample {
            report.counterexample?.path =
                shard == nil
                ? try writeFile(dir: out, name: c.file.suggestedFileName, text: c.file.text)
                : shardFilePath(dir: out, name: c.file.suggestedFileName)
        }
        if let shard {
            let run = JSON.object([
                ("mode", .string(mode)), ("n", .int(n)), ("t", .int(t)), ("M", M.map { .int($0) } ?? .null),
                ("engine", .string("explicit")), ("out", .string(out)),
            ])
            let file = report.counterexample.flatMap { c in c.path.map { MergedFile(path: $0, text: c.file.text) } }
            let section = ShardMerge.fairnessSection(
                shard, run: run, best: report.result.best, position: report.result.bestPosition, file: file)
            shown.line(ShardMerge.attach(fairnessJSON(report), section).compact)
        } else {
            shown.line(json ? fairnessJSON(report).compact : fairnessText(report))
        }
        if let html { try writeHTML(try fairnessHTML(report), to: html) }
        if let reason = report.stopReason {
            printError(
                "error: the search stopped before its last faulty set (\(reason)); the probability above is a lower bound"
            )
            return shown.ending(3)
        }
        return shown
    }
}

/// The JSON object of `pals fairness --json`: the probability as a fraction,
/// the attaining pattern, the unfair values of ρ and the search's size.
public func fairnessJSON(_ r: FairnessReport) -> JSON {
    .object([
        ("protocol", .string(FairExchangeEntry.name)),
        ("mode", .string(r.mode.rawValue)),
        ("n", .int(r.spec.n)),
        ("t", .int(r.spec.t)),
        ("M", r.mode == .deterministic ? .null : .int(r.M)),
        ("probability", .string(r.probability.description)),
        ("unfairRuns", .int(r.unfairRuns)),
        ("runs", .int(r.runs)),
        ("unfairRhos", .array(r.mode == .deterministic ? [] : r.unfairRhos.map { .int($0) })),
        ("faulty", r.pattern.map { p in .array(p.faulty.map { .int($0) }) } ?? .null),
        (
            "drops",
            r.pattern.map { p in
                .array(
                    p.drops.map { .object([("round", .int($0.round)), ("from", .int($0.from)), ("to", .int($0.to))]) })
            } ?? .null
        ),
        ("counterexample", r.counterexample?.path.map { .string($0) } ?? .null),
        ("engine", .string(r.engine)),
        ("states", r.engine == "symbolic" ? .null : .int(r.result.states)),
        ("transitions", r.engine == "symbolic" ? .null : .int(r.result.transitions)),
        ("complete", .bool(r.stopReason == nil)),
        ("stopReason", r.stopReason.map { .string($0) } ?? .null),
        ("seconds", secondsJSON(r.result.seconds)),
    ])
}

/// The text of `pals fairness`: the worst-case probability, the pattern that
/// attains it, the search's size and the counterexample's diagram.
public func fairnessText(_ r: FairnessReport) -> String {
    let what = r.mode == .deterministic ? "deterministic" : "fake rounds, ρ uniform in 1…\(r.M)"
    var s = "fair-exchange n=\(r.spec.n) t=\(r.spec.t) (\(what))\n"
    s += "worst-case P(unfair) \(r.stopReason == nil ? "=" : "≥") \(r.probability)"
    s += r.mode == .deterministic ? "\n" : "  (\(r.unfairRuns) of \(r.runs) values of ρ)\n"
    if let p = r.pattern {
        let drops = p.drops.map { "round \($0.round) p\($0.from)→p\($0.to)" }.joined(separator: ", ")
        s += "attained by: faulty \(p.faulty), dropped: \(drops.isEmpty ? "none" : drops)"
        s +=
            r.mode == .deterministic
            ? "\n" : " (unfair for ρ = \(r.unfairRhos.map(String.init).joined(separator: ", ")))\n"
    } else {
        s += "no failure pattern makes a run unfair\n"
    }
    if r.engine == "symbolic" {
        s += "symbolic engine (Z3, every faulty set), \(fmt(r.result.seconds)) s\n"
    } else {
        s +=
            "\(r.result.states) product states, \(r.result.transitions) transitions, \(r.result.faultySets) faulty sets, \(fmt(r.result.seconds)) s\n"
        if let reason = r.stopReason { s += "stopped before its last faulty set (\(reason)): a lower bound\n" }
    }
    if let c = r.counterexample {
        s += "\ncounterexample (\(c.path ?? "")):\n" + c.diagram
    }
    return s
}
