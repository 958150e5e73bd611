import PalsCore
import PalsTestSupport
import Testing

@Suite(.timeLimit(.minutes(10))) struct SimulateTests {
    @Test func failureFreeRunDeliversEverything() throws {
        let p = Counter(n: 3, t: 1, rounds: 2)
        let trace = try simulate(p, inputs: [0, 1, 2], pattern: .none)
        #expect(trace.states.map { $0 } == [[0, 0, 0], [3, 3, 3], [6, 6, 6]])
        #expect(trace.delivered[0] == Array(repeating: ProcessSet.all(3), count: 3))
        #expect(trace.decisions.map(\.decided) == [true, true, true])
        #expect(trace.violation(of: Counter.nothingLost, protocol: p) == nil)
    }

    @Test func droppedLinksAndCrashes() throws {
        let p = Counter(n: 3, t: 1, rounds: 2)
        // p0 loses p1's round-1 message and crashes at round 2.
        let pattern = FailurePattern(
            faulty: ProcessSet([0]), crashes: [Crash(process: 0, round: 2)], drops: [Link(round: 1, from: 1, to: 0)])
        let trace = try simulate(p, inputs: [0, 1, 2], pattern: pattern)
        #expect(trace.states[1] == [2, 3, 3])
        // Round 2: p0 sends and receives nothing, keeps its state; the others miss p0.
        #expect(trace.states[2] == [2, 5, 5])
        #expect(trace.delivered[1][0].isEmpty)
        #expect(trace.delivered[1][1] == ProcessSet([1, 2]))
        #expect(trace.crashed[1].isEmpty && trace.crashed[2] == ProcessSet([0]))
        #expect(trace.decisions[0].decided == false)
        #expect(trace.decisions[1].value == [5])
        #expect(trace.violation(of: Counter.nothingLost, protocol: p) == 1)
        #expect(trace.violation(of: Counter.correctCountsAgree, protocol: p) == nil)
    }

    @Test func crashAfterTheLastRoundOnlyPreventsTheDecision() throws {
        let p = Counter(n: 2, t: 1, rounds: 1)
        let trace = try simulate(
            p, inputs: [0, 1], pattern: FailurePattern(faulty: ProcessSet([1]), crashes: [Crash(process: 1, round: 2)]))
        #expect(trace.states[1] == [2, 2])
        #expect(trace.decisions.map(\.decided) == [true, false])
    }

    @Test func badInputsAreRejected() {
        let p = Counter(n: 3, t: 1, rounds: 1)
        #expect(throws: PalsError.self) { try simulate(p, inputs: [0, 1], pattern: .none) }
        #expect(throws: PalsError.self) { try simulate(p, inputs: [0, 1, Int.min], pattern: .none) }
        #expect(throws: PalsError.self) {
            try simulate(p, inputs: [0, 1, 2], pattern: FailurePattern(drops: [Link(round: 1, from: 0, to: 1)]))
        }
    }

    @Test func shrinkingKeepsOnlyWhatTheViolationNeeds() throws {
        let p = Counter(n: 3, t: 2, rounds: 2)
        let noisy = FailurePattern(
            faulty: ProcessSet([0, 1]), crashes: [Crash(process: 1, round: 3)],
            drops: [Link(round: 1, from: 0, to: 2), Link(round: 2, from: 0, to: 1), Link(round: 2, from: 2, to: 0)])
        #expect(
            Shrinker.violates(p, Counter.nothingLost, inputs: [0, 1, 2], pattern: noisy, model: .generalOmission) == 1)
        let small = Shrinker.shrink(p, Counter.nothingLost, inputs: [0, 1, 2], pattern: noisy, model: .generalOmission)
        #expect(small.faulty.count == 1)
        #expect(small.drops.count == 1)
        #expect(small.crashes.isEmpty)
        #expect(
            Shrinker.violates(p, Counter.nothingLost, inputs: [0, 1, 2], pattern: small, model: .generalOmission) != nil
        )
    }
}
