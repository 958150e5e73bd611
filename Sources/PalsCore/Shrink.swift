/// Shrinking of counterexamples, shared by every engine and by backend
/// testing: a failing run is moved, while it keeps failing, down the
/// canonical order (`precedes`): fewer faulty processes, fewer crashes and
/// drops, earlier rounds, then the lexicographically smaller pattern. For the
/// engines every step re-runs `simulate`, so the result is a run of the
/// reference semantics whatever engine found the original.
public enum Shrinker {
    /// Does the run (inputs, pattern) violate `property`? Returns the round
    /// after which it fails, or nil (also nil for an inadmissible pattern).
    @inlinable
    public static func violates<P: RoundProtocol>(
        _ proto: P, _ property: Property<P>, inputs: [Int], pattern: FailurePattern, model: FaultModel
    ) -> Int? where P.L == Concrete {
        guard let trace = try? simulate(proto, inputs: inputs, pattern: pattern, model: model) else { return nil }
        return trace.violation(of: property, protocol: proto)
    }

    /// Shrinks a run of `proto` that violates `property` to its canonical
    /// form (see `shrink(_:n:t:rounds:model:fails:)`), judged by `simulate`.
    @inlinable
    public static func shrink<P: RoundProtocol>(
        _ proto: P, _ property: Property<P>, inputs: [Int], pattern: FailurePattern, model: FaultModel
    ) -> FailurePattern where P.L == Concrete {
        let start = normalize(pattern, rounds: proto.rounds)
        precondition(
            violates(proto, property, inputs: inputs, pattern: start, model: model) != nil,
            "shrink called on a run that does not violate \(property.name)")
        return shrink(start, n: proto.n, t: proto.t, rounds: proto.rounds, model: model) { (p: FailurePattern) in
            violates(proto, property, inputs: inputs, pattern: p, model: model) != nil
        }
    }

    /// The canonical order of failure patterns, least first: fewer faulty
    /// processes; then fewer crashes and dropped links together; then earlier
    /// rounds (the rounds of all crashes and drops, sorted, compared
    /// lexicographically); then the lexicographically smaller pattern
    /// (faulty processes ascending, then crashes by process, then drops by
    /// round, sender, receiver).
    public static func precedes(_ a: FailurePattern, _ b: FailurePattern) -> Bool {
        if a.faulty.count != b.faulty.count { return a.faulty.count < b.faulty.count }
        let ea = a.crashes.count + a.drops.count
        let eb = b.crashes.count + b.drops.count
        if ea != eb { return ea < eb }
        let ra = (a.crashes.map(\.round) + a.drops.map(\.round)).sorted()
        let rb = (b.crashes.map(\.round) + b.drops.map(\.round)).sorted()
        if ra != rb { return ra.lexicographicallyPrecedes(rb) }
        let fa = Array(a.faulty)
        let fb = Array(b.faulty)
        if fa != fb { return fa.lexicographicallyPrecedes(fb) }
        if a.crashes != b.crashes { return a.crashes.lexicographicallyPrecedes(b.crashes) }
        return a.drops.lexicographicallyPrecedes(b.drops)
    }

    /// The one shrinker of counterexamples, for every engine and for backend
    /// runs: from a failing admissible pattern, it takes, while any exists,
    /// the first admissible candidate that still `fails` and comes earlier in
    /// the canonical order (`precedes`), trying in this order:
    ///
    /// 1. one faulty process fewer (with its crash and the links it alone
    ///    made droppable);
    /// 2. one crash fewer;
    /// 3. one dropped link fewer, latest first;
    /// 4. a crash one round earlier;
    /// 5. a dropped link moved one round earlier, or within its round to a
    ///    smaller receiver (same sender) or a smaller sender (same receiver);
    /// 6. two processes' roles exchanged throughout the pattern (faulty set,
    ///    crashes, links).
    ///
    /// From that local minimum, every pattern with as many faulty processes
    /// and as many crashes and drops is tried in the canonical order, when
    /// there are at most `budget` of them (`leastOfItsSize`): the result is
    /// then the least failing pattern of its size, the same whichever
    /// violation (whichever engine) the shrinking started from, as long as
    /// the local search reached the same size. Beyond the budget the local
    /// minimum stands. `fails` is asked only about admissible patterns
    /// (`validate`).
    public static func shrink<E: Error>(
        _ pattern: FailurePattern, n: Int, t: Int, rounds: Int, model: FaultModel, budget: Int = 20_000,
        fails: (FailurePattern) throws(E) -> Bool
    ) throws(E) -> FailurePattern {
        try shrink(pattern, n: n, t: t, rounds: rounds, model: model, budget: budget, batch: 1) {
            (candidates: [FailurePattern]) throws(E) -> Int? in try Shrinker.firstFailing(candidates, fails)
        }
    }

    /// The index of the first of `candidates` that `fails`, asking in order.
    static func firstFailing<E: Error>(
        _ candidates: [FailurePattern], _ fails: (FailurePattern) throws(E) -> Bool
    ) throws(E) -> Int? {
        for (i, c) in candidates.enumerated() where try fails(c) { return i }
        return nil
    }

    /// `shrink(_:n:t:rounds:model:budget:fails:)` with the candidates judged
    /// up to `batch` at a time: `firstFailing` returns the index of the first
    /// failing pattern of the batch it is given (nil: none fails), and may
    /// judge them at once (in parallel). The result is the same for every
    /// `batch`: a batch holds the next candidates in the order above, and
    /// the first failing one is taken as if they had been tried one by one.
    public static func shrink<E: Error>(
        _ pattern: FailurePattern, n: Int, t: Int, rounds: Int, model: FaultModel, budget: Int = 20_000,
        batch: Int, firstFailing: ([FailurePattern]) throws(E) -> Int?
    ) throws(E) -> FailurePattern {
        let batch = max(1, batch)
        var best = normalize(pattern, rounds: rounds)
        func admissible(_ p: FailurePattern) -> Bool {
            (try? p.validate(n: n, t: t, rounds: rounds, model: model)) != nil
        }
        // Candidates of one pass, lazily and in the order above.
        func candidates(_ b: FailurePattern) -> [() -> FailurePattern] {
            var list: [() -> FailurePattern] = []
            for p in b.faulty {
                list.append {
                    var f = b.faulty
                    f.remove(p)
                    return FailurePattern(
                        faulty: f, crashes: b.crashes.filter { $0.process != p },
                        drops: b.drops.filter { f.contains($0.from) || f.contains($0.to) })
                }
            }
            for c in b.crashes {
                list.append { FailurePattern(faulty: b.faulty, crashes: b.crashes.filter { $0 != c }, drops: b.drops) }
            }
            for l in b.drops.reversed() {
                list.append { FailurePattern(faulty: b.faulty, crashes: b.crashes, drops: b.drops.filter { $0 != l }) }
            }
            for (k, c) in b.crashes.enumerated() where c.round > 1 {
                list.append {
                    var crashes = b.crashes
                    crashes[k] = Crash(process: c.process, round: c.round - 1)
                    return normalize(FailurePattern(faulty: b.faulty, crashes: crashes, drops: b.drops), rounds: rounds)
                }
            }
            // A dropped link moved one round earlier, or, in its round, to a
            // smaller receiver of the same sender or a smaller sender to the
            // same receiver.
            let dropped = Set(b.drops)
            for l in b.drops.reversed() {
                var moves: [Link] = []
                if l.round > 1 { moves.append(Link(round: l.round - 1, from: l.from, to: l.to)) }
                for to in 0..<l.to where to != l.from { moves.append(Link(round: l.round, from: l.from, to: to)) }
                for from in 0..<l.from where from != l.to { moves.append(Link(round: l.round, from: from, to: l.to)) }
                for e in moves where !dropped.contains(e) {
                    list.append {
                        normalize(
                            FailurePattern(
                                faulty: b.faulty, crashes: b.crashes, drops: b.drops.filter { $0 != l } + [e]),
                            rounds: rounds)
                    }
                }
            }
            for p in 0..<n {
                for q in (p + 1)..<n { list.append { renamed(b, swapping: p, q) } }
            }
            return list
        }
        var changed = true
        while changed {
            changed = false
            var pending: [FailurePattern] = []
            for make in candidates(best) {
                let candidate = make()
                guard precedes(candidate, best), admissible(candidate) else { continue }
                pending.append(candidate)
                if pending.count < batch { continue }
                if let i = try firstFailing(pending) {
                    best = pending[i]
                    changed = true
                    break
                }
                pending.removeAll(keepingCapacity: true)
            }
            if !changed, !pending.isEmpty, let i = try firstFailing(pending) {
                best = pending[i]
                changed = true
            }
        }
        return try leastOfItsSize(
            best, n: n, t: t, rounds: rounds, model: model, budget: budget, batch: batch, firstFailing: firstFailing)
            ?? best
    }

    /// The least failing pattern, in the canonical order, among those with as
    /// many faulty processes and as many crashes and drops as `local` (a
    /// failing pattern): the candidates are tried in that order, so the first
    /// that fails is the least. Nil when there are more than `budget`
    /// candidates up to `local` (then `local` stands).
    public static func leastOfItsSize<E: Error>(
        _ local: FailurePattern, n: Int, t: Int, rounds: Int, model: FaultModel, budget: Int,
        fails: (FailurePattern) throws(E) -> Bool
    ) throws(E) -> FailurePattern? {
        try leastOfItsSize(local, n: n, t: t, rounds: rounds, model: model, budget: budget, batch: 1) {
            (candidates: [FailurePattern]) throws(E) -> Int? in try Shrinker.firstFailing(candidates, fails)
        }
    }

    /// `leastOfItsSize(_:n:t:rounds:model:budget:fails:)` with the candidates
    /// judged up to `batch` at a time, in order (see
    /// `shrink(_:n:t:rounds:model:budget:batch:firstFailing:)`): the same result.
    public static func leastOfItsSize<E: Error>(
        _ local: FailurePattern, n: Int, t: Int, rounds: Int, model: FaultModel, budget: Int, batch: Int,
        firstFailing: ([FailurePattern]) throws(E) -> Int?
    ) throws(E) -> FailurePattern? {
        let batch = max(1, batch)
        // Candidates not judged yet, in order; judged when `batch` are waiting and before any return.
        var pending: [FailurePattern] = []
        func judgePending() throws(E) -> FailurePattern? {
            defer { pending.removeAll(keepingCapacity: true) }
            guard !pending.isEmpty, let i = try firstFailing(pending) else { return nil }
            return pending[i]
        }
        let f = local.faulty.count
        let k = local.crashes.count + local.drops.count
        let localRounds = (local.crashes.map(\.round) + local.drops.map(\.round)).sorted()
        let sets = ProcessSet.combinations(n: n, k: f)
        // The events a faulty set allows in round r: crashes at r, then drops of r.
        func events(_ faulty: ProcessSet, _ r: Int) -> [(crash: Crash?, drop: Link?)] {
            var out: [(crash: Crash?, drop: Link?)] = faulty.map { (Crash(process: $0, round: r), nil) }
            if r <= rounds {
                for from in 0..<n {
                    for to in 0..<n where from != to && (faulty.contains(from) || faulty.contains(to)) {
                        out.append((nil, Link(round: r, from: from, to: to)))
                    }
                }
            }
            return out
        }
        func choose(_ m: Int, _ k: Int) -> Double {
            if k < 0 || k > m { return 0 }
            var c = 1.0
            for i in 0..<k { c = c * Double(m - i) / Double(i + 1) }
            return c
        }
        // The candidates of one round vector, for every faulty set of size f.
        func count(_ vector: [Int]) -> Double {
            var perSet = 1.0
            for r in Set(vector) {
                perSet *= choose(
                    f + (r <= rounds ? (n * (n - 1) - (n - f) * (n - f - 1)) : 0), vector.filter { $0 == r }.count)
            }
            return perSet * Double(sets.count)
        }
        // Non-decreasing round vectors of length k up to local's, in order, kept only when they have candidates;
        // refused as soon as the candidates exceed the budget, or the vectors looked at exceed a fixed multiple of
        // it (a local minimum with many events has astronomically many vectors, nearly all without candidates).
        var vectors: [[Int]] = []
        var total = 0.0
        var looked = 0
        var v = Array(repeating: 1, count: k)
        while k > 0 {
            guard v.lexicographicallyPrecedes(localRounds) || v == localRounds else { break }
            looked += 1
            if looked > 64 * budget { return nil }
            let c = count(v)
            if c > 0 {
                total += c
                if total > Double(budget) { return nil }
                vectors.append(v)
            }
            // Next non-decreasing vector over 1…rounds+1.
            var i = k - 1
            while i >= 0 && v[i] == rounds + 1 { i -= 1 }
            if i < 0 { break }
            let next = v[i] + 1
            for j in i..<k { v[j] = next }
        }
        if k == 0 {
            if Double(sets.count) > Double(budget) { return nil }
            vectors = [[]]
        }
        var tried = 0
        for vector in vectors {
            let distinct = Array(Set(vector)).sorted()
            for faulty in sets {
                // Every choice of vector.count(r) events in each round r.
                var choices: [[FailurePattern]] = [[FailurePattern()]]
                for r in distinct {
                    let m = vector.filter { $0 == r }.count
                    let pool = events(faulty, r)
                    var picks: [[Int]] = []
                    var idx = Array(0..<m)
                    if m <= pool.count {
                        while true {
                            picks.append(idx)
                            var i = m - 1
                            while i >= 0 && idx[i] == pool.count - m + i { i -= 1 }
                            if i < 0 { break }
                            idx[i] += 1
                            for j in (i + 1)..<m { idx[j] = idx[j - 1] + 1 }
                        }
                    }
                    var extended: [FailurePattern] = []
                    for partial in choices.last ?? [] {
                        for pick in picks {
                            var crashes = partial.crashes
                            var drops = partial.drops
                            for i in pick {
                                if let c = pool[i].crash { crashes.append(c) }
                                if let d = pool[i].drop { drops.append(d) }
                            }
                            extended.append(FailurePattern(faulty: faulty, crashes: crashes, drops: drops))
                        }
                    }
                    choices.append(extended)
                }
                let candidates = (choices.last ?? []).filter { c in
                    // Distinct events by construction; `validate` refuses two
                    // crashes of one process, `normalize` a drop a crash silences.
                    normalize(c, rounds: rounds) == c
                        && (try? c.validate(n: n, t: t, rounds: rounds, model: model)) != nil
                }.sorted(by: precedes)
                for c in candidates {
                    if c == local || !precedes(local, c) {
                        tried += 1
                        if tried > budget { return try judgePending() }
                        if c == local { return try judgePending() ?? local }
                        pending.append(c)
                        if pending.count >= batch, let found = try judgePending() { return found }
                    }
                }
            }
        }
        return try judgePending()
    }

    /// `pattern` with the roles of processes `p` and `q` exchanged.
    public static func renamed(_ pattern: FailurePattern, swapping p: Int, _ q: Int) -> FailurePattern {
        func swap(_ x: Int) -> Int { x == p ? q : x == q ? p : x }
        var faulty = ProcessSet()
        for x in pattern.faulty { faulty.insert(swap(x)) }
        return FailurePattern(
            faulty: faulty, crashes: pattern.crashes.map { Crash(process: swap($0.process), round: $0.round) },
            drops: pattern.drops.map { Link(round: $0.round, from: swap($0.from), to: swap($0.to)) })
    }

    /// Removes links that a crash already silences (from or to a process in
    /// or after its crash round), which change nothing.
    @inlinable
    public static func normalize(_ p: FailurePattern, rounds: Int) -> FailurePattern {
        var crashAt: [Int: Int] = [:]
        for c in p.crashes { crashAt[c.process] = c.round }
        let drops = p.drops.filter { l in
            !((crashAt[l.from].map { l.round >= $0 } ?? false) || (crashAt[l.to].map { l.round >= $0 } ?? false))
        }
        return FailurePattern(faulty: p.faulty, crashes: p.crashes, drops: drops)
    }
}
