import PalsCore

/// The Adversary of a host (seed §7, DESIGN §5): which frames to drop and
/// which modules to crash, per round and link. Drops of frames sent by a
/// faulty process are applied by its host on the way out; the others on the
/// way in. A permanent omission is a drop in every round from some round on.
public struct AdversaryPlan: Sendable, Equatable {
    /// The processes the adversary controls (their hosts misbehave).
    public var faulty: ProcessSet
    /// The module of `process` is stopped before `round` (it sends nothing in
    /// that round or later and produces no result).
    public var crashes: [Crash]
    /// Frames dropped: `(round, from, to)`.
    public var drops: Set<Link>

    /// A plan with the given faulty set, crashes and drops; the defaults inject nothing.
    public init(faulty: ProcessSet = ProcessSet(), crashes: [Crash] = [], drops: Set<Link> = []) {
        self.faulty = faulty
        self.crashes = crashes
        self.drops = drops
    }

    /// The plan that injects nothing: every process correct, every frame delivered.
    public static let none = AdversaryPlan()

    /// The plan that injects exactly `pattern`.
    public init(pattern: FailurePattern) {
        self.init(faulty: pattern.faulty, crashes: pattern.crashes, drops: Set(pattern.drops))
    }

    /// The round before which the module of `p` is stopped; nil if `p` does not crash.
    public func crashRound(of p: Int) -> Int? { crashes.first(where: { $0.process == p })?.round }

    /// True if the module of `p` is stopped before `round`.
    public func crashed(_ p: Int, before round: Int) -> Bool {
        guard let c = crashRound(of: p) else { return false }
        return c <= round
    }

    /// The failure pattern the plan injects (drops sorted).
    public var pattern: FailurePattern {
        FailurePattern(faulty: faulty, crashes: crashes.sorted(), drops: drops.sorted())
    }

    /// A random plan (the fault-injection campaign's adversary): up to `t`
    /// faulty processes chosen uniformly; each crashes with probability 1/4
    /// at a uniform round in 1…R+1; each faulty process picks a drop rate
    /// from {0.1, 0.3, 0.6} and drops each of its links (sending or
    /// receiving) in each round with that rate, and with probability 1/4
    /// becomes permanently silent toward a random subset of the others from a
    /// random round on.
    public static func random(n: Int, t: Int, rounds: Int, rng: inout SplitMix64) -> AdversaryPlan {
        let count = rng.below(t + 1)
        var order = Array(0..<n)
        for k in stride(from: n - 1, to: 0, by: -1) { order.swapAt(k, rng.below(k + 1)) }
        var plan = AdversaryPlan()
        for p in order.prefix(count) { plan.faulty.insert(p) }
        for p in plan.faulty {
            if rng.below(4) == 0 { plan.crashes.append(Crash(process: p, round: 1 + rng.below(rounds + 1))) }
            let rate = [0.1, 0.3, 0.6][rng.below(3)]
            for r in stride(from: 1, through: rounds, by: 1) {
                for q in 0..<n where q != p {
                    if rng.chance(rate) { plan.drops.insert(Link(round: r, from: p, to: q)) }
                    if rng.chance(rate) { plan.drops.insert(Link(round: r, from: q, to: p)) }
                }
            }
            if rounds >= 1 && rng.below(4) == 0 {
                let from = 1 + rng.below(rounds)
                let targets = (0..<n).filter { $0 != p && rng.chance(0.5) }
                for r in stride(from: from, through: rounds, by: 1) {
                    for q in targets { plan.drops.insert(Link(round: r, from: p, to: q)) }
                }
            }
        }
        plan.crashes.sort()
        return plan
    }
}
