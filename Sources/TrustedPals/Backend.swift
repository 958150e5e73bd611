import Foundation
import PalsBackend
import PalsCore
import PalsProtocols

// MARK: - The reference message encoding of UIC

/// UIC's messages on the wire (specs/backend-protocol.md):
/// `{"view":[v or null, …],"trusted":[bool, …],"silent":bool}`, n entries
/// each. A halted process sends `silent: true` with an all-null view and an
/// all-false trusted set (its cleared state).
public struct UICCoding: MessageCoding {
    /// The protocol whose messages this encodes: UIC over concrete values.
    public typealias P = UIC<Concrete>
    /// The number of processes: every view and trusted set has n entries.
    public let n: Int

    /// The encoding of UIC's messages among n processes.
    public init(n: Int) { self.n = n }

    /// A message as `{"view":…,"trusted":…,"silent":…}`, ⊥ entries as null.
    public func encode(_ m: UIC<Concrete>.Message) -> JSON {
        .object([
            ("view", .array(m.view.map { $0 == Concrete.bottomValue ? .null : .int($0) })),
            ("trusted", .array(m.trusted.map { .bool($0) })),
            ("silent", .bool(m.silent)),
        ])
    }

    /// Reads a message in the reference encoding; ⊥ is null, and an integer
    /// equal to ⊥'s concrete value is refused.
    ///
    /// - Throws: `PalsError` saying which field is missing or has the wrong
    ///   length or type.
    public func decode(_ json: JSON) throws(PalsError) -> UIC<Concrete>.Message {
        guard let view = json["view"]?.arrayValue, view.count == n else {
            throw PalsError(.invalidArgument, "a uic message needs an array \"view\" of n = \(n) entries")
        }
        guard let trusted = json["trusted"]?.arrayValue, trusted.count == n else {
            throw PalsError(.invalidArgument, "a uic message needs an array \"trusted\" of n = \(n) booleans")
        }
        guard let silent = json["silent"]?.boolValue else {
            throw PalsError(.invalidArgument, "a uic message needs a boolean \"silent\"")
        }
        var values: [Int] = []
        for v in view {
            if v.isNull {
                values.append(Concrete.bottomValue)
            } else if let i = v.intValue, i != Concrete.bottomValue {
                values.append(i)
            } else {
                throw PalsError(.invalidArgument, "view entries are integers or null, got \(v.compact)")
            }
        }
        var bits: [Bool] = []
        for b in trusted {
            guard let x = b.boolValue else { throw PalsError(.invalidArgument, "trusted entries are booleans") }
            bits.append(x)
        }
        return UIC<Concrete>.Message(view: values, trusted: bits, silent: silent)
    }
}

/// The protocols that have a reference message encoding, hence can be tested
/// on a backend.
public let backendProtocols = [UICEntry.name]

/// The model a backend implementing `protocolName` is tested against: the
/// standard protocol (never a mutant: the backend is what is under test) and
/// the properties that can be judged from decisions alone. UIC's
/// CorrectNeverHalts reads internal state, which a backend does not expose;
/// it is covered by comparing decisions with `simulate`.
public func backendModel(_ protocolName: String, n: Int, t: Int) throws(PalsError) -> BackendModel<UICCoding> {
    try Catalog.validate(ModelSpec(protocolName: protocolName, n: n, t: t))
    guard protocolName == UICEntry.name else {
        throw PalsError(
            .unknownProtocol,
            "\(protocolName) has no backend message encoding yet; backends can be tested for: \(backendProtocols.joined(separator: ", "))"
        )
    }
    let proto = UIC(logic: Concrete(), n: n, t: t)
    let properties: [Property<UIC<Concrete>>] = [
        InteractiveConsistency.termination(), InteractiveConsistency.validity(),
        InteractiveConsistency.uniformAgreement(), InteractiveConsistency.agreement(),
    ]
    return BackendModel(proto: proto, coding: UICCoding(n: n), protocolName: protocolName, properties: properties)
}

/// Checks a `--timeout` value.
public func backendTimeout(_ seconds: Double) throws(PalsError) -> Double {
    guard seconds > 0 && seconds.isFinite && seconds <= 3600 else {
        throw PalsError(.invalidArgument, "⟪timeout⟫ must be a number of seconds in (0, 3600], got \(seconds)")
    }
    return seconds
}

/// Ends every backend's process group when the oracle is interrupted, then
/// exits with 128 + the signal.
public let backendInterrupts = InterruptCleanup(children: nil, exitOnSignal: true)

/// Starts a backend and checks that it serves `protocolName`.
public func connectBackend(_ command: String, protocolName: String, timeout: Double) throws(BackendError) -> (
    BackendDriver, BackendHello
) {
    let connection = try BackendConnection(command: command, timeout: timeout)
    // SIGINT or SIGTERM to the oracle ends the backend's process group too.
    backendInterrupts.register(group: connection.processIdentifier)
    let driver = BackendDriver(connection: connection)
    let hello = try driver.hello()
    guard hello.protocols.contains(protocolName) else {
        let served = hello.protocols.isEmpty ? "none" : hello.protocols.joined(separator: ", ")
        throw BackendError(
            "the backend \"\(hello.name)\" does not serve \(protocolName) (it serves: \(served))",
            request: connection.lastRequest, stderr: connection.stderrText)
    }
    return (driver, hello)
}

/// A failing run in reports.
public func failureJSON(_ r: BackendRunReport, name: String) -> JSON {
    .object([
        ("property", .string(name)),
        ("violated", .array(r.violated.map { .string($0) })),
        ("disagreements", .array(r.disagreements.map { .string($0) })),
        ("inputs", .array(r.inputs.map { .int($0) })),
        ("faulty", .array(r.pattern.faulty.map { .int($0) })),
        ("crashes", .int(r.pattern.crashes.count)),
        ("drops", .int(r.pattern.drops.count)),
        ("backendDecisions", decisionsJSON(r.backendDecisions)),
        ("modelDecisions", decisionsJSON(r.modelDecisions)),
    ])
}

/// A failing run in words.
public func failureText(_ r: BackendRunReport) -> String {
    var lines: [String] = []
    lines.append("  inputs \(r.inputs), faulty \(r.pattern.faulty)")
    if !r.pattern.crashes.isEmpty {
        lines.append(
            "  crashes: " + r.pattern.crashes.map { "p\($0.process) at round \($0.round)" }.joined(separator: ", "))
    }
    if !r.pattern.drops.isEmpty {
        lines.append("  dropped: " + r.pattern.drops.map(\.description).joined(separator: ", "))
    }
    for v in r.violated { lines.append("  \(v) is violated by the backend's decisions") }
    for d in r.disagreements.prefix(10) { lines.append("  \(d)") }
    if r.disagreements.count > 10 { lines.append("  … and \(r.disagreements.count - 10) more differences") }
    return lines.joined(separator: "\n")
}

/// A backend error in reports.
public func backendErrorJSON(_ e: BackendError) -> JSON {
    .object([
        ("message", .string(e.message)),
        ("request", e.request.map { .string($0) } ?? .null),
        ("stderr", .string(e.stderr)),
    ])
}

// MARK: - pals test-backend

/// The parameters of `pals testbackend` as a value; `run()` performs it.
public struct TestBackendRequest {
    /// The protocol the backend is tested for; only "uic" has a reference
    /// encoding.
    public var protocolName: String
    /// The backend command, run with `/bin/sh -c`.
    public var cmd: String
    /// The number of processes; nil with `replay` (each file gives its own).
    public var n: Int?
    /// The largest number of faulty processes; nil with `replay`.
    public var t: Int?
    /// The number of random runs; nil: 100 when no other mode is given.
    public var runs: Int?
    /// The seed of the random runs: the same seed gives the same runs.
    public var seed: UInt64 = 1
    /// Whether every admissible failure pattern is run (inputs 0, 1, …, n−1)
    /// instead of random runs.
    public var exhaustive: Bool = false
    /// The most failure patterns `exhaustive` will run; more is refused.
    public var maxPatterns: Int = 200_000
    /// A counterexample file, or a folder whose `*.json` files are re-run
    /// against the backend; nil: none.
    public var replay: String?
    /// Whether every message is compared with the reference encoding too, not
    /// only the decisions.
    public var strict: Bool = false
    /// Seconds to wait for each reply of the backend, in (0, 3600].
    public var timeout: Double = 5
    /// Whether the runs go on after the first failing run (every failure is
    /// counted; only the first is shrunk and written).
    public var keepGoing: Bool = false
    /// Whether the report is printed as one JSON object instead of text.
    public var json: Bool = false
    /// The path of the HTML report; nil: none.
    public var html: String?
    /// The folder for shrunk counterexamples; nil: a fresh scratch folder, made only when a run fails.
    public var out: String?

    /// Parameters with the command line's defaults.
    public init(
        protocolName: String, cmd: String, n: Int? = nil, t: Int? = nil, runs: Int? = nil, seed: UInt64 = 1,
        exhaustive: Bool = false, maxPatterns: Int = 200_000, replay: String? = nil, strict: Bool = false,
        timeout: Double = 5, keepGoing: Bool = false, json: Bool = false, html: String? = nil, out: String? = nil
    ) {
        self.protocolName = protocolName
        self.cmd = cmd
        self.n = n
        self.t = t
        self.runs = runs
        self.seed = seed
        self.exhaustive = exhaustive
        self.maxPatterns = maxPatterns
        self.replay = replay
        self.strict = strict
        self.timeout = timeout
        self.keepGoing = keepGoing
        self.json = json
        self.html = html
        self.out = out
    }

    /// One run to perform.
    public struct Case {
        /// The reference model the run is judged against: the protocol, its
        /// encoding and the properties checked on decisions.
        public var model: BackendModel<UICCoding>
        /// The inputs of p0 … p(n−1).
        public var inputs: [Int]
        /// The failure pattern the oracle enforces on the backend's messages.
        public var pattern: FailurePattern
        /// The file it came from (--replay).
        public var file: String?
    }

    /// Statistics of what was run.
    public struct Stats {
        /// The number of runs performed.
        public var runs = 0
        /// Failing runs (more than one only with --keep-going).
        public var failures = 0
        /// The distinct failure patterns run.
        public var distinct = Set<FailurePattern>()
        /// The number of distinct patterns by size of their faulty set (index k:
        /// patterns with k faulty processes).
        public var byFaulty: [Int] = []

        /// Counts a run under `p`, and `p` once among the distinct patterns.
        public mutating func record(_ p: FailurePattern) {
            runs += 1
            if distinct.insert(p).inserted {
                while byFaulty.count <= p.faulty.count { byFaulty.append(0) }
                byFaulty[p.faulty.count] += 1
            }
        }
    }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Runs the backend on random runs, every pattern or replayed files,
    /// shrinks the first failing run against the backend and writes it as a
    /// counterexample file; returns the report, with exit status 1 when a
    /// run failed and 3 when the backend misbehaved.
    ///
    /// - Throws: `PalsError` for bad options or files (before the backend
    ///   starts).
    public func perform() throws -> CommandResult {
        try checkWritable(html)
        try checkOutputFolder(out, option: "⟪out⟫")
        let timeout = try backendTimeout(timeout)
        let modes = [runs != nil, exhaustive, replay != nil].filter { $0 }.count
        guard modes <= 1 else {
            throw PalsError(.invalidArgument, "give at most one of ⟪runs⟫, ⟪exhaustive⟫ and ⟪replay⟫")
        }
        let mode = exhaustive ? "exhaustive" : replay != nil ? "replay" : "random"
        // Everything the user can get wrong is checked before the backend starts.
        var fixed: [Case] = []
        var model: BackendModel<UICCoding>?
        var exhaustiveCount = 0
        if let replay {
            guard n == nil && t == nil else {
                throw PalsError(.invalidArgument, "⟪replay⟫ takes n and t from each file; do not give ⟪n⟫ or ⟪t⟫")
            }
            fixed = try replayCases(replay)
        } else {
            guard let n, let t else { throw PalsError(.invalidArgument, "give ⟪n⟫ and ⟪t⟫ (or ⟪replay⟫)") }
            let m = try backendModel(protocolName, n: n, t: t)
            model = m
            if exhaustive {
                guard maxPatterns > 0 else { throw PalsError(.invalidArgument, "⟪maxPatterns⟫ must be positive") }
                guard let count = ExhaustivePatterns(n: n, t: t, rounds: m.proto.rounds).count(limit: maxPatterns)
                else {
                    throw PalsError(
                        .invalidArgument,
                        "⟪exhaustive⟫ at n = \(n), t = \(t) has more than \(maxPatterns) failure patterns; use random runs (⟪runs⟫ K) or raise ⟪maxPatterns⟫"
                    )
                }
                exhaustiveCount = count
            } else {
                guard (1...10_000_000).contains(runs ?? 100) else {
                    throw PalsError(.invalidArgument, "⟪runs⟫ must be 1…10000000, got \(runs ?? 100)")
                }
            }
        }

        let start = Date()
        var stats = Stats()
        var failure: (report: BackendRunReport, name: String, file: String?)?
        var written: [String] = []
        var backendName = ""
        var backendError: BackendError?
        var driver: BackendDriver?
        do throws(BackendError) {
            let (d, hello) = try connectBackend(cmd, protocolName: protocolName, timeout: timeout)
            driver = d
            backendName = hello.name
            /// Runs one case; returns false once a run failed.
            func perform(_ c: Case) throws(BackendError) -> Bool {
                let report = try d.run(c.model, inputs: c.inputs, pattern: c.pattern, strict: strict)
                stats.record(c.pattern)
                guard report.failed, let name = report.failureName else { return true }
                stats.failures += 1
                if failure == nil { failure = (report, name, c.file) }
                return keepGoing
            }
            if let model, exhaustive {
                let inputs = Array(0..<model.proto.n)
                // swift-format-ignore: ReplaceForEachWithForLoop
                // (a typed-throwing enumeration that stops when the body returns false, not `Sequence.forEach`)
                try ExhaustivePatterns(n: model.proto.n, t: model.proto.t, rounds: model.proto.rounds).forEach {
                    p throws(BackendError) in try perform(Case(model: model, inputs: inputs, pattern: p))
                }
            } else if let model {
                var rng = SplitMix64(seed: seed)
                let gen = RandomRuns(n: model.proto.n, t: model.proto.t, rounds: model.proto.rounds)
                for _ in 0..<(runs ?? 100) {
                    let (inputs, pattern) = gen.next(&rng)
                    if !(try perform(Case(model: model, inputs: inputs, pattern: pattern))) { break }
                }
            } else {
                for c in fixed where !(try perform(c)) { break }
            }
            if var f = failure, f.file == nil, let model {
                // Shrink against the backend, then write the counterexample.
                let name = f.name
                var last = f.report
                func shrinkAt(
                    _ m: BackendModel<UICCoding>, _ inputs: [Int], _ p: FailurePattern
                ) throws(BackendError) -> FailurePattern {
                    try BackendShrinker.shrink(p, n: m.proto.n, t: m.proto.t, rounds: m.proto.rounds) {
                        q throws(BackendError) in
                        let r = try d.run(m, inputs: inputs, pattern: q, strict: strict)
                        if r.fails(as: name) { last = r }
                        return r.fails(as: name)
                    }
                }
                var current = model
                var inputs = f.report.inputs
                var small = try shrinkAt(model, inputs, f.report.pattern)
                // A smaller n: drop one process (correct ones first), renumber the
                // others, and keep the smaller instance while it fails the same way.
                reduce: while current.proto.n > 1 {
                    let n = current.proto.n
                    for p in (0..<n).filter({ !small.faulty.contains($0) }) + small.faulty.members {
                        guard let reduced = withoutProcess(p, n: n, t: current.proto.t, inputs: inputs, pattern: small),
                            let m = try? backendModel(protocolName, n: n - 1, t: reduced.t),
                            modelSatisfiesProperties(m, inputs: reduced.inputs, pattern: reduced.pattern)
                        else { continue }
                        let r = try d.run(m, inputs: reduced.inputs, pattern: reduced.pattern, strict: strict)
                        guard r.fails(as: name) else { continue }
                        current = m
                        inputs = reduced.inputs
                        small = try shrinkAt(m, inputs, reduced.pattern)
                        continue reduce
                    }
                    break
                }
                last = try d.run(current, inputs: inputs, pattern: small, strict: strict)
                f.report = last
                failure = f
                let cx = CounterexampleFile(
                    protocolName: protocolName, variant: "standard", n: current.proto.n, t: current.proto.t,
                    rounds: current.proto.rounds, inputs: inputs, pattern: small, property: name,
                    violatedAfterRound: current.proto.rounds, decisions: last.backendDecisions, engine: "backend")
                written.append(try writeCounterexample(cx))
            } else if let f = failure, let file = f.file {
                written.append(file)
            }
        } catch {
            backendError = error
        }
        driver?.connection.close()
        let seconds = Date().timeIntervalSince(start)
        let total = mode == "exhaustive" ? exhaustiveCount : mode == "random" ? (runs ?? 100) : fixed.count
        let shown = reportText(
            mode: mode, backendName: backendName, stats: stats, planned: total,
            failure: failure.map { ($0.report, $0.name) },
            written: written, error: backendError, seconds: seconds)
        if let html {
            try writeHTML(
                try backendHTML(
                    title: "pals test-backend \(protocolName) — \(backendName.isEmpty ? cmd : backendName)",
                    facts: [
                        "mode \(mode)" + (mode == "random" ? " (seed \(seed))" : ""),
                        "runs: \(stats.runs) of \(total), distinct patterns: \(stats.distinct.count)",
                        "patterns by number of faulty processes: "
                            + stats.byFaulty.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: ", "),
                        "time: \(fmt(seconds)) s",
                    ],
                    verdict: backendError != nil ? "backend misbehaved" : failure != nil ? "failed" : "passed",
                    failure: failure.map { "\($0.name)\n" + failureText($0.report) } ?? backendError?.description,
                    counterexamples: written),
                to: html)
        }
        return CommandResult(shown, exitStatus: backendError != nil ? 3 : failure != nil ? 1 : 0)
    }

    /// The reference model itself satisfies every property on this run. A
    /// smaller instance is only a fair reduction where it does (for UIC: not
    /// once t ≥ n/2, where the protocol itself fails and a correct backend
    /// would fail with it).
    public func modelSatisfiesProperties(_ m: BackendModel<UICCoding>, inputs: [Int], pattern: FailurePattern) -> Bool {
        guard let trace = try? simulate(m.proto, inputs: inputs, pattern: pattern) else { return false }
        return m.properties.allSatisfy { trace.violation(of: $0, protocol: m.proto) == nil }
    }

    /// The same run with process `p` removed and the others renumbered: its
    /// input, crash and links go. t is lowered to stay below half of the new
    /// n where the faulty set allows it (and never above the old t), so that
    /// the reduced instance stays where the protocol is meant to hold. Nil
    /// if the faulty set would exceed that t.
    public func withoutProcess(
        _ p: Int, n: Int, t: Int, inputs: [Int], pattern: FailurePattern
    ) -> (t: Int, inputs: [Int], pattern: FailurePattern)? {
        guard n >= 2 else { return nil }
        func index(_ i: Int) -> Int { i > p ? i - 1 : i }
        let faulty = ProcessSet(pattern.faulty.filter { $0 != p }.map(index))
        let t2 = min(t, n - 2, max(faulty.count, (n - 2) / 2))
        guard faulty.count <= t2 else { return nil }
        var rest = inputs
        rest.remove(at: p)
        return (
            t2, rest,
            FailurePattern(
                faulty: faulty,
                crashes: pattern.crashes.filter { $0.process != p }.map {
                    Crash(process: index($0.process), round: $0.round)
                },
                drops: pattern.drops.filter { $0.from != p && $0.to != p }.map {
                    Link(round: $0.round, from: index($0.from), to: index($0.to))
                })
        )
    }

    /// Writes a counterexample into `out` (nil: a new temporary folder); a
    /// write failure is reported as a backend-independent error after the run.
    public func writeCounterexample(_ cx: CounterexampleFile) throws(BackendError) -> String {
        do throws(PalsError) {
            let dir: String
            if let out { dir = out } else { dir = try makeTemporaryDirectory(prefix: "pals-backend") }
            return try writeFile(dir: dir, name: "backend-" + cx.suggestedFileName, text: cx.text)
        } catch {
            throw BackendError("the run failed but the counterexample could not be written: \(error.message)")
        }
    }

    /// The runs of `--replay PATH`: one file, or every `*.json` in a folder
    /// (sorted by name). Malformed files are usage errors (exit 2).
    public func replayCases(_ path: String) throws(PalsError) -> [Case] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw PalsError(.invalidArgument, "⟪replay⟫ \(path): no such file or folder")
        }
        var files = [path]
        if isDir.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            files = names.filter { $0.hasSuffix(".json") }.sorted().map {
                (path as NSString).appendingPathComponent($0)
            }
            guard !files.isEmpty else {
                throw PalsError(.invalidArgument, "⟪replay⟫ \(path): no *.json files in the folder")
            }
        }
        var cases: [Case] = []
        for file in files {
            let cx: CounterexampleFile
            do throws(PalsError) {
                cx = try CounterexampleFile.parse(try readText(file))
            } catch {
                throw PalsError(error.kind, "\(file): \(error.template)")
            }
            guard cx.protocolName == protocolName else {
                throw PalsError(
                    .invalidArgument, "\(file) is a counterexample of \(cx.protocolName), not \(protocolName)")
            }
            let model: BackendModel<UICCoding>
            do throws(PalsError) {
                model = try backendModel(protocolName, n: cx.n, t: cx.t)
                guard cx.inputs.count == cx.n else {
                    throw PalsError(.malformedFile, "\(cx.inputs.count) inputs for n = \(cx.n)")
                }
                guard !cx.inputs.contains(Concrete.bottomValue) else {
                    throw PalsError(.malformedFile, "input \(Concrete.bottomValue) is reserved for ⊥")
                }
                try cx.pattern.validate(n: cx.n, t: cx.t, rounds: model.proto.rounds, model: cx.faultModel)
            } catch {
                throw PalsError(.malformedFile, "\(file): \(error.template)")
            }
            cases.append(Case(model: model, inputs: cx.inputs, pattern: cx.pattern, file: file))
        }
        return cases
    }

    /// The outcome of a test as printed (JSON or text): the verdict, runs and
    /// distinct patterns, the first failure and the counterexample files; the
    /// backend's error goes to standard error.
    public func reportText(
        mode: String, backendName: String, stats: Stats, planned: Int, failure: (BackendRunReport, String)?,
        written: [String], error: BackendError?, seconds: Double
    ) -> String {
        var shown = CommandResult()
        let verdict = error != nil ? "backend-error" : failure != nil ? "failed" : "passed"
        let rate = seconds > 0 ? Double(stats.runs) / seconds : 0
        if json {
            shown.line(
                JSON.object([
                    ("verdict", .string(verdict)),
                    ("protocol", .string(protocolName)),
                    ("backend", .string(backendName)),
                    ("command", .string(cmd)),
                    ("mode", .string(mode)),
                    ("n", n.map { .int($0) } ?? .null),
                    ("t", t.map { .int($0) } ?? .null),
                    ("seed", mode == "random" ? (Int(exactly: seed).map { .int($0) } ?? .string(String(seed))) : .null),
                    ("strict", .bool(strict)),
                    ("plannedRuns", .int(planned)),
                    ("runs", .int(stats.runs)),
                    ("distinctPatterns", .int(stats.distinct.count)),
                    ("patternsByFaulty", .array(stats.byFaulty.map { .int($0) })),
                    ("failures", .int(stats.failures)),
                    ("failure", failure.map { failureJSON($0.0, name: $0.1) } ?? .null),
                    ("counterexamples", .array(written.map { .string($0) })),
                    ("error", error.map(backendErrorJSON) ?? .null),
                    ("seconds", .double((seconds * 1000).rounded() / 1000)),
                    ("runsPerSecond", .double(rate.rounded())),
                ]).compact)
        } else {
            let size = n.map { " n=\($0) t=\(t ?? 0)" } ?? ""
            shown.line(
                "backend \(backendName.isEmpty ? "(no hello)" : backendName) — \(protocolName)\(size), \(mode)"
                    + (mode == "random" ? " (seed \(seed))" : ""))
            shown.line("runs: \(stats.runs) of \(planned), distinct patterns: \(stats.distinct.count)")
            let byFaulty = stats.byFaulty.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: ", ")
            shown.line("patterns by number of faulty processes: " + (byFaulty.isEmpty ? "none" : byFaulty))
            if let (r, name) = failure {
                shown.line(
                    "failures: \(stats.failures) of \(stats.runs) runs"
                        + (keepGoing ? "" : " (stopped at the first; --keep-going runs them all)"))
                shown.line("FAILED: \(name)" + (written.isEmpty ? "" : " (the first failing run, shrunk)"))
                shown.line(failureText(r))
                for w in written { shown.line("counterexample: \(w)") }
            } else if error == nil {
                shown.line("failures: 0 — every run passed")
            }
            shown.line("time: \(fmt(seconds)) s (\(Int(rate.rounded())) runs/s)")
        }
        if let error { printError(error.description) }
        return shown.output
    }
}

// MARK: - pals backend

/// The parameters of `pals backend` as a value; `run()` performs it.
public struct BackendRequest {
    /// The protocol served; only "uic" has a reference encoding.
    public var protocolName: String = UICEntry.name
    /// The variant of UIC served: "standard" or one of its mutants.
    public var variant: String = "standard"

    /// Parameters with the command line's defaults.
    public init(protocolName: String = UICEntry.name, variant: String = "standard") {
        self.protocolName = protocolName
        self.variant = variant
    }

    /// Serves the protocol as a backend on standard input and output, one JSON
    /// request and one reply per line, until the input ends.
    ///
    /// - Throws: `PalsError` for an unknown protocol or variant.
    public func run() throws {
        guard protocolName == UICEntry.name else {
            throw PalsError(
                .unknownProtocol,
                "pals backend serves: \(backendProtocols.joined(separator: ", ")); not \"\(protocolName)\"")
        }
        guard let v = UIC<Concrete>.Variant(rawValue: variant) else {
            throw PalsError(
                .unknownProtocol,
                "unknown variant \"\(variant)\" of uic; known: \(UIC<Concrete>.Variant.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let server = BackendServer<UICCoding>(
            name: "pals-\(UICEntry.name)" + (v == .standard ? "" : "/\(variant)"), protocolName: UICEntry.name
        ) { n, t throws(PalsError) in
            try Catalog.validate(ModelSpec(protocolName: UICEntry.name, variant: v.rawValue, n: n, t: t))
            return (UIC(logic: Concrete(), n: n, t: t, variant: v), UICCoding(n: n))
        }
        server.serve(
            readLine: { Swift.readLine(strippingNewline: true) },
            write: { line in
                print(line)
                fflush(nil)
            })
    }
}

// MARK: - pals replay FILE --backend COMMAND

/// Re-runs a counterexample file against a backend: exit 1 when the run
/// still fails (a property is violated on the backend's decisions, or they
/// differ from the model's), 0 when it passes, 3 when the backend misbehaves.
public func replayAgainstBackend(file: String, command: String, timeout: Double, json: Bool) throws -> CommandResult {
    var shown = CommandResult()
    let cx: CounterexampleFile
    do throws(PalsError) {
        cx = try CounterexampleFile.parse(try readText(file))
    } catch {
        throw PalsError(error.kind, "\(file): \(error.template)")
    }
    let model: BackendModel<UICCoding>
    do throws(PalsError) {
        model = try backendModel(cx.protocolName, n: cx.n, t: cx.t)
        guard cx.inputs.count == cx.n else {
            throw PalsError(.malformedFile, "\(cx.inputs.count) inputs for n = \(cx.n)")
        }
        try cx.pattern.validate(n: cx.n, t: cx.t, rounds: model.proto.rounds, model: cx.faultModel)
    } catch {
        throw PalsError(
            error.kind == .unknownProtocol ? .unknownProtocol : .malformedFile, "\(file): \(error.template)")
    }
    let strict = cx.property == messagesMatchModel
    var report: BackendRunReport?
    var backendError: BackendError?
    var name = ""
    var driver: BackendDriver?
    do throws(BackendError) {
        let (d, hello) = try connectBackend(command, protocolName: cx.protocolName, timeout: timeout)
        driver = d
        name = hello.name
        report = try d.run(model, inputs: cx.inputs, pattern: cx.pattern, strict: strict)
    } catch {
        backendError = error
    }
    driver?.connection.close()
    let fails = report?.failed ?? false
    let sameWay = report?.fails(as: cx.property) ?? false
    if json {
        shown.line(
            JSON.object([
                ("verdict", .string(backendError != nil ? "backend-error" : fails ? "failed" : "passed")),
                ("file", .string(file)),
                ("backend", .string(name)),
                ("property", .string(cx.property)),
                ("stillFails", .bool(fails)),
                ("sameFailure", .bool(sameWay)),
                ("failure", report.flatMap { r in r.failureName.map { failureJSON(r, name: $0) } } ?? .null),
                ("error", backendError.map(backendErrorJSON) ?? .null),
            ]).compact)
    } else if let report {
        shown.line("backend \(name) — \(cx.protocolName) n=\(cx.n) t=\(cx.t), counterexample \(file)")
        if fails {
            shown.line(
                "the run still fails" + (sameWay ? " (\(cx.property))" : " (now: \(report.failureName ?? "?"))") + ":")
            shown.line(failureText(report))
        } else {
            shown.line("the run passes: \(cx.property) is no longer violated by this backend.")
        }
    }
    if let backendError {
        printError(backendError.description)
        return shown.ending(3)
    }
    return shown.ending(fails ? 1 : 0)
}
