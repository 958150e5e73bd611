import Foundation
import PalsCore
import PalsProtocols
import PalsSymbolic
import PalsZ3
import Testing

/// Records the progress lines a check passes on, and answers its stop poll
/// with a reason once a line that contains `trigger` has been seen.
final class StopOnLine: @unchecked Sendable {
    private let lock = NSLock()
    private let trigger: [String]
    private var seen = false
    private(set) var lines: [String] = []

    init(_ trigger: String...) { self.trigger = trigger }

    func progress(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        lines.append(line)
        if trigger.allSatisfy({ line.contains($0) }) { seen = true }
    }

    func stopReason() -> String? {
        lock.lock()
        defer { lock.unlock() }
        return seen ? "stopped by the test" : nil
    }
}

/// A symbolic check that is told to stop (Ctrl-C, a scheduler's SIGTERM, the
/// memory budget) stops within a poll: the running Z3 query is interrupted,
/// the property it was deciding and every later one are `unknown` with the
/// reason, the properties decided before keep their verdicts, and a
/// counterexample being shrunk stays the solver's, still a replayed
/// violation. UIC (9,6)'s Agreement is a query neither Z3 solver decides in
/// 150 s on this machine, so without the interrupt the test would run for
/// minutes.
@Suite(.timeLimit(.minutes(10))) struct SymbolicStopTests {
    static func run(_ watch: StopOnLine, n: Int = 9, t: Int = 6) throws -> (SymbolicResult, UIC<Concrete>) {
        let l = Symbolic(context: try Z3Context(), valueBits: Symbolic.bits(forValuesBelow: n))
        var options = SymbolicOptions()
        options.symmetry = true
        options.progress = { watch.progress($0) }
        options.stopReason = { watch.stopReason() }
        let concrete = UIC(logic: Concrete(), n: n, t: t)
        let r = try SymbolicChecker(
            symbolic: UIC(logic: l, n: n, t: t), concrete: concrete, properties: UIC<Symbolic>.properties,
            concreteProperties: UIC<Concrete>.properties, options: options
        ).run()
        return (r, concrete)
    }

    @Test func aRunningQueryIsInterrupted() throws {
        let watch = StopOnLine("Agreement (4 of 7)", "solving")
        let began = Date()
        let (r, concrete) = try Self.run(watch)
        #expect(Date().timeIntervalSince(began) < 120, "the query was not interrupted")
        #expect(r.stopReason == "stopped by the test")
        #expect(r.verdicts.map(\.status) == [.holds, .violated, .violated, .unknown, .unknown, .unknown, .unknown])
        for v in r.verdicts.dropFirst(3) { #expect(v.reason == "stopped by the test", "\(v.name)") }
        #expect(r.verdicts[1].reason == nil && r.verdicts[2].reason == nil)
        #expect(r.verdict == .violated)
        try expectReplays(r, concrete, UIC<Concrete>.properties, model: .generalOmission)
        #expect(watch.lines.contains { $0.hasPrefix("symbolic n=9 t=6: Agreement (4 of 7), solving for ") })
        #expect(watch.lines.contains { $0.hasPrefix("symbolic n=9 t=6: UniformAgreement (2 of 7), shrinking ") })
    }

    @Test func aStopWhileShrinkingKeepsTheSolversCounterexample() throws {
        let watch = StopOnLine("UniformAgreement (2 of 7)", "shrinking")
        let (r, concrete) = try Self.run(watch)
        #expect(r.stopReason == "stopped by the test")
        let ua = try #require(r.verdicts.first { $0.name == "UniformAgreement" })
        #expect(ua.status == .violated)
        #expect(ua.reason?.hasPrefix("stopped by the test while shrinking") == true, "\(ua.reason ?? "")")
        #expect(ua.pattern == ua.solverPattern.map { Shrinker.normalize($0, rounds: concrete.rounds) })
        #expect(r.verdicts.dropFirst(2).allSatisfy { $0.status == .unknown && $0.reason == "stopped by the test" })
        try expectReplays(r, concrete, UIC<Concrete>.properties, model: .generalOmission)
    }

    @Test func withoutAStopNothingChanges() throws {
        let watch = StopOnLine("no such line")
        let (r, _) = try Self.run(watch, n: 6, t: 3)
        let plain = try checkUIC(n: 6, t: 3)
        #expect(r.stopReason == nil)
        #expect(r.verdicts.map(\.status) == plain.verdicts.map(\.status))
        #expect(r.verdicts.map(\.pattern) == plain.verdicts.map(\.pattern))
    }
}
