import Foundation
import PalsCore
import PalsExplorer
import PalsProtocols
import PalsSymbolic
import PalsZ3

/// Two runs under one failure pattern that a faulty host tells apart.
public struct InterferenceCounterexample {
    /// The instance checked.
    public var spec: ModelSpec
    /// The instance's number of rounds.
    public var rounds: Int
    /// The property violated: Unobservability or SMCPrivacy ("replay" when re-simulated from a file).
    public var property: String
    /// The engine that found it: explicit-product, symbolic, or simulate for a replay.
    public var engine: String
    /// The failure pattern both runs share.
    public var pattern: FailurePattern
    /// The inputs of run A, one per process.
    public var inputsA: [Int]
    /// The inputs of run B, one per process.
    public var inputsB: [Int]
    /// The faulty host that tells the runs apart.
    public var host: Int
    /// The first round in which its observations differ.
    public var round: Int
    /// What the host observes in that round of run A.
    public var observationA: String
    /// What the host observes in that round of run B.
    public var observationB: String
    /// A diagram of run A (states, frames, results) for the text report.
    public var diagramA: String
    /// A diagram of run B (states, frames, results) for the text report.
    public var diagramB: String
    /// Where the file was written; nil until it is.
    public var path: String?

    /// The schema identifier written in every noninterference counterexample file.
    public static let schemaID = "trustedpals/noninterference/v1"

    /// The file's name: protocol, variant, n, t, rounds, property, and "-symbolic" for the symbolic engine.
    public var fileName: String {
        "\(spec.protocolName)-\(spec.variant)-n\(spec.n)-t\(spec.t)-r\(rounds)-\(property)\(engine == "symbolic" ? "-symbolic" : "").json"
    }

    /// The file's contents: the instance, the pattern, both runs' inputs and the differing observations.
    public var json: JSON {
        .object(
            [
                ("schema", .string(Self.schemaID)),
                ("protocol", .string(spec.protocolName)),
                ("variant", .string(spec.variant)),
                ("n", .int(spec.n)),
                ("t", .int(spec.t)),
                ("rounds", .int(rounds)),
                ("property", .string(property)),
                ("engine", .string(engine)),
            ] + pattern.jsonFields + [
                ("inputsA", .array(inputsA.map { .int($0) })),
                ("inputsB", .array(inputsB.map { .int($0) })),
                ("host", .int(host)),
                ("round", .int(round)),
                ("observationA", .string(observationA)),
                ("observationB", .string(observationB)),
            ])
    }

    /// The violation for the terminal: the pattern, both runs' inputs, the differing observations, then both
    /// diagrams.
    public var text: String {
        var s = "\(property) violated: faulty \(pattern.faulty)"
        let drops = pattern.drops.map { "round \($0.round) p\($0.from)→p\($0.to)" }.joined(separator: ", ")
        s += ", dropped: \(drops.isEmpty ? "none" : drops)\n"
        s += "  run A inputs \(inputsA.map(String.init).joined(separator: ","))\n"
        s += "  run B inputs \(inputsB.map(String.init).joined(separator: ","))\n"
        s += "  host p\(host) tells them apart in round \(round):\n"
        s += "    A: \(observationA)\n    B: \(observationB)\n"
        s += "\nrun A:\n" + diagramA + "\nrun B:\n" + diagramB
        return s
    }
}

/// Simulates two runs under `pattern` and finds the first round and faulty
/// host whose observations differ (with `privacy`, the result value handed
/// over counts too); nil when none does.
public func firstInterference<P: Observable & Sendable>(
    _ proto: P, spec: ModelSpec, property: String, engine: String, pattern: FailurePattern, a: [Int], b: [Int],
    privacy: Bool, describe: @escaping (P.State) -> String
) throws -> InterferenceCounterexample? where P.L == Concrete {
    let ta = try simulate(proto, inputs: a, pattern: pattern)
    let tb = try simulate(proto, inputs: b, pattern: pattern)
    for r in stride(from: 1, through: proto.rounds, by: 1) {
        let alive = (0..<proto.n).map { !ta.crashed[r].contains($0) }
        for h in pattern.faulty {
            var oa = HostObservation.of(
                proto, host: h, round: r, before: ta.states[r - 1], after: ta.states[r][h], alive: alive
            ).text
            var ob = HostObservation.of(
                proto, host: h, round: r, before: tb.states[r - 1], after: tb.states[r][h], alive: alive
            ).text
            if privacy && r == proto.rounds {
                oa += " value \(resultText(ta.decisions[h]))"
                ob += " value \(resultText(tb.decisions[h]))"
            }
            if oa != ob {
                return InterferenceCounterexample(
                    spec: spec, rounds: proto.rounds, property: property, engine: engine, pattern: pattern, inputsA: a,
                    inputsB: b, host: h, round: r, observationA: oa, observationB: ob,
                    diagramA: Diagram.render(
                        ta, describe: describe, silent: silentLinks(proto, ta), decision: renderUserResult),
                    diagramB: Diagram.render(
                        tb, describe: describe, silent: silentLinks(proto, tb), decision: renderUserResult))
            }
        }
    }
    return nil
}

/// `(round, from, to)` ↦ the sender's module puts no frame on the wire.
public func silentLinks<P: Observable>(_ proto: P, _ trace: Trace<P>) -> (Int, Int, Int) -> Bool where P.L == Concrete {
    { r, i, j in !proto.sends(trace.states[r - 1][i], round: r, to: ProcessID(j)) }
}

/// A result as "[v0,…]" with ⊥ for missing values, or "none" when the module did not decide.
public func resultText(_ d: Decision<Concrete>) -> String {
    d.decided
        ? "[" + d.value.map { $0 == Concrete.bottomValue ? "⊥" : String($0) }.joined(separator: ",") + "]" : "none"
}

/// One noninterference property's outcome.
public struct InterferenceVerdict {
    /// The property: Unobservability or SMCPrivacy.
    public var name: String
    /// holds, violated or unknown.
    public var status: Verdict
    /// Why the verdict is unknown (the solver's reason); nil otherwise.
    public var reason: String?
    /// The two runs a faulty host tells apart, when violated.
    public var counterexample: InterferenceCounterexample?
    /// Product states the explicit engine explored; nil for the symbolic engine.
    public var states: Int?
    /// Wall-clock seconds the check took.
    public var seconds: Double
}

/// The outcome of `pals unobservability` on one instance: one verdict per property.
public struct UnobservabilityReport {
    /// The instance checked.
    public var spec: ModelSpec
    /// The engine used: explicit or symbolic.
    public var engine: String
    /// The instance's number of rounds.
    public var rounds: Int
    /// Which runs are compared under each faulty set, in words (e.g. "ρ = 1…4").
    public var runsPerFaultySet: String
    /// One verdict per property checked (smc with the explicit engine: Unobservability and SMCPrivacy).
    public var verdicts: [InterferenceVerdict]
    /// Why the explicit search stopped before deciding every property (its
    /// memory budget, an interrupt), or nil.
    public var stopReason: String? = nil
}

/// The families of runs the explicit engine compares, as the protocol's
/// catalogue entry defines them (`CataloguedProtocol.interferenceRuns`):
/// for smc, the correct processes' inputs range over `values` (default: x_i
/// and x_i + 256) while the faulty keep theirs; for fair-exchange, ρ ranges
/// over 1…M (whoever is faulty: ρ is the module's secret, not p0's host's).
/// Empty for a name the catalogue does not know.
public func interferenceRuns(_ spec: ModelSpec, values: [Int]?) -> @Sendable (ProcessSet) -> [[Int]] {
    let spec = Catalog.resolved(spec)
    guard let entry = Catalog.entry(named: spec.protocolName) else { return { _ in [] } }
    return entry.interferenceRuns(spec, values: values)
}

/// The explicit engine: the product of the family of runs under every
/// pattern; a node whose runs fall into two observation classes is a
/// violation (with `privacy`: two runs in different classes whose correct
/// processes return the same results).
public struct InterferenceVisitor: ObservableModelVisitor {
    /// The report over every property checked.
    public typealias Result = UnobservabilityReport
    /// The instance checked.
    public var spec: ModelSpec
    /// smc: the values each correct process's input ranges over; nil: x_i and x_i + 256.
    public var values: [Int]?
    /// Worker threads of the product explorer.
    public var threads: Int
    /// Stop once resident memory exceeds this many bytes; nil: no budget.
    public var maxMemory: Int? = nil
    /// Stop at the first SIGINT or SIGTERM (the caller installs the handler:
    /// `ResourceGuard.installInterrupt()`).
    public var stopOnInterrupt = false

    /// Explores the family of runs together under every pattern, for each property, and turns a violation into
    /// two runs replayed by `simulate`.
    /// - Throws: `InternalError` when the exploration and `simulate` disagree.
    public func visit<P: Observable & Sendable>(
        _ proto: P, describe: @escaping (P.State) -> String
    ) throws -> UnobservabilityReport where P.L == Concrete, P.State: Hashable {
        let entry = try Catalog.entry(spec)
        let runs = interferenceRuns(spec, values: values)
        var verdicts: [InterferenceVerdict] = []
        var stopReason: String?
        let checks: [(String, Bool)] =
            entry.checksPrivacy ? [("Unobservability", false), ("SMCPrivacy", true)] : [("Unobservability", false)]
        for (name, privacy) in checks {
            let rounds = proto.rounds
            let n = proto.n
            let observe: @Sendable (ProcessSet, Int, [P.State], [P.State]) -> [Int] = { faulty, round, before, after in
                var key: [Int] = []
                let alive = Array(repeating: true, count: n)
                for h in faulty {
                    key +=
                        HostObservation.of(proto, host: h, round: round, before: before, after: after[h], alive: alive)
                        .flat
                    if privacy && round == rounds {
                        let d = proto.decision(after[h])
                        key.append(d.decided ? 1 : 0)
                        if d.decided { key += d.value }
                    }
                }
                return key
            }
            var reporting = ProductExplorer(proto, threads: threads, runs: runs, observe: observe)
            reporting.progress = progressReporter()
            reporting.maxMemory = maxMemory
            reporting.stopOnInterrupt = stopOnInterrupt
            let explorer = reporting
            let result = try explorer.maximize { faulty, ins, node in
                guard node.classes.contains(where: { $0 != 0 }) else { return 0 }
                guard privacy else { return 1 }
                // Declassified: the correct processes' results.
                let results = node.states.map { states in
                    (0..<n).filter { !faulty.contains($0) }.map { i -> [Int] in
                        let d = proto.decision(states[i])
                        return d.decided ? d.value : [Concrete.bottomValue]
                    }
                }
                for x in 0..<ins.count {
                    for y in (x + 1)..<ins.count where node.classes[x] != node.classes[y] && results[x] == results[y] {
                        return 1
                    }
                }
                return 0
            }
            var found: InterferenceCounterexample?
            if let pattern = result.pattern {
                // The witness: a pair of runs told apart (same correct results for privacy).
                let family = runs(pattern.faulty)
                search: for x in family.indices {
                    for y in (x + 1)..<family.count {
                        let decisionsDiffer: Bool
                        if privacy {
                            let ta = try simulate(proto, inputs: family[x], pattern: pattern)
                            let tb = try simulate(proto, inputs: family[y], pattern: pattern)
                            decisionsDiffer = (0..<n).contains { i in
                                !pattern.faulty.contains(i)
                                    && resultText(ta.decisions[i]) != resultText(tb.decisions[i])
                            }
                        } else {
                            decisionsDiffer = false
                        }
                        if decisionsDiffer { continue }
                        if let c = try firstInterference(
                            proto, spec: spec, property: name, engine: "explicit-product", pattern: pattern,
                            a: family[x],
                            b: family[y], privacy: privacy, describe: describe)
                        {
                            found = c
                            break search
                        }
                    }
                }
                guard found != nil else {
                    throw InternalError("the product exploration and simulate disagree on \(name) under \(pattern)")
                }
            }
            // A violation found before a stop stands; "holds" needs every faulty set.
            let status: Verdict = found != nil ? .violated : result.stopReason != nil ? .unknown : .holds
            verdicts.append(
                InterferenceVerdict(
                    name: name, status: status, reason: found == nil ? result.stopReason : nil, counterexample: found,
                    states: result.states, seconds: result.seconds))
            stopReason = stopReason ?? result.stopReason
        }
        let sample = runs(ProcessSet()).count
        let description = entry.interferenceDescription(spec, values: values, runs: sample, largest: 0)
        return UnobservabilityReport(
            spec: spec, engine: "explicit", rounds: proto.rounds, runsPerFaultySet: description, verdicts: verdicts,
            stopReason: stopReason)
    }
}

/// Runs the symbolic noninterference check on a catalogued instance: the
/// second run's inputs vary as the protocol says
/// (`CataloguedProtocol.allowedVariation`).
struct SymbolicInterferenceVisitor: LogicObservableVisitor {
    let logic: Symbolic
    let spec: ModelSpec
    let inputs: [Int]
    let largest: Int
    let timeout: Double?

    func visit<P: StateSelecting & Observable>(_ proto: P) throws -> NoninterferenceVerdict where P.L == Symbolic {
        let spec = spec
        let inputs = inputs
        let largest = largest
        let entry = try Catalog.entry(spec)
        return try SymbolicNoninterference(proto, inputs: inputs, timeout: timeout) { l, _, b in
            entry.allowedVariation(l, spec: spec, inputs: inputs, largest: largest, b: b)
        }.run()
    }
}

/// The symbolic engine: self-composition (`SymbolicNoninterference`), the
/// witness replayed by `simulate`.
public func symbolicUnobservability(_ spec: ModelSpec, values: [Int]?, timeout: Double?) throws -> UnobservabilityReport
{
    try checkSymbolicValues(values ?? [], what: "⟪values⟫ value")
    let spec = Catalog.resolved(spec)
    try Catalog.validate(spec)
    let inputs = Catalog.defaultInputs(spec)
    let z3 = try Z3Context()
    let largest = max(inputs.max() ?? 0, values?.max() ?? 0) + 257
    let logic = Symbolic(
        context: z3,
        valueBits: Symbolic.bits(forValuesBelow: max(valueBound(spec, inputs: inputs), largest * spec.n + 1)))
    let start = ContinuousClock.now
    let verdict: NoninterferenceVerdict
    let name = "Unobservability"
    var witness: InterferenceCounterexample?
    let entry = try Catalog.entry(spec)
    if let restriction = entry.symbolicRestriction(spec) { throw PalsError(.invalidArgument, restriction) }
    verdict = try Catalog.visitObservable(
        spec,
        logic: SymbolicInterferenceVisitor(logic: logic, spec: spec, inputs: inputs, largest: largest, timeout: timeout)
    )
    var status = Verdict.holds
    var reason: String?
    switch verdict {
    case .holds: break
    case .unknown(let r):
        status = .unknown
        reason = r
    case .violated(let w):
        status = .violated
        struct Replay: ObservableModelVisitor {
            typealias Result = InterferenceCounterexample?
            var spec: ModelSpec
            var w: InterferenceWitness
            func visit<P: Observable & Sendable>(
                _ proto: P, describe: @escaping (P.State) -> String
            ) throws -> InterferenceCounterexample? where P.L == Concrete, P.State: Hashable {
                try firstInterference(
                    proto, spec: spec, property: "Unobservability", engine: "symbolic", pattern: w.pattern,
                    a: w.inputsA,
                    b: w.inputsB, privacy: false, describe: describe)
            }
        }
        guard let c = try Catalog.visitObservable(spec, Replay(spec: spec, w: w)) else {
            throw InternalError(
                "the solver's two runs (inputs \(w.inputsA) and \(w.inputsB) under \(w.pattern)) look the same to every faulty host when simulated"
            )
        }
        witness = c
    }
    return UnobservabilityReport(
        spec: spec, engine: "symbolic", rounds: try Catalog.rounds(spec),
        runsPerFaultySet: entry.interferenceDescription(spec, values: values, runs: nil, largest: largest),
        verdicts: [
            InterferenceVerdict(
                name: name, status: status, reason: reason, counterexample: witness, states: nil,
                seconds: elapsedSeconds(since: start))
        ])
}

/// The parameters of `pals unobservability` as a value; `run()` performs it.
public struct UnobservabilityRequest {
    /// The protocol to check, smc or fair-exchange; nil only with `replay`.
    public var protocolName: String?
    /// The number of processes; nil only with `replay`.
    public var n: Int?
    /// The largest number of faulty processes; nil only with `replay`.
    public var t: Int?
    /// The model options: variant, function, rounds, engine and its limits, JSON output.
    public var model: ModelParameters
    /// smc: the values each correct process's input ranges over, comma-separated, at least two distinct; nil:
    /// x_i and x_i + 256.
    public var values: String?
    /// The folder for counterexample files (written under OUT/noninterference/).
    public var out: String = "counterexamples"
    /// A noninterference counterexample file to re-simulate instead of checking; nil: check.
    public var replay: String?
    /// A file for a self-contained HTML report; nil: none.
    public var html: String?

    /// Parameters with the command line's defaults.
    public init(
        protocolName: String? = nil, n: Int? = nil, t: Int? = nil, model: ModelParameters, values: String? = nil,
        out: String = "counterexamples", replay: String? = nil, html: String? = nil
    ) {
        self.protocolName = protocolName
        self.n = n
        self.t = t
        self.model = model
        self.values = values
        self.out = out
        self.replay = replay
        self.html = html
    }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Checks Unobservability (and SMCPrivacy for smc) with the chosen engine, writes the counterexample files
    /// and returns the report; with `replay`, re-simulates that file instead.
    /// - Throws: `PalsError` for bad input; the result has exit status 1 when violated, 3 when unknown.
    public func perform() throws -> CommandResult {
        var shown = CommandResult()
        try checkWritable(html)
        if let replay { return try replayFile(replay) }
        try checkOutputFolder(out, option: "⟪out⟫", writable: false)
        guard let protocolName, let n, let t else {
            throw PalsError(.invalidArgument, "give a protocol, ⟪n⟫ and ⟪t⟫ (or ⟪replay⟫ FILE)")
        }
        let spec = Catalog.resolved(try model.spec(protocolName, n: n, t: t))
        try Catalog.validate(spec)
        guard Catalog.observable.contains(spec.protocolName) else {
            throw PalsError(
                .invalidArgument,
                "\(spec.protocolName) does not model what hosts observe; use one of: \(Catalog.observable.joined(separator: ", "))"
            )
        }
        let vals = try values.map { v throws(PalsError) in try parseInts(v, what: "⟪values⟫") }
        if let vals, vals.isEmpty || vals.contains(where: { $0 < 0 }) {
            throw PalsError(.invalidArgument, "⟪values⟫ needs non-negative integers")
        }
        // One value gives one run per faulty set: there is nothing to tell
        // apart, and "holds" would be vacuous.
        if let vals, Set(vals).count < 2 {
            throw PalsError(
                .invalidArgument,
                "⟪values⟫ needs at least two distinct values (got \(vals.map(String.init).joined(separator: ","))): runs that differ in no input cannot show a leak"
            )
        }
        // Sums of n inputs (and the symbolic engine's bound above them) must
        // fit in a 64-bit integer.
        if let vals, let largest = vals.max(), largest > Int.max / max(1, n) - 257 {
            throw PalsError(
                .invalidArgument,
                "⟪values⟫: \(largest) is too large for n = \(n); the largest allowed is \(Int.max / max(1, n) - 257) (sums of n inputs are 64-bit integers)"
            )
        }
        if vals != nil, try !Catalog.entry(spec).noninterferenceTakesValues {
            throw PalsError(
                .invalidArgument,
                "⟪values⟫ applies to \(Catalog.registered.filter { $0.isObservable && $0.noninterferenceTakesValues }.map { $0.name }.joined(separator: ", ")) only (\(spec.protocolName) varies its own secret)"
            )
        }
        var report: UnobservabilityReport
        switch try model.engine(forN: n) {
        case .explicit:
            ResourceGuard.installInterrupt()
            guard n <= ProductExplorer<SMC<Concrete>>.maxProcesses else {
                throw PalsError(
                    .invalidArgument,
                    "the explicit engine handles n ≤ \(ProductExplorer<SMC<Concrete>>.maxProcesses); use ⟪engine⟫ symbolic"
                )
            }
            report = try Catalog.visitObservable(
                spec,
                InterferenceVisitor(
                    spec: spec, values: vals, threads: max(1, model.threads), maxMemory: try model.memoryBudget(),
                    stopOnInterrupt: true))
        case .symbolic:
            report = try symbolicUnobservability(spec, values: vals, timeout: model.timeout)
        }
        for k in report.verdicts.indices {
            guard let c = report.verdicts[k].counterexample else { continue }
            report.verdicts[k].counterexample?.path = try writeFile(
                dir: (out as NSString).appendingPathComponent("noninterference"), name: c.fileName,
                text: c.json.pretty + "\n")
        }
        shown.line(model.json ? unobservabilityJSON(report).compact : unobservabilityText(report))
        if let html { try writeHTML(try unobservabilityHTML(report), to: html) }
        if let reason = report.stopReason {
            printError(
                "error: the search stopped before deciding every property: \(reason); the result above is partial")
        }
        if report.verdicts.contains(where: { $0.status == .violated }) { return shown.ending(1) }
        if report.verdicts.contains(where: { $0.status == .unknown }) { return shown.ending(3) }
        return shown
    }

    /// Re-simulates both runs of a file and says whether a faulty host still
    /// tells them apart (exit 1) or not (exit 0).
    public func replayFile(_ path: String) throws -> CommandResult {
        var shown = CommandResult()
        let j = try JSON.parse(try readText(path))
        guard j["schema"]?.stringValue == InterferenceCounterexample.schemaID else {
            throw PalsError(.unsupportedSchema, "\(path) is not a \(InterferenceCounterexample.schemaID) file")
        }
        func ints(_ key: String) throws(PalsError) -> [Int] {
            guard let items = j[key]?.arrayValue else { throw PalsError(.malformedFile, "\(path) lacks \"\(key)\"") }
            var out: [Int] = []
            for x in items {
                guard let i = x.intValue else {
                    throw PalsError(.malformedFile, "\(path): \"\(key)\" must be an array of integers")
                }
                out.append(i)
            }
            return out
        }
        guard let proto = j["protocol"]?.stringValue, let variant = j["variant"]?.stringValue, let n = j["n"]?.intValue,
            let t = j["t"]?.intValue, let rounds = j["rounds"]?.intValue, let property = j["property"]?.stringValue
        else {
            throw PalsError(
                .malformedFile, "\(path) lacks protocol, variant, n, t, rounds or property (strings and integers)")
        }
        guard rounds >= 0 && rounds <= 64 else {
            throw PalsError(.malformedFile, "\(path): rounds = \(rounds) is outside 0…64")
        }
        guard j["faulty"]?.arrayValue != nil else { throw PalsError(.malformedFile, "\(path) lacks \"faulty\"") }
        let pattern = try FailurePattern(json: j, what: path)
        let spec = ModelSpec(
            protocolName: proto, variant: variant, n: n, t: t,
            rounds: rounds)
        let a = try ints("inputsA")
        let b = try ints("inputsB")
        guard a.count == n && b.count == n else {
            throw PalsError(.malformedFile, "\(path): inputsA and inputsB need n = \(n) values each")
        }
        struct Replay: ObservableModelVisitor {
            typealias Result = InterferenceCounterexample?
            var spec: ModelSpec
            var pattern: FailurePattern
            var a: [Int]
            var b: [Int]
            var privacy: Bool
            func visit<P: Observable & Sendable>(
                _ proto: P, describe: @escaping (P.State) -> String
            ) throws -> InterferenceCounterexample? where P.L == Concrete, P.State: Hashable {
                try pattern.validate(n: proto.n, t: proto.t, rounds: proto.rounds)
                return try firstInterference(
                    proto, spec: spec, property: "replay", engine: "simulate", pattern: pattern, a: a, b: b,
                    privacy: privacy, describe: describe)
            }
        }
        let found = try Catalog.visitObservable(
            spec, Replay(spec: spec, pattern: pattern, a: a, b: b, privacy: property == "SMCPrivacy"))
        if model.json {
            shown.line(
                JSON.object([
                    ("file", .string(path)), ("property", .string(property)), ("stillViolated", .bool(found != nil)),
                ]).compact)
        } else if let found {
            shown.line(
                "\(path): still violated\n"
                    + found.text.replacingOccurrences(of: "replay violated", with: "\(property) violated"))
        } else {
            shown.line("\(path): every faulty host now observes the same in both runs")
        }
        if found != nil { return shown.ending(1) }
        return shown
    }
}

/// The report as one JSON object: the overall verdict, the instance, the engine, the runs compared and each
/// property's outcome.
public func unobservabilityJSON(_ r: UnobservabilityReport) -> JSON {
    let violated = r.verdicts.contains { $0.status == .violated }
    let unknown = r.verdicts.contains { $0.status == .unknown }
    return .object([
        ("verdict", .string(violated ? "violated" : unknown ? "unknown" : "holds")),
        ("protocol", .string(r.spec.protocolName)),
        ("variant", .string(r.spec.variant)),
        ("n", .int(r.spec.n)),
        ("t", .int(r.spec.t)),
        ("rounds", .int(r.rounds)),
        ("engine", .string(r.engine)),
        ("runs", .string(r.runsPerFaultySet)),
        (
            "properties",
            .array(
                r.verdicts.map { v in
                    .object([
                        ("name", .string(v.name)),
                        ("status", .string(v.status.rawValue)),
                        ("reason", v.reason.map { .string($0) } ?? .null),
                        ("counterexample", v.counterexample?.path.map { .string($0) } ?? .null),
                        ("host", v.counterexample.map { .int($0.host) } ?? .null),
                        ("round", v.counterexample.map { .int($0.round) } ?? .null),
                        ("states", v.states.map { .int($0) } ?? .null),
                        ("seconds", secondsJSON(v.seconds)),
                    ])
                })
        ),
        ("stopReason", r.stopReason.map { .string($0) } ?? .null),
    ])
}

/// The report for the terminal: one line per property, the overall verdict, then the first counterexample.
public func unobservabilityText(_ r: UnobservabilityReport) -> String {
    var s = "\(r.spec) — unobservability, \(r.engine) engine, \(r.rounds) round(s); runs: \(r.runsPerFaultySet)\n"
    let width = r.verdicts.map(\.name.count).max() ?? 0
    for v in r.verdicts {
        s += "  \(v.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(v.status.rawValue)"
        if let st = v.states { s += "  \(st) product states" }
        s += ", \(fmt(v.seconds)) s"
        if let reason = v.reason { s += " (\(reason))" }
        if let p = v.counterexample?.path { s += "  (\(p))" }
        s += "\n"
    }
    s += "verdict: \(Verdict.combining(r.verdicts.map(\.status)).rawValue)\n"
    if let c = r.verdicts.compactMap(\.counterexample).first { s += "\n" + c.text }
    return s
}

/// Wall-clock seconds since `start`.
public func elapsedSeconds(since start: ContinuousClock.Instant) -> Double {
    let c = (ContinuousClock.now - start).components
    return Double(c.seconds) + Double(c.attoseconds) / 1e18
}
