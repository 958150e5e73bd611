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

/// The outcome of one exhaustive check, independent of the protocol type.
public struct CheckReport {
    /// The checked instance, with the catalogue's defaults filled in.
    public var spec: ModelSpec
    /// The number of rounds R of the explored runs.
    public var rounds: Int
    /// The inputs of p0 … p(n−1).
    public var inputs: [Int]
    /// The explorer's verdicts, state and transition counts, faulty sets and
    /// seconds.
    public var result: ExplorationResult
    /// One per violated property, in property order.
    public var counterexamples: [FoundCounterexample]

    /// The counterexample of the property named `property`, or nil when it was
    /// not violated.
    public func counterexample(for property: String) -> FoundCounterexample? {
        counterexamples.first { $0.file.property == property }
    }
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

    /// Explores every admissible failure pattern of `proto` against
    /// `properties`, and replays each violation through `simulate` into a
    /// counterexample file whose diagram renders states with `describe`.
    public func visit<P: RoundProtocol & Sendable>(
        _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
    ) throws -> CheckReport where P.L == Concrete, P.State: Hashable {
        let inputs = self.inputs ?? Catalog.defaultInputs(spec)
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
        return CheckReport(spec: spec, rounds: proto.rounds, inputs: inputs, result: result, counterexamples: found)
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

    /// Checks the instance with the chosen engine, writes the counterexample
    /// files and prints the verdicts (or their JSON, or a shard of them).
    ///
    /// - Throws: `PalsError` for bad options or inputs; `ExitStatus` 1 when a
    ///   property is violated, 3 when the search stopped or a query gave up, 4 on
    ///   an internal disagreement.
    public func run() throws {
        let spec = try model.spec(protocolName, n: n, t: t)
        try Catalog.validate(spec)
        try checkWritable(html)
        try checkOutputFolder(out, option: "⟪out⟫", writable: false)
        let shard = try parseShardOption(self.shard, json: model.json, html: html)
        var options = ExplorerOptions()
        options.symmetry = model.symmetry
        options.canonicalStates = model.symmetry
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
            let report = try runSymbolicForCLI(
                spec: spec, faultModel: options.faultModel, timeout: model.timeout, inputs: parsedInputs, out: out,
                stopAtFirstViolation: first)
            print(model.json ? symbolicCheckJSON(report, timeout: model.timeout).compact : symbolicCheckText(report))
            if let html { try writeHTML(try report.html(), to: html) }
            if report.exitStatus != 0 { throw ExitStatus(report.exitStatus) }
            return
        }
        ResourceGuard.installInterrupt()
        var report = try Catalog.visit(spec, CheckVisitor(spec: spec, inputs: parsedInputs, options: options))
        for k in report.counterexamples.indices {
            let f = report.counterexamples[k].file
            // A shard's candidates travel in its JSON; `pals merge` writes the chosen ones.
            report.counterexamples[k].path =
                shard == nil
                ? try writeFile(dir: out, name: f.suggestedFileName, text: f.text)
                : shardFilePath(dir: out, name: f.suggestedFileName)
        }
        if model.json {
            var json = checkJSON(report, symmetry: model.symmetry)
            if let shard {
                let run = JSON.object([
                    ("protocol", .string(spec.protocolName)), ("variant", .string(spec.variant)), ("n", .int(n)),
                    ("t", .int(t)), ("rounds", .int(report.rounds)), ("inputs", .array(report.inputs.map { .int($0) })),
                    ("faults", .string(options.faultModel.rawValue)), ("symmetry", .bool(model.symmetry)),
                    ("first", .bool(first)), ("fuel", model.fuel.map { .int(Int($0)) } ?? .null), ("out", .string(out)),
                ])
                json = ShardMerge.attach(
                    json,
                    ShardMerge.checkSection(
                        shard, run: run, result: report.result, sizes: min(t, n) + 1,
                        files: mergedFiles(report.counterexamples)))
            }
            print(json.compact)
        } else {
            print(checkText(report))
        }
        if let html { try writeHTML(try report.html(), to: html) }
        if report.result.verdict == .violated { throw ExitStatus(1) }
        if let reason = report.result.stopReason {
            printError(
                "error: the search stopped before deciding every property: \(reason); the result above is partial")
            throw ExitStatus(3)
        }
    }
}

/// The verdict of a check: `F failed` when the only property that fails is
/// a user's F being undefined on a decided vector (`FDefined`), which is no
/// protocol violation; else the explorer's verdict.
public func verdictName(_ r: CheckReport) -> String {
    let failed = r.result.verdicts.filter { $0.violation != nil && $0.kind != .sometimes }.map(\.name)
    return failed == ["FDefined"] ? "F failed" : r.result.verdict.rawValue
}

/// A property's status as printed: a violated `FDefined` reads `F failed`.
public func statusName(_ v: PropertyVerdict) -> String {
    v.name == "FDefined" && v.violation != nil ? "F failed" : v.status.rawValue
}

/// The JSON object of `pals check --json` (explicit engine): the verdict, per
/// property its status and counterexample path, and the search's size.
public func checkJSON(_ r: CheckReport, symmetry: Bool) -> JSON {
    .object([
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
                r.result.verdicts.map { v in
                    .object([
                        ("name", .string(v.name)),
                        ("kind", .string(v.kind.rawValue)),
                        ("status", .string(statusName(v))),
                        ("counterexample", r.counterexample(for: v.name)?.path.map { .string($0) } ?? .null),
                    ])
                })
        ),
        ("states", .int(r.result.states)),
        ("transitions", .int(r.result.transitions)),
        ("largestLayer", .int(r.result.largestLayer)),
        ("faultySets", .int(r.result.faultySetsExplored)),
        ("complete", .bool(r.result.complete)),
        ("stopReason", r.result.stopReason.map { .string($0) } ?? .null),
        ("seconds", .double((r.result.seconds * 1000).rounded() / 1000)),
        ("counterexample", r.counterexamples.first?.path.map { .string($0) } ?? .null),
    ])
}

/// The text of `pals check` (explicit engine): one line per property, the
/// search's size, the verdict and the first counterexample's diagram.
public func checkText(_ r: CheckReport) -> String {
    var s = "\(r.spec) — \(r.rounds) round(s), inputs \(r.inputs.map(String.init).joined(separator: ","))\n"
    if let f = userFunction(r.spec) {
        s += "  F = \(f.path) (sha256 \(f.sha256), fuel \(f.fuel.map(String.init) ?? "unmetered"))\n"
    }
    let width = r.result.verdicts.map(\.name.count).max() ?? 0
    for v in r.result.verdicts {
        s += "  \(v.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(statusName(v))"
        if let c = r.counterexample(for: v.name) {
            s +=
                "  (\(c.file.pattern.faulty.count) faulty, \(c.file.pattern.drops.count) dropped, \(c.file.pattern.crashes.count) crashed; \(c.path ?? ""))"
        }
        s += "\n"
    }
    s += "  \(r.result.states) states, \(r.result.transitions) transitions, "
    s += "\(r.result.faultySetsExplored)/\(r.result.faultySetsTotal) faulty sets, \(fmt(r.result.seconds)) s"
    s +=
        r.result.complete
        ? "\n" : r.result.stopReason.map { " (stopped: \($0))\n" } ?? " (stopped at the first violation)\n"
    s += "verdict: \(verdictName(r))\n"
    if let c = r.counterexamples.first {
        s += "\ncounterexample for \(c.file.property) (\(c.path ?? "")):\n" + c.diagram
    }
    return s
}
