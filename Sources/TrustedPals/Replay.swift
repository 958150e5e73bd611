import Foundation
import PalsCore
import PalsProtocols

/// The outcome of re-running one run through `simulate`.
public struct ReplayReport {
    /// The run's space-time diagram.
    public var diagram: String
    /// Per property: the round after which it fails, or nil.
    public var violations: [(name: String, kind: PropertyKind, afterRound: Int?)]
    /// Per process p0 … p(n−1): the decided vector (nil entries for ⊥), or nil
    /// when it did not decide.
    public var decisions: [[Int?]?]
    /// The run round by round: per process, the senders heard from, the lost
    /// ones, crashes and the state reached.
    public var traceText: String
}

/// Re-runs (inputs, pattern) through `simulate` and checks every property.
public struct ReplayVisitor: ConcreteModelVisitor {
    /// The replayed run's diagram, property outcomes and decisions.
    public typealias Result = ReplayReport
    /// The inputs of p0 … p(n−1).
    public var inputs: [Int]
    /// The failure pattern the run is replayed under.
    public var pattern: FailurePattern
    /// The fault model the pattern is read under.
    public var model: FaultModel

    /// Simulates `proto` on the inputs under the pattern, checks `properties`
    /// on the trace and renders it with `describe`.
    public func visit<P: RoundProtocol & Sendable>(
        _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
    ) throws -> ReplayReport where P.L == Concrete, P.State: Hashable {
        let trace = try simulate(proto, inputs: inputs, pattern: pattern, model: model)
        var text = ""
        for r in stride(from: 1, through: trace.rounds, by: 1) {
            text += "round \(r):\n"
            for q in 0..<proto.n {
                if trace.crashed[r].contains(q) {
                    text += "  p\(q) crashed\n"
                    continue
                }
                let from = trace.delivered[r - 1][q]
                let missing = ProcessSet.all(proto.n).subtracting(from)
                text += "  p\(q) received from \(from)" + (missing.isEmpty ? "" : ", lost \(missing)")
                let note = describe(trace.states[r][q])
                text += note.isEmpty ? "\n" : " → \(note)\n"
            }
        }
        return ReplayReport(
            diagram: Diagram.render(trace, describe: describe, decision: renderUserResult),
            violations: properties.map { ($0.name, $0.kind, trace.violation(of: $0, protocol: proto)) },
            decisions: CounterexampleFile.decisions(trace.decisions), traceText: text)
    }
}

extension ReplayReport {
    /// Every property but the witnesses, as `{name, status}` objects.
    public var propertiesJSON: JSON {
        .array(
            violations.filter { $0.kind != .sometimes }.map { v in
                .object([("name", .string(v.name)), ("status", .string(v.afterRound == nil ? "holds" : "violated"))])
            })
    }

    /// One line per property but the witnesses.
    public var propertyLines: String {
        violations.filter { $0.kind != .sometimes }.map { v in
            "  \(v.name): " + (v.afterRound.map { "violated after round \($0)" } ?? "holds")
        }.joined(separator: "\n")
    }
}

/// Decisions as JSON: per process an array of integers and nulls (⊥), or
/// null when it did not decide.
public func decisionsJSON(_ ds: [[Int?]?]) -> JSON {
    .array(ds.map { d in d.map { .array($0.map { $0.map { .int($0) } ?? .null }) } ?? .null })
}

/// The parameters of `pals replay` as a value; `run()` performs it.
public struct ReplayRequest {
    /// The counterexample file to replay.
    public var file: String
    /// Whether the outcome is printed as one JSON object instead of text.
    public var json: Bool = false
    /// A backend command to replay the file against instead of `simulate`; nil:
    /// the model.
    public var backend: String?
    /// Seconds to wait for each reply of the backend.
    public var timeout: Double = 5
    /// The path of the HTML report; nil: none.
    public var html: String?
    /// The WebAssembly module of an smc counterexample with a user's F, when it
    /// is not at the recorded path; nil: the recorded path.
    public var function: String?

    /// Parameters with the command line's defaults.
    public init(
        file: String, json: Bool = false, backend: String? = nil, timeout: Double = 5, html: String? = nil,
        function: String? = nil
    ) {
        self.file = file
        self.json = json
        self.backend = backend
        self.timeout = timeout
        self.html = html
        self.function = function
    }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Replays the counterexample file through `simulate` (or against a
    /// backend) and returns whether its property is still violated.
    ///
    /// - Throws: `PalsError` for an unreadable or malformed file;
    ///   the result has exit status 1 when the property is still violated.
    public func perform() throws -> CommandResult {
        var shown = CommandResult()
        try checkWritable(html)
        if let backend {
            return try replayAgainstBackend(
                file: file, command: backend, timeout: try backendTimeout(timeout), json: json)
        }
        let text = try readText(file)
        if let j = try? JSON.parse(text), j["schema"]?.stringValue == InterferenceCounterexample.schemaID {
            throw PalsError(
                .unsupportedSchema,
                "\(file) is a noninterference counterexample (two runs, \(InterferenceCounterexample.schemaID)); re-run it with `unobservability ⟪replay⟫ \(file)`"
            )
        }
        let cx: CounterexampleFile
        do { cx = try CounterexampleFile.read(text, what: file) } catch { throw error.prefixed("\(file): ") }
        guard cx.inputs.count == cx.n else {
            throw PalsError(.malformedFile, "\(file): \(cx.inputs.count) inputs for n = \(cx.n)")
        }
        try loadRecordedFunction(variant: cx.variant, recorded: cx.function?.path, given: function, file: file)
        let spec = ModelSpec(protocolName: cx.protocolName, variant: cx.variant, n: cx.n, t: cx.t, rounds: cx.rounds)
        let report: ReplayReport
        do {
            report = try Catalog.visit(
                spec, ReplayVisitor(inputs: cx.inputs, pattern: cx.pattern, model: cx.faultModel))
        } catch let e as PalsError {
            throw PalsError(e.kind == .unknownProtocol ? .unknownProtocol : .malformedFile, "\(file): \(e.template)")
        }
        guard let target = report.violations.first(where: { $0.name == cx.property }) else {
            if cx.engine == "backend" {
                throw PalsError(
                    .invalidArgument,
                    "\(file) was found by testing a backend (property \(cx.property) compares the backend with the model); re-run it against the backend with ⟪backend⟫ COMMAND"
                )
            }
            throw PalsError(
                .malformedFile,
                "\(file): \(cx.protocolName) has no property \"\(cx.property)\"; known: \(report.violations.map(\.name).joined(separator: ", "))"
            )
        }
        let still = target.afterRound != nil
        let decisionsMatch = cx.decisions.isEmpty || cx.decisions == report.decisions
        if let html { try writeHTML(try replayHTML(cx, file: file, report: report), to: html) }
        if json {
            shown.line(
                JSON.object([
                    ("verdict", .string(still ? "violated" : "holds")),
                    ("file", .string(file)),
                    ("property", .string(cx.property)),
                    ("stillViolated", .bool(still)),
                    ("violatedAfterRound", target.afterRound.map { .int($0) } ?? .null),
                    ("decisionsMatchFile", .bool(decisionsMatch)),
                    ("decisions", decisionsJSON(report.decisions)),
                    ("properties", report.propertiesJSON),
                    ("counterexample", still ? .string(file) : .null),
                ]).compact)
        } else {
            shown.line("\(spec) — \(cx.rounds) round(s), faulty \(cx.pattern.faulty)")
            shown.line(report.diagram)
            shown.line(report.propertyLines)
            shown.line(
                still ? "\(cx.property) is still violated." : "\(cx.property) is no longer violated by this run.")
            if !decisionsMatch { shown.line("note: the decisions differ from those recorded in the file.") }
        }
        if still { return shown.ending(1) }
        return shown
    }
}

/// The parameters of `pals simulate` as a value; `run()` performs it.
public struct SimulateRequest {
    /// The catalogued protocol to run (e.g. "uic").
    public var protocolName: String
    /// The number of processes.
    public var n: Int
    /// The largest number of faulty processes.
    public var t: Int
    /// The protocol's variant ("standard", a mutant, an smc function or a
    /// fair-exchange mode).
    public var variant: String = "standard"
    /// smc: a built-in F by name or a WebAssembly module PATH.wasm; nil: the
    /// variant decides.
    public var function: String?
    /// smc with a WebAssembly F: the fuel of one evaluation; nil: the default.
    public var fuel: UInt64?
    /// The number of rounds R; nil: the protocol's own.
    public var rounds: Int?
    /// General omission (with crashes) or crash-stop.
    public var faults: FaultModel = .generalOmission
    /// The inputs as comma-separated integers, one per process; nil: the
    /// catalogue's defaults.
    public var inputs: String?
    /// A JSON file holding the failure pattern (a counterexample file will
    /// do); not together with `faulty`, `drops` or `crashes`.
    public var pattern: String?
    /// The faulty set as comma-separated process indices; nil: none.
    public var faulty: String?
    /// Dropped links as comma-separated `ROUND:FROM>TO` (e.g. "1:0>2"); nil:
    /// none.
    public var drops: String?
    /// Crashes as comma-separated `PROCESS@ROUND` (e.g. "0@2"); nil: none.
    public var crashes: String?
    /// Whether the outcome is printed as one JSON object instead of text.
    public var json: Bool = false

    /// Parameters with the command line's defaults.
    public init(
        protocolName: String, n: Int, t: Int, variant: String = "standard", function: String? = nil,
        fuel: UInt64? = nil, rounds: Int? = nil, faults: FaultModel = .generalOmission, inputs: String? = nil,
        pattern: String? = nil, faulty: String? = nil, drops: String? = nil, crashes: String? = nil, json: Bool = false
    ) {
        self.protocolName = protocolName
        self.n = n
        self.t = t
        self.variant = variant
        self.function = function
        self.fuel = fuel
        self.rounds = rounds
        self.faults = faults
        self.inputs = inputs
        self.pattern = pattern
        self.faulty = faulty
        self.drops = drops
        self.crashes = crashes
        self.json = json
    }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Runs the protocol once under the given failure pattern and returns the
    /// trace, its diagram, the decisions and every property's outcome.
    ///
    /// - Throws: `PalsError` for bad options or an inadmissible pattern;
    ///   the result has exit status 1 when a property is violated.
    public func perform() throws -> CommandResult {
        var shown = CommandResult()
        let model = faults
        let named = try instanceSpec(
            protocolName, n: n, t: t, variant: variant, function: function, mode: nil, M: nil, rounds: rounds,
            fuel: fuel)
        let spec = Catalog.resolved(
            ModelSpec(protocolName: protocolName, variant: named.variant, n: n, t: t, rounds: rounds))
        try Catalog.validate(spec)
        let ins =
            try inputs.map { i throws(PalsError) in try parseInts(i, what: "⟪inputs⟫") } ?? Catalog.defaultInputs(spec)
        guard ins.count == n else { throw PalsError(.invalidArgument, "⟪inputs⟫ has \(ins.count) values but n = \(n)") }
        try Catalog.checkInputs(spec, ins)
        var pat = FailurePattern()
        if let file = pattern {
            if drops != nil || faulty != nil || crashes != nil {
                throw PalsError(.invalidArgument, "give either ⟪pattern⟫ or ⟪faulty⟫/⟪drops⟫/⟪crashes⟫, not both")
            }
            pat = try parsePatternFile(file)
        } else {
            let f = try faulty.map { s throws(PalsError) in try parseInts(s, what: "⟪faulty⟫") } ?? []
            var links: [Link] = []
            for item in (drops ?? "").split(separator: ",") {
                let parts = item.split(separator: ":")
                let ends = parts.count == 2 ? parts[1].split(separator: ">") : []
                guard parts.count == 2, ends.count == 2, let r = Int(parts[0]), let a = Int(ends[0]),
                    let b = Int(ends[1])
                else {
                    throw PalsError(
                        .invalidArgument, "cannot read dropped link \"\(item)\"; write ROUND:FROM>TO, e.g. 1:0>2")
                }
                links.append(Link(round: r, from: a, to: b))
            }
            var cs: [Crash] = []
            for item in (crashes ?? "").split(separator: ",") {
                let parts = item.split(separator: "@")
                guard parts.count == 2, let p = Int(parts[0]), let r = Int(parts[1]) else {
                    throw PalsError(.invalidArgument, "cannot read crash \"\(item)\"; write PROCESS@ROUND, e.g. 0@2")
                }
                cs.append(Crash(process: p, round: r))
            }
            pat = FailurePattern(faulty: ProcessSet(f.filter { $0 >= 0 && $0 < 64 }), crashes: cs, drops: links)
            if let bad = f.first(where: { $0 < 0 || $0 >= n }) {
                throw PalsError(.inadmissiblePattern, "faulty process \(bad) does not exist (n = \(n))")
            }
        }
        let report = try Catalog.visit(spec, ReplayVisitor(inputs: ins, pattern: pat, model: model))
        let violated = report.violations.filter { $0.afterRound != nil }.map(\.name)
        if json {
            shown.line(
                JSON.object([
                    ("verdict", .string(violated.isEmpty ? "holds" : "violated")),
                    ("decisions", decisionsJSON(report.decisions)),
                    ("properties", report.propertiesJSON),
                    ("counterexample", .null),
                ]).compact)
        } else {
            shown.line("\(spec), faulty \(pat.faulty)")
            shown.output += report.traceText
            shown.line(report.diagram)
            if let f = userFunction(spec) {
                shown.line("F = \(f.path) (sha256 \(f.sha256))")
                for (i, d) in report.decisions.enumerated() {
                    let value = d.map { $0.map { $0 ?? Concrete.bottomValue } }
                    shown.line("  p\(i): " + (value.flatMap(renderUserResult).map { "F = \($0)" } ?? "no result"))
                }
            }
            shown.line(report.propertyLines)
        }
        if !violated.isEmpty { return shown.ending(1) }
        return shown
    }
}

/// Reads a failure pattern from a JSON file with "faulty", "crashes" and
/// "drops" (the fields of a counterexample file; other fields are ignored).
public func parsePatternFile(_ path: String) throws(PalsError) -> FailurePattern {
    let j = try JSON.parse(try readText(path))
    guard j["faulty"]?.arrayValue != nil else {
        throw PalsError(.malformedFile, "\(path): \"faulty\" must be an array of process indices")
    }
    return try FailurePattern(json: j, what: path)
}
