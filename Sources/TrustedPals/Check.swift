import Foundation
import PalsCore
import PalsExplorer
import PalsProtocols

/// A violated property with its (shrunk) counterexample, ready to write.
public struct FoundCounterexample {
    /// The counterexample file: instance, inputs, failure pattern, violated
    /// property and decisions.
    public var file: CounterexampleFile
    /// The space-time diagram of the counterexample's `simulate` run.
    public var diagram: String
    /// The path the file was written to (in a shard: where `pals merge` writes
    /// it); nil before it has one.
    public var path: String?
}

/// What an engine did to reach a check's verdicts.
public enum CheckEffort {
    /// The explicit explorer's search: verdicts with their violations,
    /// states, transitions, faulty sets, levels, seconds.
    case explored(ExplorationResult)
    /// The symbolic engine's queries: per property its reason, seconds and
    /// solver statistics; the solver's version.
    case solved(SymbolicCheckReport)
}

/// One property's verdict in a check, whichever engine decided it.
public struct PropertyOutcome: Sendable {
    /// The property's name, e.g. `UniformAgreement`.
    public var name: String
    /// Invariant, final or witness.
    public var kind: PropertyKind
    /// Holds, violated, witnessed, unknown, …
    public var status: Verdict
    /// Why the engine did not decide it (the solver's reason), if it did not.
    public var reason: String?
}

/// The outcome of one check, whichever engine ran it: a verdict per
/// property, a counterexample per violated property, and what the engine did
/// (`effort`: states and transitions, or solver statistics). `pals check`,
/// every cell of `pals bounds` and the library's callers get this one type.
///
/// The accessors that switch over `effort` are `@inline(never)`: Swift
/// 6.3.1's optimizer (CopyPropagation) crashes when such a switch is inlined
/// into a loop over reports.
public struct CheckReport {
    /// The checked instance, with the catalogue's defaults filled in.
    public var spec: ModelSpec
    /// The number of rounds R of the checked runs.
    public var rounds: Int
    /// The inputs of p0 … p(n−1).
    public var inputs: [Int]
    /// What the engine did: the explicit search or the solver's queries.
    public var effort: CheckEffort
    /// One per violated property, in property order.
    public var counterexamples: [FoundCounterexample]
    /// Whether the explicit search was reduced by symmetry (faulty sets up to
    /// renaming, one global state per orbit).
    public var symmetry = false

    /// A report of either engine.
    public init(
        spec: ModelSpec, rounds: Int, inputs: [Int], effort: CheckEffort, counterexamples: [FoundCounterexample]
    ) {
        self.spec = spec
        self.rounds = rounds
        self.inputs = inputs
        self.effort = effort
        self.counterexamples = counterexamples
    }

    /// The counterexample of the property named `property`, or nil when it was
    /// not violated.
    public func counterexample(for property: String) -> FoundCounterexample? {
        counterexamples.first { $0.file.property == property }
    }

    /// The engine that checked the instance.
    @inline(never)
    public var engine: Engine {
        switch effort {
        case .explored: return .explicit
        case .solved: return .symbolic
        }
    }

    /// The explicit search, when the explicit engine ran.
    @inline(never)
    public var explored: ExplorationResult? {
        guard case .explored(let r) = effort else { return nil }
        return r
    }

    /// The symbolic engine's report, when it ran.
    @inline(never)
    public var solved: SymbolicCheckReport? {
        guard case .solved(let r) = effort else { return nil }
        return r
    }

    /// Every property's verdict, in property order.
    @inline(never)
    public var properties: [PropertyOutcome] {
        switch effort {
        case .explored(let r):
            return r.verdicts.map { PropertyOutcome(name: $0.name, kind: $0.kind, status: $0.status, reason: nil) }
        case .solved(let r):
            return r.properties.map {
                PropertyOutcome(name: $0.name, kind: $0.kind, status: $0.status, reason: $0.reason)
            }
        }
    }

    /// The check's verdict (`Verdict.combining` of the properties').
    @inline(never)
    public var verdict: Verdict {
        switch effort {
        case .explored(let r): return r.verdict
        case .solved(let r): return r.verdict
        }
    }

    /// The process exit status of the verdict: 0 holds, 1 violated, 3
    /// unknown, 4 internal disagreement.
    public var exitStatus: Int32 { verdict.exitStatus }

    /// Each safety property's verdict (witnesses excluded).
    public var propertyStatuses: [(name: String, status: Verdict)] {
        properties.filter { $0.kind != .sometimes }.map { ($0.name, $0.status) }
    }

    /// The names of the violated properties, in property order.
    public var violated: [String] { properties.filter { $0.status == .violated }.map(\.name) }

    /// Properties the engine could not decide, with the reason (the
    /// symbolic engine's unknown queries and disagreements).
    public var unknown: [(name: String, reason: String)] {
        guard case .solved = effort else { return [] }
        return properties.filter { $0.status == .unknown || $0.status == .internalDisagreement }
            .map { ($0.name, $0.reason ?? "") }
    }

    /// Explored states (explicit engine only).
    public var states: Int? { explored?.states }

    /// Wall-clock seconds spent checking.
    @inline(never)
    public var seconds: Double {
        switch effort {
        case .explored(let r): return r.seconds
        case .solved(let r): return r.seconds
        }
    }

    /// Why the search stopped before deciding every property (memory
    /// budget, interrupt), if it did.
    public var stopReason: String? { explored?.stopReason ?? solved?.stopReason }

    /// The path of the first counterexample file, if any.
    public var counterexamplePath: String? { counterexamples.first?.path }
}

/// Runs the explicit explorer on a catalogued protocol.
public struct CheckVisitor: ConcreteModelVisitor {
    /// The visitor's outcome: the check of the visited protocol.
    public typealias Result = CheckReport
    /// The instance the visited protocol was built from.
    public var spec: ModelSpec
    /// The inputs of p0 … p(n−1); nil: the catalogue's defaults for `spec`.
    public var inputs: [Int]?
    /// The explorer's options: fault model, symmetry, threads, memory budget,
    /// shard.
    public var options: ExplorerOptions
    /// Reduce by symmetry wherever that is sound (the protocol declares
    /// process symmetry and the inputs are distinct), even when `options`
    /// does not ask for it.
    public var symmetryWhereSound = false

    /// A check of `spec` on `inputs` (nil: the catalogue's defaults) with the
    /// explorer's `options`; `Catalog.visit(spec, visitor)` runs it.
    public init(
        spec: ModelSpec, inputs: [Int]? = nil, options: ExplorerOptions = ExplorerOptions(),
        symmetryWhereSound: Bool = false
    ) {
        self.spec = spec
        self.inputs = inputs
        self.options = options
        self.symmetryWhereSound = symmetryWhereSound
    }

    /// Explores every admissible failure pattern of `proto` against
    /// `properties`, and replays each violation through `simulate` into a
    /// counterexample file whose diagram renders states with `describe`.
    public func visit<P: RoundProtocol & Sendable>(
        _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
    ) throws -> CheckReport where P.L == Concrete, P.State: Hashable {
        let spec = Catalog.resolved(self.spec)
        let inputs = self.inputs ?? Catalog.defaultInputs(spec)
        var options = self.options
        if symmetryWhereSound && proto is any ProcessSymmetric && Set(inputs).count == inputs.count {
            options.symmetry = true
            options.canonicalStates = true
        }
        let result = try Explorer(proto, properties: properties, inputs: inputs, options: options).run()
        var found: [FoundCounterexample] = []
        for v in result.verdicts {
            guard let violation = v.violation else { continue }
            let trace = try simulate(proto, inputs: inputs, pattern: violation.pattern, model: options.faultModel)
            let file = CounterexampleFile(
                protocolName: spec.protocolName, variant: spec.variant, n: proto.n, t: proto.t,
                rounds: proto.rounds, faultModel: options.faultModel, inputs: inputs, pattern: violation.pattern,
                property: v.name, violatedAfterRound: violation.afterRound,
                decisions: CounterexampleFile.decisions(trace.decisions), engine: "explicit")
            var named = file
            attachFunction(&named)
            found.append(
                FoundCounterexample(
                    file: named, diagram: Diagram.render(trace, describe: describe, decision: renderUserResult)))
        }
        var report = CheckReport(
            spec: spec, rounds: proto.rounds, inputs: inputs, effort: .explored(result), counterexamples: found)
        report.symmetry = options.canonicalStates
        return report
    }
}

/// Progress lines on standard error once a run has taken a second, at most
/// one a second (lines that come sooner are skipped).
public func progressReporter() -> @Sendable (String) -> Void {
    let gate = ProgressGate()
    return { line in
        if gate.due() { printError("… " + line) }
    }
}

/// When the next progress line may be printed.
final class ProgressGate: @unchecked Sendable {
    private let lock = NSLock()
    private let start = ContinuousClock.now
    private var last: ContinuousClock.Instant?

    func due() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let now = ContinuousClock.now
        guard now - start >= .seconds(1) else { return false }
        if let last, now - last < .seconds(1) { return false }
        last = now
        return true
    }
}

/// The parameters of `pals check` as a value; `run()` performs it.
public struct CheckRequest {
    /// The catalogued protocol to check (e.g. "uic").
    public var protocolName: String
    /// The number of processes.
    public var n: Int
    /// The largest number of faulty processes.
    public var t: Int
    /// The model options: variant, fault model, engine, timeout, threads.
    public var model: ModelParameters
    /// The inputs as comma-separated integers, one per process; nil: the
    /// catalogue's defaults.
    public var inputs: String?
    /// Whether the search stops at the first violated property (later ones are
    /// reported unchecked).
    public var first: Bool = false
    /// The folder the counterexample files are written to.
    public var out: String = "counterexamples"
    /// The path of the HTML report; nil: none.
    public var html: String?
    /// Explicit engine, with JSON output: search only shard "I/K" of the
    /// faulty sets; `MergeRequest` combines the K outputs.
    public var shard: String?

    /// Parameters with the command line's defaults.
    public init(
        protocolName: String, n: Int, t: Int, model: ModelParameters, inputs: String? = nil, first: Bool = false,
        out: String = "counterexamples", html: String? = nil, shard: String? = nil
    ) {
        self.protocolName = protocolName
        self.n = n
        self.t = t
        self.model = model
        self.inputs = inputs
        self.first = first
        self.out = out
        self.html = html
        self.shard = shard
    }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Checks the instance with the chosen engine, writes the counterexample
    /// files and returns the verdicts (or their JSON, or a shard of them).
    ///
    /// - Throws: `PalsError` for bad options or inputs; the result has exit status 1 when a
    ///   property is violated, 3 when the search stopped or a query gave up, 4 on
    ///   an internal disagreement.
    public func perform() throws -> CommandResult {
        var shown = CommandResult()
        let spec = try model.spec(protocolName, n: n, t: t)
        try Catalog.validate(spec)
        try checkWritable(html)
        try checkOutputFolder(out, option: "⟪out⟫", writable: false)
        let shard = try parseShardOption(self.shard, json: model.json, html: html)
        var options = ExplorerOptions()
        options.symmetry = model.symmetry == true
        options.canonicalStates = model.symmetry == true
        options.faultModel = try model.faultModel()
        options.threads = max(1, model.threads)
        options.stopAtFirstViolation = first
        options.progress = progressReporter()
        options.maxMemory = try model.memoryBudget()
        options.stopOnInterrupt = true
        options.shard = shard
        let parsedInputs = try inputs.map { i throws(PalsError) in try parseInts(i, what: "⟪inputs⟫") }
        if let p = parsedInputs, p.count != n {
            throw PalsError(.invalidArgument, "⟪inputs⟫ has \(p.count) values but n = \(n)")
        }
        try Catalog.checkInputs(spec, parsedInputs ?? Catalog.defaultInputs(spec))
        let engine = try model.engine(n: n, t: t)
        if model.engine == .auto {
            printError("engine auto: \(EngineChoice.automatic(n: n, t: t, faultModel: options.faultModel).reason)")
        }
        if engine == .symbolic {
            if shard != nil {
                throw PalsError(
                    .invalidArgument, "⟪shard⟫ splits the explicit engine's faulty sets; use ⟪engine⟫ explicit")
            }
            // A user's F is not interpreted symbolically: check the
            // F-independent UIC layer (SMC with F = identity) and say so.
            var spec = spec
            if let f = userFunction(spec) {
                spec.variant = "identity"
                printError(
                    "note: F (\(f.path), sha256 \(f.sha256)) was not interpreted: the symbolic engine checks the F-independent UIC layer (smc with F = identity); Theorem 2 carries it to any deterministic F. --engine explicit evaluates F."
                )
            }
            ResourceGuard.installInterrupt()
            let report = try symbolicCheckWritingFiles(
                spec: spec, faultModel: options.faultModel, timeout: model.timeout, inputs: parsedInputs, out: out,
                stopAtFirstViolation: first, maxMemory: options.maxMemory, progress: options.progress,
                threads: options.threads)
            shown.line(
                model.json
                    ? checkJSON(report, symmetry: model.symmetry == true, timeout: model.timeout).compact
                    : checkText(report))
            if let html { try writeHTML(try report.html(), to: html) }
            if report.exitStatus != 0 { return shown.ending(report.exitStatus) }
            return shown
        }
        ResourceGuard.installInterrupt()
        var report = try Catalog.visit(
            spec,
            CheckVisitor(spec: spec, inputs: parsedInputs, options: options, symmetryWhereSound: model.symmetry == nil))
        guard let result = report.explored else { preconditionFailure("Invalid state: the explicit engine solved") }
        for k in report.counterexamples.indices {
            let f = report.counterexamples[k].file
            // A shard's candidates travel in its JSON; `pals merge` writes the chosen ones.
            report.counterexamples[k].path =
                shard == nil
                ? try writeFile(dir: out, name: f.suggestedFileName, text: f.text)
                : shardFilePath(dir: out, name: f.suggestedFileName)
        }
        if model.json {
            var json = checkJSON(report, symmetry: report.symmetry)
            if let shard {
                let run = JSON.object([
                    ("protocol", .string(spec.protocolName)), ("variant", .string(spec.variant)), ("n", .int(n)),
                    ("t", .int(t)), ("rounds", .int(report.rounds)), ("inputs", .array(report.inputs.map { .int($0) })),
                    ("faults", .string(options.faultModel.rawValue)), ("symmetry", .bool(report.symmetry)),
                    ("first", .bool(first)), ("fuel", model.fuel.map { .int(Int($0)) } ?? .null), ("out", .string(out)),
                ])
                json = ShardMerge.attach(
                    json,
                    ShardMerge.checkSection(
                        shard, run: run, result: result, sizes: min(t, n) + 1,
                        files: mergedFiles(report.counterexamples)))
            }
            shown.line(json.compact)
        } else {
            shown.line(checkText(report))
        }
        if let html { try writeHTML(try report.html(), to: html) }
        if result.verdict == .violated { return shown.ending(1) }
        if let reason = result.stopReason {
            printError(
                "error: the search stopped before deciding every property: \(reason); the result above is partial")
            return shown.ending(3)
        }
        return shown
    }
}

/// The verdict of a check: `F failed` when the only property that fails is
/// a user's F being undefined on a decided vector (`FDefined`), which is no
/// protocol violation; else the engine's verdict.
public func verdictName(_ r: CheckReport) -> String {
    let failed = r.properties.filter { $0.status == .violated && $0.kind != .sometimes }.map(\.name)
    return failed == ["FDefined"] ? "F failed" : r.verdict.rawValue
}

/// A property's status as printed: a violated `FDefined` reads `F failed`.
public func statusName(_ v: PropertyOutcome) -> String {
    v.name == "FDefined" && v.status == .violated ? "F failed" : v.status.rawValue
}

/// The JSON object of `pals check --json`: the verdict, per property its
/// status and counterexample path, and what the engine did (the explicit
/// search's size, or the symbolic engine's times and solver statistics,
/// with `states` null).
public func checkJSON(_ r: CheckReport, symmetry: Bool, timeout: Double? = nil) -> JSON {
    guard case .explored(let result) = r.effort else { return symbolicCheckJSON(r, timeout: timeout) }
    return .object([
        ("verdict", .string(verdictName(r))),
        ("protocol", .string(r.spec.protocolName)),
        ("variant", .string(r.spec.variant)),
        ("n", .int(r.spec.n)),
        ("t", .int(r.spec.t)),
        ("rounds", .int(r.rounds)),
        ("engine", .string("explicit")),
        ("symmetry", .bool(symmetry)),
        ("inputs", .array(r.inputs.map { .int($0) })),
        (
            "properties",
            .array(
                r.properties.map { v in
                    .object([
                        ("name", .string(v.name)),
                        ("kind", .string(v.kind.rawValue)),
                        ("status", .string(statusName(v))),
                        ("counterexample", r.counterexample(for: v.name)?.path.map { .string($0) } ?? .null),
                    ])
                })
        ),
        ("states", .int(result.states)),
        ("transitions", .int(result.transitions)),
        ("largestLayer", .int(result.largestLayer)),
        ("faultySets", .int(result.faultySetsExplored)),
        ("complete", .bool(result.complete)),
        ("stopReason", result.stopReason.map { .string($0) } ?? .null),
        ("seconds", .double((result.seconds * 1000).rounded() / 1000)),
        ("counterexample", r.counterexamples.first?.path.map { .string($0) } ?? .null),
    ])
}

/// The text of `pals check`: one line per property, what the engine did,
/// the verdict and the first counterexample's diagram.
public func checkText(_ r: CheckReport) -> String {
    guard case .explored(let result) = r.effort else { return symbolicCheckText(r) }
    var s = "\(r.spec) — \(r.rounds) round(s), inputs \(r.inputs.map(String.init).joined(separator: ","))\n"
    if let f = userFunction(r.spec) {
        s += "  F = \(f.path) (sha256 \(f.sha256), fuel \(f.fuel.map(String.init) ?? "unmetered"))\n"
    }
    let width = r.properties.map(\.name.count).max() ?? 0
    for v in r.properties {
        s += "  \(v.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(statusName(v))"
        if let c = r.counterexample(for: v.name) {
            s +=
                "  (\(c.file.pattern.faulty.count) faulty, \(c.file.pattern.drops.count) dropped, \(c.file.pattern.crashes.count) crashed; \(c.path ?? ""))"
        }
        s += "\n"
    }
    s +=
        "  \(result.states) states, \(result.transitions) transitions\(r.symmetry ? " up to renaming of processes" : ""), "
    s += "\(result.faultySetsExplored)/\(result.faultySetsTotal) faulty sets, \(fmt(result.seconds)) s"
    s +=
        result.complete
        ? "\n" : result.stopReason.map { " (stopped: \($0))\n" } ?? " (stopped at the first violation)\n"
    s += "verdict: \(verdictName(r))\n"
    if let c = r.counterexamples.first {
        s += "\ncounterexample for \(c.file.property) (\(c.path ?? "")):\n" + c.diagram
    }
    return s
}
