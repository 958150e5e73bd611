import PalsCore

/// Random admissible runs (inputs and failure pattern) under general
/// omission, biased toward what finds bugs: as many faulty processes as
/// allowed, faulty processes that omit selectively (to some processes, in
/// some rounds), omissions in the last round, and crashes in the middle of a
/// round's sending.
public struct RandomRuns: Sendable {
    /// The number of processes, p0…p(n-1).
    public let n: Int
    /// The most faulty processes a run may have.
    public let t: Int
    /// The number of rounds R.
    public let rounds: Int

    /// Runs of an instance with `n` processes, at most `t` faulty, over `rounds` rounds.
    public init(n: Int, t: Int, rounds: Int) {
        self.n = n
        self.t = t
        self.rounds = rounds
    }

    /// The next run. Patterns are normalized (no link that a crash already
    /// silences), so equal behaviours are equal patterns.
    public func next(_ rng: inout SplitMix64) -> (inputs: [Int], pattern: FailurePattern) {
        // Inputs: mostly distinct (so a vector shows whose value is where),
        // sometimes from a small range with repeats.
        var inputs: [Int]
        if rng.chance(0.7) {
            inputs = Array(0..<n)
            for k in stride(from: n - 1, to: 0, by: -1) { inputs.swapAt(k, rng.below(k + 1)) }
        } else {
            inputs = (0..<n).map { _ in rng.below(3) }
        }
        // How many faulty: usually t, sometimes fewer, rarely none.
        let k: Int
        if t == 0 || rng.chance(0.08) {
            k = 0
        } else if rng.chance(0.6) {
            k = t
        } else {
            k = 1 + rng.below(t)
        }
        var order = Array(0..<n)
        for j in 0..<k { order.swapAt(j, j + rng.below(n - j)) }
        let faulty = ProcessSet(order[0..<k])
        var drops: [Link] = []
        var crashes: [Crash] = []
        let others = { (p: Int) in (0..<self.n).filter { $0 != p } }
        for p in order[0..<k].sorted() {
            // A random nonempty subset of the other processes.
            func someOthers() -> [Int] {
                let o = others(p)
                guard !o.isEmpty else { return [] }
                var s = o.filter { _ in rng.chance(0.5) }
                if s.isEmpty { s = [o[rng.below(o.count)]] }
                return s
            }
            func someRounds() -> [Int] {
                var rs = (1...rounds).filter { _ in rng.chance(0.4) }
                if rs.isEmpty || rng.chance(0.5) { rs.append(rounds) }
                return rs
            }
            switch rng.below(5) {
            case 0:  // selective send omission
                let to = someOthers()
                for r in someRounds() { for q in to { drops.append(Link(round: r, from: p, to: q)) } }
            case 1:  // selective receive omission
                let from = someOthers()
                for r in someRounds() { for q in from { drops.append(Link(round: r, from: q, to: p)) } }
            case 2:  // independent random omissions, in both directions
                let density = [0.15, 0.4, 0.7][rng.below(3)]
                for r in 1...rounds {
                    for q in others(p) {
                        if rng.chance(density) { drops.append(Link(round: r, from: p, to: q)) }
                        if rng.chance(density) { drops.append(Link(round: r, from: q, to: p)) }
                    }
                }
            case 3:  // crash, reaching only some processes in the round before
                let c = 1 + rng.below(rounds + 1)
                crashes.append(Crash(process: p, round: c))
                if c > 1 {
                    for q in someOthers() { drops.append(Link(round: c - 1, from: p, to: q)) }
                }
            default:  // silent from some round on, to everyone
                let from = 1 + rng.below(rounds)
                for r in from...rounds { for q in others(p) { drops.append(Link(round: r, from: p, to: q)) } }
            }
            // Extra last-round omissions: the classic way to split decisions.
            if rng.chance(0.3) {
                for q in someOthers() { drops.append(Link(round: rounds, from: p, to: q)) }
            }
        }
        let pattern = Shrinker.normalize(
            FailurePattern(faulty: faulty, crashes: crashes, drops: drops), rounds: rounds)
        return (inputs, pattern)
    }
}

/// Every admissible pattern under general omission for small n: every
/// faulty set of at most t processes, every choice of crash round (or none)
/// for each faulty process, and every subset of the droppable links of every
/// round (links touching a faulty process, between processes that have not
/// crashed). Links a crash already silences are not enumerated, so no
/// behaviour is counted twice through them.
public struct ExhaustivePatterns: Sendable {
    /// The number of processes, p0…p(n-1).
    public let n: Int
    /// The most faulty processes a pattern may have.
    public let t: Int
    /// The number of rounds R.
    public let rounds: Int

    /// Every admissible pattern for `n` processes, at most `t` faulty, over `rounds` rounds.
    public init(n: Int, t: Int, rounds: Int) {
        self.n = n
        self.t = t
        self.rounds = rounds
    }

    /// One faulty set with one crash assignment: the links that may be
    /// dropped, one bit each.
    struct Block {
        var faulty: ProcessSet
        var crashes: [Crash]
        var links: [Link]
    }

    /// The blocks in a fixed order (faulty sets by size, then lexicographic;
    /// crash rounds from "none").
    func blocks() -> [Block] {
        var out: [Block] = []
        for k in 0...t {
            for f in ProcessSet.combinations(n: n, k: k) {
                let members = Array(f)
                // Each faulty process: 0 = never crashes, c = crashes at round c.
                var choice = Array(repeating: 0, count: members.count)
                while true {
                    var crashAt = Array(repeating: Int.max, count: n)
                    var crashes: [Crash] = []
                    for (m, p) in members.enumerated() where choice[m] > 0 {
                        crashAt[p] = choice[m]
                        crashes.append(Crash(process: p, round: choice[m]))
                    }
                    var links: [Link] = []
                    for r in stride(from: 1, through: rounds, by: 1) {
                        for a in 0..<n where crashAt[a] > r {
                            for b in 0..<n where b != a && crashAt[b] > r && (f.contains(a) || f.contains(b)) {
                                links.append(Link(round: r, from: a, to: b))
                            }
                        }
                    }
                    out.append(Block(faulty: f, crashes: crashes, links: links))
                    var m = 0
                    while m < choice.count {
                        choice[m] += 1
                        if choice[m] <= rounds + 1 { break }
                        choice[m] = 0
                        m += 1
                    }
                    if m == choice.count { break }
                }
            }
        }
        return out
    }

    /// The number of patterns, or nil when it exceeds `limit`.
    public func count(limit: Int) -> Int? {
        var total = 0
        for b in blocks() {
            guard b.links.count < 40 else { return nil }
            total += 1 << b.links.count
            if total > limit { return nil }
        }
        return total
    }

    /// Calls `body` on every pattern, in a fixed order; stops when it returns false.
    public func forEach(_ body: (FailurePattern) throws(BackendError) -> Bool) throws(BackendError) {
        for b in blocks() {
            precondition(b.links.count < 40, "call count(limit:) first")
            for mask in 0..<(UInt64(1) << UInt64(b.links.count)) {
                var drops: [Link] = []
                for (k, l) in b.links.enumerated() where (mask >> UInt64(k)) & 1 == 1 { drops.append(l) }
                if !(try body(FailurePattern(faulty: b.faulty, crashes: b.crashes, drops: drops))) { return }
            }
        }
    }
}

/// Shrinking of a failing backend run: the one shrinker (`Shrinker.shrink`)
/// with the predicate "the backend run still fails the same way", so every
/// step runs the backend. Deterministic given the backend. (A smaller n is
/// tried by the caller, which knows how to instantiate the protocol at
/// another size.)
public enum BackendShrinker {
    /// Shrinks `pattern` (admissible at n, t, general omission) while `fails`
    /// holds; errors of `fails` (the backend) propagate. Every question is a
    /// backend run, so the exhaustive last step is tried only up to
    /// `budget` candidates (default 2,000).
    public static func shrink(
        _ pattern: FailurePattern, n: Int, t: Int, rounds: Int, budget: Int = 2_000,
        fails: (FailurePattern) throws(BackendError) -> Bool
    ) throws(BackendError) -> FailurePattern {
        try Shrinker.shrink(pattern, n: n, t: t, rounds: rounds, model: .generalOmission, budget: budget, fails: fails)
    }
}
