import PalsCore
import Testing

@Suite(.timeLimit(.minutes(10))) struct FailurePatternTests {
    func rejects(_ p: FailurePattern, n: Int = 4, t: Int = 1, rounds: Int = 2, model: FaultModel = .generalOmission)
        -> String?
    {
        do {
            try p.validate(n: n, t: t, rounds: rounds, model: model)
            return nil
        } catch {
            #expect(error.kind == .inadmissiblePattern)
            return error.message
        }
    }

    @Test func admissiblePatternsPass() {
        #expect(rejects(.none) == nil)
        let p = FailurePattern(
            faulty: ProcessSet([1]), crashes: [Crash(process: 1, round: 3)],
            drops: [Link(round: 1, from: 1, to: 0), Link(round: 2, from: 2, to: 1)])
        #expect(rejects(p) == nil)
    }

    @Test func tooManyFaulty() {
        let m = rejects(FailurePattern(faulty: ProcessSet([0, 1])))
        #expect(m?.contains("at most t = 1") == true)
    }

    @Test func linkBetweenCorrectProcessesNamesTheLink() {
        let m = rejects(FailurePattern(faulty: ProcessSet([0]), drops: [Link(round: 2, from: 1, to: 2)]))
        #expect(m?.contains("round 2 p1→p2") == true)
        #expect(m?.contains("correct") == true)
    }

    @Test func selfLinkRoundRangeAndProcessRange() {
        #expect(
            rejects(FailurePattern(faulty: ProcessSet([0]), drops: [Link(round: 1, from: 0, to: 0)]))?
                .contains("self-messages") == true)
        #expect(
            rejects(FailurePattern(faulty: ProcessSet([0]), drops: [Link(round: 3, from: 0, to: 1)]))?
                .contains("round outside 1…2") == true)
        #expect(rejects(FailurePattern(faulty: ProcessSet([0]), drops: [Link(round: 0, from: 0, to: 1)])) != nil)
        #expect(
            rejects(FailurePattern(faulty: ProcessSet([0]), drops: [Link(round: 1, from: 0, to: 9)]))?
                .contains("no such process") == true)
        #expect(rejects(FailurePattern(faulty: ProcessSet([5])))?.contains("p5 does not exist") == true)
    }

    @Test func crashesMustBeFaultyOnceAndInRange() {
        #expect(
            rejects(FailurePattern(crashes: [Crash(process: 2, round: 1)]))?.contains("not in the faulty set") == true)
        #expect(
            rejects(FailurePattern(faulty: ProcessSet([2]), crashes: [Crash(process: 2, round: 4)]))?
                .contains("outside 1…3") == true)
        #expect(
            rejects(
                FailurePattern(
                    faulty: ProcessSet([2]), crashes: [Crash(process: 2, round: 1), Crash(process: 2, round: 2)]))?
                .contains("more than once") == true)
    }

    @Test func crashModelAllowsLossOnlyJustBeforeTheCrash() {
        let ok = FailurePattern(
            faulty: ProcessSet([0]), crashes: [Crash(process: 0, round: 2)], drops: [Link(round: 1, from: 0, to: 1)])
        #expect(rejects(ok, model: .crash) == nil)
        let receiveOmission = FailurePattern(
            faulty: ProcessSet([0]), crashes: [Crash(process: 0, round: 2)], drops: [Link(round: 1, from: 1, to: 0)])
        #expect(rejects(receiveOmission, model: .crash) != nil)
        #expect(rejects(receiveOmission, model: .generalOmission) == nil)
    }

    @Test func dropsAreSortedAndDeduplicated() {
        let p = FailurePattern(
            faulty: ProcessSet([0]),
            drops: [Link(round: 2, from: 0, to: 1), Link(round: 1, from: 0, to: 2), Link(round: 2, from: 0, to: 1)])
        #expect(p.drops == [Link(round: 1, from: 0, to: 2), Link(round: 2, from: 0, to: 1)])
    }
}
