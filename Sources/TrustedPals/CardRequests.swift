import Foundation
import PalsCard
import PalsCore
import PalsModule
import PalsRuntime

// MARK: - card

/// The parameters of `pals card` as a value; `run()` serves one security
/// module as a virtual smart card in vsmartcard's reader (vpcd) of pcscd.
public struct CardRequest: RuntimeInstanceCommand {
    /// The protocol the module runs: one of `runtimeProtocols`.
    public var protocolName: String
    /// The instance the module runs.
    public var instance: RuntimeInstance
    /// The path of this module's key file.
    public var key: String
    /// The path of the roster file.
    public var roster: String
    /// The virtual reader's TCP port (vpcd's first reader: 35963).
    public var readerPort = 35963
    /// The virtual reader's IPv4 address.
    public var readerHost = "127.0.0.1"
    /// How long to wait for the reader, milliseconds (at start and after
    /// pcscd closed the link).
    public var connectTimeoutMs = 10000
    /// Answer every module command this many microseconds after it arrived
    /// (timing unobservability); nil: as soon as it is computed.
    public var fixedTimeUs: Int?

    /// Parameters with the command line's defaults.
    public init(protocolName: String, instance: RuntimeInstance, key: String, roster: String) {
        self.protocolName = protocolName
        self.instance = instance
        self.key = key
        self.roster = roster
    }

    /// Answers pcscd: the ATR, SELECT of the applet and the module's commands
    /// as ISO 7816-4 APDUs, until no reader accepts the card for the connect
    /// timeout.
    /// - Throws: `PalsError` for a bad port, timeout or fixed time, an
    ///   unreadable key or roster.
    public func execute<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> CommandResult {
        ChildProcesses.watchParent()
        guard readerPort >= 1 && readerPort <= 65535 else {
            throw PalsError(.invalidArgument, "⟪readerPort⟫ must be 1…65535, got \(readerPort)")
        }
        let wait = try seconds(ms: connectTimeoutMs, "⟪connectTimeout⟫")
        try checkFixedTime(fixedTimeUs)
        let k = try ModuleKey.parse(try readText(key))
        let r = try Roster.parse(try readText(roster))
        let module = try SecurityModule(
            codec: model.codec, key: k, roster: r,
            sessions: try FileSessionRecord(path: FileSessionRecord.path(besideKey: key)))
        let link: ModuleLink = fixedTimeUs.map { FixedTimeLink(module, budgetNanoseconds: UInt64($0) * 1000) } ?? module
        try VirtualCard(applet: CardApplet(module: link), host: readerHost, port: readerPort).run(connectTimeout: wait)
        return CommandResult()
    }
}

/// A fixed answer time must be 1 µs … 10 s.
func checkFixedTime(_ us: Int?) throws(PalsError) {
    if let f = us, f < 1 || f > 10_000_000 {
        throw PalsError(.invalidArgument, "⟪fixedTimeUs⟫ must be 1…10000000, got \(f)")
    }
}

// MARK: - timing

/// The parameters of `pals timing` as a value; `run()` measures whether the
/// module's response time depends on its secrets (Welch's t per command
/// kind, dudect) and prints the table.
public struct TimingRequest: RuntimeInstanceCommand {
    /// The protocol the module runs: one of `runtimeProtocols`.
    public var protocolName: String
    /// The instance the module runs.
    public var instance: RuntimeInstance
    /// Sessions per class (each times one command of every kind).
    public var sessions = 100_000
    /// Answer every command this many microseconds after it arrived; nil: at once.
    public var fixedTimeUs: Int?
    /// Seed of the class order and of the random inputs.
    public var seed: UInt64 = 1
    /// Print one JSON object instead of text.
    public var json = false

    /// Parameters with the command line's defaults.
    public init(protocolName: String, instance: RuntimeInstance) {
        self.protocolName = protocolName
        self.instance = instance
    }

    /// Runs the experiment and returns its table or JSON.
    /// - Throws: `PalsError` for bad parameters; the result has exit status 1 when some
    ///   command kind leaks.
    public func execute<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> CommandResult {
        var shown = CommandResult()
        let report = try measure(model)
        shown.line(json ? timingJSON(report, model: model).compact : timingText(report, model: model))
        if !report.leaks.isEmpty { return shown.ending(1) }
        return shown
    }

    /// Runs the experiment on `model`: two input classes in random order
    /// (fair exchange with fake rounds: ρ = 1 or ρ = M; otherwise all inputs
    /// 0 or random inputs).
    public func measure<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> TimingReport {
        guard sessions >= 2 && sessions <= 10_000_000 else {
            throw PalsError(.invalidArgument, "⟪sessions⟫ must be 2…10000000, got \(sessions)")
        }
        try checkFixedTime(fixedTimeUs)
        return try TimingExperiment.run(
            model: model, classes: TimingExperiment.standardClasses(model, M: fakeRounds(of: model)),
            sessionsPerClass: sessions, fixedBudgetNanoseconds: fixedTimeUs.map { UInt64($0) * 1000 }, seed: seed)
    }

    /// The report as one JSON object.
    public func timingJSON<C: ModuleCodec>(_ report: TimingReport, model: RuntimeModel<C>) -> JSON {
        let rows: [JSON] = report.rows.map { r in
            .object([
                ("kind", .string(r.kind)), ("meanA", .double(r.a.mean / 1000)),
                ("meanB", .double(r.b.mean / 1000)),
                ("t", .double(r.t.isFinite ? r.t : (r.t > 0 ? 1e300 : -1e300))),
                ("apdus", .double(r.apdus)), ("bytes", .double(r.bytes)),
            ])
        }
        return .object([
            ("instance", .string(model.codec.instanceName)),
            ("classes", .array([.string(report.classes.0), .string(report.classes.1)])),
            ("sessionsPerClass", .int(report.sessionsPerClass)),
            ("fixedTimeMicroseconds", fixedTimeUs.map { .int($0) } ?? .null),
            ("overruns", .int(report.overruns)),
            ("rows", .array(rows)),
            ("leaks", .array(report.leaks.map { .string($0) })),
        ])
    }

    /// The report as a table: means per class and Welch's t per command kind.
    public func timingText<C: ModuleCodec>(_ report: TimingReport, model: RuntimeModel<C>) -> String {
        var lines = [
            "\(model.codec.instanceName): \(report.sessionsPerClass) sessions per class, \(report.classes.0) vs \(report.classes.1)"
                + (fixedTimeUs.map { ", fixed-time answers at \($0) µs" } ?? ""),
            "kind          mean A µs   mean B µs   Welch t",
        ]
        let pad = { (s: String, w: Int) in String(repeating: " ", count: max(0, w - s.count)) + s }
        for r in report.rows {
            lines.append(
                r.kind.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + pad(String(format: "%.2f", r.a.mean / 1000), 12)
                    + pad(String(format: "%.2f", r.b.mean / 1000), 12) + pad(String(format: "%.2f", r.t), 10)
                    + (abs(r.t) > TimingReport.threshold ? "  LEAK" : ""))
        }
        if report.overruns > 0 { lines.append("overruns: \(report.overruns) command(s) took longer than the budget") }
        lines.append(
            report.leaks.isEmpty
                ? "no |t| above \(TimingReport.threshold)"
                : "leak: |t| > \(TimingReport.threshold) for \(report.leaks.joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }
}
