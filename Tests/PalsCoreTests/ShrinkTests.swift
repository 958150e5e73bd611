import PalsCore
import Testing

@Suite(.timeLimit(.minutes(2))) struct ShrinkTests {
    /// A pattern with many events: every link of the six faulty processes of seven dropped in rounds 1 and 2, and
    /// some in round 3 (a solver's run of FloodSet at (7,6) under general omission shrank to a local minimum of this
    /// kind). Its round vectors are astronomically many, nearly all without a candidate; the search for the least
    /// pattern of its size must refuse it without listing them (it used to, and ran out of memory).
    @Test func leastOfItsSizeRefusesAPatternWithManyEventsWithoutListingItsVectors() {
        let n = 7
        let rounds = 7
        var drops: [Link] = []
        for r in 1...3 {
            for from in 0..<n {
                for to in 0..<n where to != from && (from < 6 || to < 6) && drops.count < 110 {
                    drops.append(Link(round: r, from: from, to: to))
                }
            }
        }
        let local = FailurePattern(faulty: ProcessSet(0..<6), crashes: [], drops: drops)
        #expect((try? local.validate(n: n, t: 6, rounds: rounds, model: .generalOmission)) != nil)
        var asked = 0
        let least = Shrinker.leastOfItsSize(
            local, n: n, t: 6, rounds: rounds, model: .generalOmission, budget: 20_000
        ) { (_: FailurePattern) -> Bool in
            asked += 1
            return true
        }
        #expect(least == nil)
        #expect(asked == 0)
    }

    /// Within the budget the search still walks the candidates of the local minimum's size in the canonical order:
    /// when only the local minimum itself fails, every earlier candidate is asked and the local minimum comes back.
    @Test func leastOfItsSizeWalksASmallSizeUpToTheLocalMinimum() {
        let local = FailurePattern(faulty: ProcessSet([1]), crashes: [], drops: [Link(round: 2, from: 2, to: 1)])
        var asked: [FailurePattern] = []
        let least = Shrinker.leastOfItsSize(
            local, n: 3, t: 1, rounds: 2, model: .generalOmission, budget: 20_000
        ) { (p: FailurePattern) -> Bool in
            asked.append(p)
            return p == local
        }
        #expect(least == local)
        #expect(!asked.isEmpty)
        #expect(asked.allSatisfy { Shrinker.precedes($0, local) })
    }
}
