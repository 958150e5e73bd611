import PalsBackend
import PalsCore
import Testing

@Suite(.timeLimit(.minutes(10))) struct PatternTests {
    @Test func splitMixIsTheReferenceSequence() {
        // First outputs of SplitMix64 from seed 1234567 (Vigna's reference C code).
        var rng = SplitMix64(seed: 1_234_567)
        #expect(rng.next() == 6_457_827_717_110_365_317)
        #expect(rng.next() == 3_203_168_211_198_807_973)
        var bounded = SplitMix64(seed: 9)
        for _ in 0..<1000 { #expect((0..<7).contains(bounded.below(7))) }
    }

    @Test func randomRunsAreAdmissibleDeterministicAndBiased() throws {
        let gen = RandomRuns(n: 5, t: 2, rounds: 3)
        var a = SplitMix64(seed: 42)
        var b = SplitMix64(seed: 42)
        var withT = 0
        var lastRoundDrops = 0
        var crashes = 0
        var distinct = Set<FailurePattern>()
        for _ in 0..<2000 {
            let x = gen.next(&a)
            let y = gen.next(&b)
            #expect(x.inputs == y.inputs && x.pattern == y.pattern)
            try x.pattern.validate(n: 5, t: 2, rounds: 3)
            #expect(x.inputs.count == 5)
            if x.pattern.faulty.count == 2 { withT += 1 }
            if x.pattern.drops.contains(where: { $0.round == 3 }) { lastRoundDrops += 1 }
            if !x.pattern.crashes.isEmpty { crashes += 1 }
            distinct.insert(x.pattern)
        }
        #expect(withT > 1000, "biased toward t faulty processes")
        #expect(lastRoundDrops > 800, "biased toward last-round omissions")
        #expect(crashes > 100)
        #expect(distinct.count > 1500)
    }

    @Test func exhaustivePatternsAreEveryAdmissiblePatternOnce() throws {
        let e = ExhaustivePatterns(n: 3, t: 1, rounds: 2)
        // Per faulty process: 2^8 (no crash) + 1 (crash at 1) + 2^4 (at 2) + 2^8 (at 3).
        #expect(e.count(limit: 10_000) == 1 + 3 * (256 + 1 + 16 + 256))
        #expect(e.count(limit: 1000) == nil)
        var seen = Set<FailurePattern>()
        var all: [FailurePattern] = []
        try e.forEach { p throws(BackendError) in
            all.append(p)
            return true
        }
        for p in all {
            try p.validate(n: 3, t: 1, rounds: 2)
            #expect(Shrinker.normalize(p, rounds: 2) == p)
            seen.insert(p)
        }
        #expect(seen.count == all.count)
        #expect(all.first == FailurePattern.none)
        // Stops when asked to.
        var visited = 0
        try e.forEach { _ throws(BackendError) in
            visited += 1
            return visited < 10
        }
        #expect(visited == 10)
        #expect(ExhaustivePatterns(n: 6, t: 2, rounds: 3).count(limit: 200_000) == nil)
    }

    @Test func shrinkerKeepsOnlyWhatTheFailureNeeds() throws {
        // "Fails" iff p1's round-2 message to p0 is lost.
        let needed = Link(round: 2, from: 1, to: 0)
        let big = FailurePattern(
            faulty: ProcessSet([1, 2]), crashes: [Crash(process: 2, round: 3)],
            drops: [
                needed, Link(round: 1, from: 1, to: 2), Link(round: 1, from: 2, to: 0), Link(round: 2, from: 0, to: 1),
            ])
        var calls = 0
        let small = try BackendShrinker.shrink(big, n: 3, t: 2, rounds: 3) { p throws(BackendError) in
            calls += 1
            return p.drops.contains(needed)
        }
        // One faulty process and one drop; of the two processes that can
        // make that link droppable (its sender p1, its receiver p0), the
        // canonical order takes the smaller.
        #expect(small == FailurePattern(faulty: ProcessSet([0]), drops: [needed]))
        #expect(calls > 0)
        // A backend error during shrinking propagates.
        #expect(throws: BackendError.self) {
            _ = try BackendShrinker.shrink(big, n: 3, t: 2, rounds: 3) { _ throws(BackendError) in
                throw BackendError("boom")
            }
        }
    }
}
