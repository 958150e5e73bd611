import PalsCore
import Testing

@Suite(.timeLimit(.minutes(10))) struct ShrinkTests {
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

    /// Judging the candidates a batch at a time (as the symbolic engine does,
    /// in parallel) gives the same shrunk pattern as judging them one by one:
    /// for predicates of many shapes on a FloodSet-sized instance, every
    /// batch size returns the one-by-one result, and never asks about a
    /// pattern the one-by-one search would not have reached first.
    @Test func batchesGiveTheSameResultAsOneByOne() {
        let n = 4
        let t = 2
        let rounds = 3
        let start = FailurePattern(
            faulty: ProcessSet([1, 3]), crashes: [Crash(process: 3, round: 3)],
            drops: [
                Link(round: 1, from: 1, to: 0), Link(round: 1, from: 1, to: 2), Link(round: 2, from: 0, to: 3),
                Link(round: 2, from: 1, to: 2), Link(round: 3, from: 2, to: 1),
            ])
        #expect((try? start.validate(n: n, t: t, rounds: rounds, model: .generalOmission)) != nil)
        // Predicates that keep the start failing: enough events, a given link kept, a faulty process kept, …
        let predicates: [(String, (FailurePattern) -> Bool)] = [
            ("at least 3 events", { $0.drops.count + $0.crashes.count >= 3 }),
            ("p1 faulty and a drop from p1", { p in p.faulty.contains(1) && p.drops.contains { $0.from == 1 } }),
            ("a drop in round 2", { p in p.drops.contains { $0.round == 2 } }),
            ("two faulty processes", { $0.faulty.count == 2 }),
            ("a crash", { !$0.crashes.isEmpty }),
            ("drops into p2", { p in p.drops.filter { $0.to == 2 }.count >= 1 && p.drops.count >= 2 }),
        ]
        for (name, fails) in predicates {
            #expect(fails(start), "\(name)")
            var one: [FailurePattern] = []
            let byOne = Shrinker.shrink(start, n: n, t: t, rounds: rounds, model: .generalOmission) {
                (p: FailurePattern) -> Bool in
                one.append(p)
                return fails(p)
            }
            for batch in [2, 3, 8] {
                var asked: [FailurePattern] = []
                let batched = Shrinker.shrink(
                    start, n: n, t: t, rounds: rounds, model: .generalOmission, batch: batch
                ) { (candidates: [FailurePattern]) -> Int? in
                    #expect(candidates.count <= batch)
                    asked += candidates
                    return candidates.firstIndex(where: fails)
                }
                #expect(batched == byOne, "\(name), batch \(batch)")
                #expect(asked.count >= one.count, "\(name), batch \(batch)")
            }
        }
    }
}
