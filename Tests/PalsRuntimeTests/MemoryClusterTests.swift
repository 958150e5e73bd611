import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime
import Testing
import TrustedPals

@Suite("Runtime on the in-memory transport", .timeLimit(.minutes(10)))
struct MemoryClusterTests {
    @Test("a failure-free run decides the input vector everywhere and conforms")
    func failureFree() throws {
        let d = try Deployment(n: 4, t: 1)
        let cluster = try d.cluster()
        let trace = try cluster.run()
        let report = try d.oracle().check(trace)
        #expect(report.verdict == .conforms, "\(String(describing: report.disagreement))")
        #expect(report.violations.isEmpty)
        #expect(report.realized == FailurePattern())
        for log in trace.logs {
            #expect(log?.decision == Decision(decided: true, value: [10, 11, 12, 13]))
        }
    }

    @Test("rounds advance only when the test steps them")
    func stepping() throws {
        let d = try Deployment(n: 3, t: 1)
        let cluster = try d.cluster()
        try cluster.begin()
        #expect(cluster.round == 0)
        try cluster.step()
        #expect(cluster.round == 1 && !cluster.isFinished)
        try cluster.step()
        #expect(cluster.isFinished)
        let trace = try cluster.finish()
        #expect(trace.logs.allSatisfy { $0?.rounds.count == 2 })
    }

    @Test("every injected pattern is realized exactly and the run conforms")
    func injectedPatterns() throws {
        let d = try Deployment(n: 4, t: 1)
        var rng = SplitMix64(seed: 3)
        for k in 0..<200 {
            let plan = AdversaryPlan.random(n: 4, t: 1, rounds: 2, rng: &rng)
            let trace = try d.cluster(session: UInt64(k), adversary: plan).run()
            let report = try d.oracle().check(trace)
            #expect(report.verdict == .conforms, "run \(k): \(String(describing: report.disagreement))")
            #expect(report.violations.isEmpty, "run \(k)")
            // The realized pattern is the injected one, up to drops that a
            // crash makes invisible.
            let visible = plan.pattern.drops.filter { l in
                !plan.crashed(l.from, before: l.round) && !plan.crashed(l.to, before: l.round)
            }
            #expect(report.realized.drops == visible, "run \(k)")
            #expect(report.realized.crashes == plan.pattern.crashes, "run \(k)")
        }
    }

    @Test("at t ≥ n/2 the oracle reports the model's violations on the realized run")
    func violationsReported() throws {
        // (2,1): p1 silent toward p0 in round 1 and p0 toward p1 in round 2.
        let d = try Deployment(n: 2, t: 1)
        let plan = AdversaryPlan(
            faulty: ProcessSet([1]), drops: [Link(round: 1, from: 1, to: 0), Link(round: 2, from: 0, to: 1)])
        let trace = try d.cluster(adversary: plan).run()
        let report = try d.oracle().check(trace)
        #expect(report.verdict == .conforms)
        #expect(!report.violations.isEmpty)
    }
}
