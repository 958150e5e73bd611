/// Shrinking of counterexamples, shared by every engine: a failing run is
/// reduced, while it keeps violating the same property, to fewer faulty
/// processes, then fewer crashes, then fewer dropped links, then crashes
/// moved to later rounds (a crash that need not happen early). Every step re-runs `simulate`, so the result is a run of the
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

    /// Removes from the pattern what is not needed for the violation. The
    /// input pattern must violate the property. Deterministic.
    @inlinable
    public static func shrink<P: RoundProtocol>(
        _ proto: P, _ property: Property<P>, inputs: [Int], pattern: FailurePattern, model: FaultModel
    ) -> FailurePattern where P.L == Concrete {
        var best = normalize(pattern, rounds: proto.rounds)
        func fails(_ p: FailurePattern) -> Bool {
            violates(proto, property, inputs: inputs, pattern: p, model: model) != nil
        }
        precondition(fails(best), "shrink called on a run that does not violate \(property.name)")
        var changed = true
        while changed {
            changed = false
            // 1. Fewer faulty processes: drop a process together with its
            //    crash and every link it alone made droppable.
            for p in best.faulty {
                var f = best.faulty
                f.remove(p)
                let candidate = FailurePattern(
                    faulty: f,
                    crashes: best.crashes.filter { $0.process != p },
                    drops: best.drops.filter { f.contains($0.from) || f.contains($0.to) })
                if fails(candidate) {
                    best = candidate
                    changed = true
                    break
                }
            }
            if changed { continue }
            // 2. Fewer crashes: a crash becomes "omits everything from then on"
            //    or nothing at all.
            for c in best.crashes {
                let rest = best.crashes.filter { $0 != c }
                let plain = FailurePattern(faulty: best.faulty, crashes: rest, drops: best.drops)
                if fails(plain) {
                    best = plain
                    changed = true
                    break
                }
            }
            if changed { continue }
            // 3. Fewer dropped links, latest first.
            for l in best.drops.reversed() {
                let candidate = FailurePattern(
                    faulty: best.faulty, crashes: best.crashes, drops: best.drops.filter { $0 != l })
                if fails(candidate) {
                    best = candidate
                    changed = true
                    break
                }
            }
            if changed { continue }
            // 4. Later crashes (a crash that need not happen early).
            for (k, c) in best.crashes.enumerated() where c.round <= proto.rounds {
                var crashes = best.crashes
                crashes[k] = Crash(process: c.process, round: c.round + 1)
                let candidate = normalize(
                    FailurePattern(faulty: best.faulty, crashes: crashes, drops: best.drops), rounds: proto.rounds)
                if fails(candidate) {
                    best = candidate
                    changed = true
                    break
                }
            }
        }
        return best
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
