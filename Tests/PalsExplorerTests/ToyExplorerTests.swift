import PalsCore
import PalsExplorer
import PalsTestSupport
import Testing

/// The explorer on toy protocols whose state spaces are counted by hand.
@Suite(.timeLimit(.minutes(10))) struct ToyExplorerTests {
    func run<P: RoundProtocol & Sendable>(
        _ p: P, _ props: [Property<P>], symmetry: Bool = false, model: FaultModel = .generalOmission, threads: Int = 1
    ) throws -> ExplorationResult where P.L == Concrete, P.State: Hashable {
        var o = ExplorerOptions()
        o.symmetry = symmetry
        o.faultModel = model
        o.threads = threads
        return try Explorer(p, properties: props, inputs: Array(0..<p.n), options: o).run()
    }

    /// `Still`, n = 2, t = 1, R = 2. F = ∅: one state per layer (3 states, 1
    /// transition per round). F = {p}: layer 1 = {(s,s), p crashed}; layer 2
    /// from (s,s) again 2, from the crashed one 1 → {(s,s), crashed}: 1 + 2 + 2
    /// = 5 states, 2 + 3 = 5 transitions. Total 3 + 5 + 5 = 13 states, 12
    /// transitions.
    @Test func stillCountsOnlyCrashes() throws {
        let r = try run(Still(n: 2, t: 1, rounds: 2), [Still.trivial])
        #expect(r.states == 13)
        #expect(r.transitions == 12)
        #expect(r.verdict == .holds)
        #expect(r.faultySetsExplored == 3)
    }

    /// `Counter`, n = 2, t = 1, R = 1. F = ∅: 1 + 1 states. F = {p0}: p0 gets 2
    /// or 1 messages or crashes (3 successors), p1 gets 2 or 1 (2) → 1 + 6.
    /// Same for F = {p1}. Total 16 states, 1 + 6 + 6 = 13 transitions.
    @Test func counterCountsEveryInbox() throws {
        let r = try run(Counter(n: 2, t: 1, rounds: 1), [Counter.correctCountsAgree])
        #expect(r.states == 16)
        #expect(r.transitions == 13)
        #expect(r.largestLayer == 6)
    }

    /// Under crash-stop, Counter n = 2, t = 1, R = 1, F = {p0}: either nobody
    /// crashes (both get 2) or p0 crashes after round 1 having reached p1 or
    /// not (p1 gets 2 or 1): 3 successors.
    @Test func crashStopCounts() throws {
        let r = try run(Counter(n: 2, t: 1, rounds: 1), [Counter.correctCountsAgree], model: .crash)
        #expect(r.states == 1 + 1 + 2 * (1 + 3))
        #expect(r.transitions == 1 + 2 * 3)
    }

    @Test func invariantViolationIsFoundAtTheEarliestRoundAndShrunk() throws {
        let p = Counter(n: 3, t: 2, rounds: 3)
        let r = try run(p, [Counter.nothingLost, Counter.correctCountsAgree, Counter.someLoss])
        let lost = try #require(r.verdicts.first { $0.name == "NothingLost" })
        #expect(lost.status == .violated)
        let v = try #require(lost.violation)
        #expect(v.afterRound == 1)
        #expect(v.pattern.faulty.count == 1)
        #expect(v.pattern.drops.count == 1 && v.pattern.crashes.isEmpty)
        #expect(
            Shrinker.violates(p, Counter.nothingLost, inputs: v.inputs, pattern: v.pattern, model: .generalOmission)
                == 1)
        // Correct processes always receive from each other, but a faulty sender
        // may reach one correct process and not another.
        #expect(r.verdicts.first { $0.name == "CorrectCountsAgree" }?.status == .violated)
        #expect(r.verdicts.first { $0.name == "SomeLoss" }?.status == .witnessed)
    }

    @Test func witnessesThatNeverHappenAreReported() throws {
        let r = try run(Counter(n: 3, t: 0, rounds: 2), [Counter.someLoss])
        #expect(r.verdicts[0].status == .notWitnessed)
    }

    @Test func threadsDoNotChangeResults() throws {
        let p = Counter(n: 4, t: 2, rounds: 2)
        let props = [Counter.nothingLost, Counter.correctCountsAgree]
        let a = try run(p, props, threads: 1)
        let b = try run(p, props, threads: 2)
        #expect(a.states == b.states && a.transitions == b.transitions)
        #expect(a.verdicts.map(\.violation) == b.verdicts.map(\.violation))
    }

    @Test func tooManyProcessesIsAClearError() {
        #expect {
            try Explorer(Counter(n: 17, t: 1, rounds: 1), properties: [], inputs: Array(0..<17)).run()
        } throws: { ($0 as? PalsError)?.message.contains("engine symbolic") == true }
    }

    @Test func symmetryNeedsDistinctInputs() {
        var o = ExplorerOptions()
        o.symmetry = true
        #expect(throws: PalsError.self) {
            try Explorer(Counter(n: 3, t: 1, rounds: 1), properties: [], inputs: [1, 1, 2], options: o).run()
        }
    }
}
