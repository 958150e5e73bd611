import ArgumentParser
import Foundation
import PalsCore
import PalsExplorer
import PalsProtocols

/// A violated property with its (shrunk) counterexample, ready to write.
struct FoundCounterexample {
    var file: CounterexampleFile
    var diagram: String
    var path: String?
}

/// The outcome of one exhaustive check, independent of the protocol type.
struct CheckReport {
    var spec: ModelSpec
    var rounds: Int
    var inputs: [Int]
    var result: ExplorationResult
    /// One per violated property, in property order.
    var counterexamples: [FoundCounterexample]

    func counterexample(for property: String) -> FoundCounterexample? {
        counterexamples.first { $0.file.property == property }
    }
}

/// Runs the explicit explorer on a catalogued protocol.
struct CheckVisitor: ConcreteModelVisitor {
    typealias Result = CheckReport
    var spec: ModelSpec
    var inputs: [Int]?
    var options: ExplorerOptions

    func visit<P: RoundProtocol & Sendable>(
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
            found.append(FoundCounterexample(file: named, diagram: Diagram.render(trace, describe: describe, decision: renderUserResult)))
        }
        return CheckReport(spec: spec, rounds: proto.rounds, inputs: inputs, result: result, counterexamples: found)
    }
}

/// Progress lines on standard error once a run has taken a few seconds.
func progressReporter() -> @Sendable (String) -> Void {
    let start = ContinuousClock.now
    return { line in
        if ContinuousClock.now - start > .seconds(2) { printError("… " + line) }
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Exhaustively check a protocol at one (n, t) over every admissible failure pattern.",
        discussion: """
            --engine explicit (the default) searches every reachable global state; \
            --engine symbolic asks Z3 once per property for a run that violates it \
            (UNSAT: verified for every failure pattern and input at (n, t); SAT: the \
            run is replayed by the reference semantics and written as a counterexample \
            file); --engine auto is explicit while n ≤ \(EngineChoice.autoExplicitLimit), symbolic beyond. \
            With the symbolic engine, --first stops at the first violated property \
            (later ones are reported unchecked); --threads and --symmetry concern \
            the explicit engine only. With \
            --json, the symbolic engine reports "states": null and adds "solver" \
            (Z3 version and statistics).

            Exit status: 0 every property holds, 1 a property is violated, 2 usage or \
            input error, 3 unknown (a solver query hit --timeout or gave up; never \
            read as holds; a violation found by another query takes precedence), \
            4 internal error (internal-disagreement between the solver and the \
            reference semantics, or a Z3 error).
            """)

    @Argument(help: "Protocol: uic, floodset, smc or fair-exchange.")
    var protocolName: String

    @Option(help: "Number of processes.")
    var n: Int

    @Option(help: "Largest number of faulty processes.")
    var t: Int

    @OptionGroup var model: ModelOptions

    @Option(help: "Comma-separated inputs, one per process (default 0,1,…,n-1).")
    var inputs: String?

    @Flag(help: "Stop after the first faulty-set size at which some property fails (symbolic engine: after the first violated property).")
    var first = false

    @Option(help: "Folder for counterexample files.")
    var out = "counterexamples"

    @Option(help: "Also write a self-contained HTML report (verdicts, space-time diagram of each counterexample) to this file.")
    var html: String?

    @Option(help: "Explicit engine, with --json: search only shard I of K (every K-th faulty set); `pals merge` combines the K outputs.")
    var shard: String?

    func run() throws {
        let spec = try model.spec(protocolName, n: n, t: t)
        try Catalog.validate(spec)
        try checkWritable(html)
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
        let parsedInputs = try inputs.map { i throws(PalsError) in try parseInts(i, what: "--inputs") }
        if let p = parsedInputs, p.count != n {
            throw PalsError(.invalidArgument, "--inputs has \(p.count) values but n = \(n)")
        }
        try Catalog.checkInputs(spec, parsedInputs ?? Catalog.defaultInputs(spec))
        if try model.engine(forN: n) == .symbolic {
            if shard != nil { throw PalsError(.invalidArgument, "--shard splits the explicit engine's faulty sets; use --engine explicit") }
            // A user's F is not interpreted symbolically: check the
            // F-independent UIC layer (SMC with F = identity) and say so.
            var spec = spec
            if let f = userFunction(spec) {
                spec.variant = "identity"
                printError(
                    "note: F (\(f.path), sha256 \(f.sha256)) was not interpreted: the symbolic engine checks the F-independent UIC layer (smc with F = identity); Theorem 2 carries it to any deterministic F. --engine explicit evaluates F.")
            }
            let report = try runSymbolicForCLI(
                spec: spec, faultModel: options.faultModel, timeout: model.timeout, inputs: parsedInputs, out: out,
                stopAtFirstViolation: first)
            print(model.json ? symbolicCheckJSON(report, timeout: model.timeout).compact : symbolicCheckText(report))
            if let html { try writeHTML(try report.html(), to: html) }
            if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
            return
        }
        ResourceGuard.installInterrupt()
        var report = try Catalog.visit(spec, CheckVisitor(spec: spec, inputs: parsedInputs, options: options))
        for k in report.counterexamples.indices {
            let f = report.counterexamples[k].file
            // A shard's candidates travel in its JSON; `pals merge` writes the chosen ones.
            report.counterexamples[k].path =
                shard == nil ? try writeFile(dir: out, name: f.suggestedFileName, text: f.text) : shardFilePath(dir: out, name: f.suggestedFileName)
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
                        shard, run: run, result: report.result, sizes: min(t, n) + 1, files: mergedFiles(report.counterexamples)))
            }
            print(json.compact)
        } else {
            print(checkText(report))
        }
        if let html { try writeHTML(try report.html(), to: html) }
        if report.result.verdict == .violated { throw ExitCode(1) }
        if let reason = report.result.stopReason {
            printError("error: the search stopped before deciding every property: \(reason); the result above is partial")
            throw ExitCode(3)
        }
    }
}

/// The verdict of a check: `F failed` when the only property that fails is
/// a user's F being undefined on a decided vector (`FDefined`), which is no
/// protocol violation; else the explorer's verdict.
func verdictName(_ r: CheckReport) -> String {
    let failed = r.result.verdicts.filter { $0.violation != nil && $0.kind != .sometimes }.map(\.name)
    return failed == ["FDefined"] ? "F failed" : r.result.verdict.rawValue
}

/// A property's status as printed: a violated `FDefined` reads `F failed`.
func statusName(_ v: PropertyVerdict) -> String {
    v.name == "FDefined" && v.violation != nil ? "F failed" : v.status.rawValue
}

func checkJSON(_ r: CheckReport, symmetry: Bool) -> JSON {
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

func checkText(_ r: CheckReport) -> String {
    var s = "\(r.spec) — \(r.rounds) round(s), inputs \(r.inputs.map(String.init).joined(separator: ","))\n"
    if let f = userFunction(r.spec) { s += "  F = \(f.path) (sha256 \(f.sha256), fuel \(f.fuel.map(String.init) ?? "unmetered"))\n" }
    let width = r.result.verdicts.map(\.name.count).max() ?? 0
    for v in r.result.verdicts {
        s += "  \(v.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(statusName(v))"
        if let c = r.counterexample(for: v.name) {
            s += "  (\(c.file.pattern.faulty.count) faulty, \(c.file.pattern.drops.count) dropped, \(c.file.pattern.crashes.count) crashed; \(c.path ?? ""))"
        }
        s += "\n"
    }
    s += "  \(r.result.states) states, \(r.result.transitions) transitions, "
    s += "\(r.result.faultySetsExplored)/\(r.result.faultySetsTotal) faulty sets, \(fmt(r.result.seconds)) s"
    s += r.result.complete ? "\n" : r.result.stopReason.map { " (stopped: \($0))\n" } ?? " (stopped at the first violation)\n"
    s += "verdict: \(verdictName(r))\n"
    if let c = r.counterexamples.first {
        s += "\ncounterexample for \(c.file.property) (\(c.path ?? "")):\n" + c.diagram
    }
    return s
}
