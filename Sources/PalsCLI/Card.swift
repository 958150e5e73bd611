import ArgumentParser
import Foundation
import PalsCard
import PalsCore
import PalsModule
import PalsRuntime
import TrustedPals

// MARK: - card

struct CardCommand: ParsableCommand, RuntimeCommandBody {
    static let configuration = CommandConfiguration(
        commandName: "card",
        abstract: "Run one security module as a virtual smart card in vsmartcard's reader (vpcd) of pcscd.",
        discussion: """
            Connects to the virtual reader's port and answers pcscd: the ATR, SELECT of the \
            TrustedPals applet (AID F0 54 50 41 4C 53 01) and the module's commands as ISO 7816-4 \
            APDUs (specs/apdu.md). Any PC/SC client then reaches the module: `pals peer --module pcsc`, \
            scriptor, a real card's tools. Serves until no reader accepts it for --connect-timeout.
            """)

    @Argument(help: "Protocol: uic, smc or fair-exchange.")
    var protocolName: String

    @OptionGroup var instance: RuntimeInstanceOptions

    @Option(help: "This module's key file.")
    var key: String

    @Option(help: "The roster file.")
    var roster: String

    @Option(parsing: .unconditional, help: "The virtual reader's TCP port (vpcd's first reader: 35963).")
    var readerPort = 35963

    @Option(help: "The virtual reader's IPv4 address.")
    var readerHost = "127.0.0.1"

    @Option(
        parsing: .unconditional,
        help: "How long to wait for the reader, milliseconds (at start and after pcscd closed the link).")
    var connectTimeout = 10000

    @Option(
        parsing: .unconditional,
        help: "Answer every module command this many microseconds after it arrived (timing unobservability).")
    var fixedTimeUs: Int?

    func run() throws { try withRuntimeModel(try instance.parameters.spec(protocolName), RuntimeDispatch(body: self)) }

    func execute<C: ModuleCodec>(_ model: RuntimeModel<C>) throws {
        ChildProcesses.watchParent()
        guard readerPort >= 1 && readerPort <= 65535 else {
            throw PalsError(.invalidArgument, "--reader-port must be 1…65535, got \(readerPort)")
        }
        let wait = try seconds(ms: connectTimeout, "--connect-timeout")
        let k = try ModuleKey.parse(try readText(key))
        let r = try Roster.parse(try readText(roster))
        let module = try SecurityModule(
            codec: model.codec, key: k, roster: r,
            sessions: try FileSessionRecord(path: FileSessionRecord.path(besideKey: key)))
        if let f = fixedTimeUs, f < 1 || f > 10_000_000 {
            throw PalsError(.invalidArgument, "--fixed-time-us must be 1…10000000, got \(f)")
        }
        let link: ModuleLink = fixedTimeUs.map { FixedTimeLink(module, budgetNanoseconds: UInt64($0) * 1000) } ?? module
        try VirtualCard(applet: CardApplet(module: link), host: readerHost, port: readerPort).run(connectTimeout: wait)
    }
}

// MARK: - timing

struct TimingCommand: ParsableCommand, RuntimeCommandBody {
    static let configuration = CommandConfiguration(
        commandName: "timing",
        abstract: "Does the module's response time depend on its secrets? Welch's t per command kind (dudect).",
        discussion: """
            Runs sessions of two input classes in random order (fair exchange with fake rounds: \
            p0's module draws ρ = 1 or ρ = M; otherwise all inputs 0 or random inputs), times every \
            command of p0's module at its host through the card layer, and prints Welch's t per \
            command kind; |t| > 4.5 is a leak. --fixed-time-us makes the module answer every command \
            that long after it arrived. Exit status: 0 without a leak, 1 with one, 2 for bad input.
            """)

    @Argument(help: "Protocol: uic, smc or fair-exchange.")
    var protocolName: String

    @OptionGroup var instance: RuntimeInstanceOptions

    @Option(parsing: .unconditional, help: "Sessions per class (each times one command of every kind).")
    var sessions = 100_000

    @Option(parsing: .unconditional, help: "Answer every command this many microseconds after it arrived.")
    var fixedTimeUs: Int?

    @Option(parsing: .unconditional, help: "Seed of the class order and of the random inputs.")
    var seed: UInt64 = 1

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws { try withRuntimeModel(try instance.parameters.spec(protocolName), RuntimeDispatch(body: self)) }

    func execute<C: ModuleCodec>(_ model: RuntimeModel<C>) throws {
        guard sessions >= 2 && sessions <= 10_000_000 else {
            throw PalsError(.invalidArgument, "--sessions must be 2…10000000, got \(sessions)")
        }
        if let f = fixedTimeUs, f < 1 || f > 10_000_000 {
            throw PalsError(.invalidArgument, "--fixed-time-us must be 1…10000000, got \(f)")
        }
        let M = fakeRounds(of: model)
        let report = try TimingExperiment.run(
            model: model, classes: TimingExperiment.standardClasses(model, M: M), sessionsPerClass: sessions,
            fixedBudgetNanoseconds: fixedTimeUs.map { UInt64($0) * 1000 }, seed: seed)
        if json {
            print(
                JSON.object([
                    ("instance", .string(model.codec.instanceName)),
                    ("classes", .array([.string(report.classes.0), .string(report.classes.1)])),
                    ("sessionsPerClass", .int(report.sessionsPerClass)),
                    ("fixedTimeMicroseconds", fixedTimeUs.map { .int($0) } ?? .null),
                    ("overruns", .int(report.overruns)),
                    (
                        "rows",
                        .array(
                            report.rows.map { r in
                                .object([
                                    ("kind", .string(r.kind)), ("meanA", .double(r.a.mean / 1000)),
                                    ("meanB", .double(r.b.mean / 1000)),
                                    ("t", .double(r.t.isFinite ? r.t : (r.t > 0 ? 1e300 : -1e300))),
                                    ("apdus", .double(r.apdus)), ("bytes", .double(r.bytes)),
                                ])
                            })
                    ),
                    ("leaks", .array(report.leaks.map { .string($0) })),
                ]).compact)
        } else {
            print(
                "\(model.codec.instanceName): \(report.sessionsPerClass) sessions per class, \(report.classes.0) vs \(report.classes.1)"
                    + (fixedTimeUs.map { ", fixed-time answers at \($0) µs" } ?? ""))
            print("kind          mean A µs   mean B µs   Welch t")
            for r in report.rows {
                let pad = { (s: String, w: Int) in String(repeating: " ", count: max(0, w - s.count)) + s }
                print(
                    r.kind.padding(toLength: 12, withPad: " ", startingAt: 0)
                        + pad(String(format: "%.2f", r.a.mean / 1000), 12)
                        + pad(String(format: "%.2f", r.b.mean / 1000), 12) + pad(String(format: "%.2f", r.t), 10)
                        + (abs(r.t) > TimingReport.threshold ? "  LEAK" : ""))
            }
            if report.overruns > 0 { print("overruns: \(report.overruns) command(s) took longer than the budget") }
            print(
                report.leaks.isEmpty
                    ? "no |t| above \(TimingReport.threshold)"
                    : "leak: |t| > \(TimingReport.threshold) for \(report.leaks.joined(separator: ", "))")
        }
        if !report.leaks.isEmpty { throw ExitCode(1) }
    }
}
