import Foundation
import PalsCard
import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime
import Testing
import TrustedPals

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Timing statistics and fixed-time answers", .timeLimit(.minutes(10)))
struct TimingTests {
    @Test("Welch's t against known values")
    func welch() {
        let a = RunningStats([1, 2, 3, 4, 5])
        let b = RunningStats([2, 4, 6, 8, 10])
        #expect(a.mean == 3 && abs(a.variance - 2.5) < 1e-12)
        #expect(b.mean == 6 && abs(b.variance - 10) < 1e-12)
        #expect(a.max == 5 && b.max == 10 && RunningStats().max == 0)
        #expect(abs(welchT(a, b) - -1.8973665961010275) < 1e-12)
        #expect(abs(welchT(b, a) - 1.8973665961010275) < 1e-12)
        // Welch's first example (Wikipedia, "Welch's t-test"): t = −2.46.
        let a1 = RunningStats([
            27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4,
        ])
        let a2 = RunningStats([
            27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4,
        ])
        #expect(abs(welchT(a1, a2) - -2.455356398286006) < 1e-9)
        #expect(welchT(RunningStats([4, 4]), RunningStats([4, 4, 4])) == 0)
        #expect(welchT(RunningStats([5, 5]), RunningStats([4, 4])) == .infinity)
    }

    @Test("fixed-time answers: never before the budget; slower work is counted as an overrun")
    func fixedTime() throws {
        final class Slow: ModuleLink {
            var spinNanoseconds: UInt64 = 0
            func transmit(_ command: [UInt8]) throws(ModuleError) -> [UInt8] {
                var ts = timespec()
                clock_gettime(CLOCK_MONOTONIC, &ts)
                let due = UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec) + spinNanoseconds
                while true {
                    clock_gettime(CLOCK_MONOTONIC, &ts)
                    if UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec) >= due { break }
                }
                return [0x90, 0x00]
            }
        }
        let slow = Slow()
        let link = FixedTimeLink(slow, budgetNanoseconds: 2_000_000)
        for spin in [0, 100_000, 1_000_000] as [UInt64] {
            slow.spinNanoseconds = spin
            let start = ContinuousClock.now
            #expect(try link.transmit([0x80, 0x40, 0, 0]) == [0x90, 0x00])
            #expect(ContinuousClock.now - start >= .milliseconds(2))
        }
        #expect(link.overruns == 0)
        slow.spinNanoseconds = 4_000_000
        _ = try link.transmit([0x80, 0x40, 0, 0])
        #expect(link.overruns == 1)
    }

    @Test("a small experiment times every command kind of both classes")
    func experiment() throws {
        // Fake rounds with M = 3: rounds = M + 1.
        let spec = ModelSpec(protocolName: "fair-exchange", variant: "fake-rounds", n: 2, t: 1, rounds: 4)
        struct Body: RuntimeModelVisitor {
            func visit<C: ModuleCodec>(_ model: RuntimeModel<C>) throws {
                let report = try TimingExperiment.run(
                    model: model, classes: TimingExperiment.standardClasses(model, M: 3), sessionsPerClass: 20,
                    fixedBudgetNanoseconds: nil, seed: 5)
                #expect(report.classes == ("rho = 1", "rho = 3"))
                let kinds = report.rows.map(\.kind)
                #expect(kinds == ["BEGIN"] + (1...4).flatMap { ["ROUND OUT \($0)", "ROUND IN \($0)"] } + ["RESULT"])
                for r in report.rows {
                    #expect(r.a.count == 20 && r.b.count == 20, "\(r.kind)")
                    #expect(r.a.mean > 0 && r.b.mean > 0 && r.t.isFinite, "\(r.kind)")
                }
            }
        }
        try withRuntimeModel(spec, Body())
    }
}

@Suite("A user's F whose time leaks its inputs", .timeLimit(.minutes(10)))
struct LeakingFunctionTests {
    /// examples/functions/slow_sum.wasm: sum/v1, counting the low 14 bits of
    /// every entry one by one.
    static var slowSum: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("examples/functions/slow_sum.wasm").path
    }

    struct Body: RuntimeModelVisitor {
        var sessions: Int
        var budget: UInt64?
        func visit<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> TimingReport {
            try TimingExperiment.run(
                model: model, classes: TimingExperiment.standardClasses(model, M: nil), sessionsPerClass: sessions,
                fixedBudgetNanoseconds: budget, seed: 11)
        }
    }

    @Test("RESULT's time tells zero inputs from random ones; answers at a fixed time do not")
    func leakFoundAndHidden() throws {
        let variant = try loadFunctionVariant(Self.slowSum, fuel: nil)
        let spec = ModelSpec(protocolName: "smc", variant: variant, n: 3, t: 1)
        // The module evaluates F in RESULT, afresh in every session (no memo
        // that would answer a D seen before at once). 1,000 sessions: the
        // tests run in parallel, and the other tests' load adds outliers to
        // both classes (200 sessions gave t = −2.6 on a loaded 2-core run,
        // against t = −279 with 17,000 on an idle one).
        let open = try withRuntimeModel(spec, Body(sessions: 1_000, budget: nil))
        #expect(open.leaks.contains("RESULT"), "\(open.rows.map { "\($0.kind) \($0.t)" })")
        let result = try #require(open.rows.first { $0.kind == "RESULT" })
        #expect(result.b.mean > result.a.mean)
        // A budget well above the commands' times (four times the slowest
        // kind's mean, at least 5 ms): the build and the machine's load set
        // the scale. A command that still takes longer (a stall of the
        // machine) is answered late and counted; a few may be.
        let slowest = open.rows.map { Swift.max($0.a.mean, $0.b.mean) }.max() ?? 0
        let budget = UInt64(Swift.max(5_000_000, 4 * slowest))
        let fixed = try withRuntimeModel(spec, Body(sessions: 40, budget: budget))
        let commands = fixed.rows.reduce(0) { $0 + $1.a.count + $1.b.count }
        #expect(
            fixed.overruns * 20 <= commands, "\(fixed.overruns) of \(commands) commands over the budget of \(budget) ns"
        )
        #expect(fixed.leaks.isEmpty, "\(fixed.rows.map { "\($0.kind) \($0.t)" })")
    }
}
