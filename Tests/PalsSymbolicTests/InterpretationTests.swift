import PalsCore
import PalsProtocols
import PalsSymbolic
import PalsZ3
import Testing

/// The two interpretations agree: the symbolic unrolling of a run whose
/// failure pattern is fixed (every bit a constant) computes exactly the
/// decisions and property values of `simulate`.
@Suite(.timeLimit(.minutes(10))) struct InterpretationTests {
    /// Compares one run of `sp` (over `Symbolic`) with `simulate` on `cp`.
    func compare<P: StateSelecting, C: RoundProtocol>(
        _ sp: P, _ cp: C, _ sprops: [Property<P>], _ cprops: [Property<C>],
        inputs: [Int], pattern: FailurePattern, model: FaultModel
    ) throws where P.L == Symbolic, C.L == Concrete {
        let l = sp.logic
        let trace = try simulate(cp, inputs: inputs, pattern: pattern, model: model)
        let env = SymbolicEnvironment.fixed(l, n: sp.n, rounds: sp.rounds, pattern: pattern)
        let run = SymbolicRun(sp, inputs: inputs.map { l.value($0) }, environment: env)
        try l.context.throwIfFailed()
        for i in 0..<sp.n {
            let d = run.decisions[i]
            let decided = try constantBool(l.context, d.decided)
            #expect(decided == trace.decisions[i].decided, "p\(i) decided, \(pattern)")
            let values = try d.value.map { try constantValue(l, $0) }
            #expect(values == trace.decisions[i].value, "p\(i) decision, \(pattern)")
        }
        for (k, sprop) in sprops.enumerated() {
            let rounds = sprop.kind == .always ? Array(0...sp.rounds) : [sp.rounds]
            for r in rounds {
                let symbolic = try constantBool(l.context, sprop.holds(sp, run.context(round: r)))
                let concrete = cprops[k].holds(cp, trace.context(round: r))
                #expect(symbolic == concrete, "\(sprop.name) after round \(r), \(pattern)")
            }
        }
    }

    @Test func uicAndMutantsAgreeWithSimulate() throws {
        var g = SplitMix(seed: 0x5EED_0001)
        let z = try Z3Context()
        let l = Symbolic(context: z, valueBits: 3)
        var runs = 0
        for n in 2...5 {
            for t in 1..<n {
                for variant in UIC<Concrete>.Variant.allCases {
                    let sp = UIC(logic: l, n: n, t: t, variant: UIC<Symbolic>.Variant(rawValue: variant.rawValue)!)
                    let cp = UIC(logic: Concrete(), n: n, t: t, variant: variant)
                    for model in FaultModel.allCases {
                        for _ in 0..<4 {
                            let inputs = (0..<n).map { _ in Int.random(in: 0..<7, using: &g) }
                            let pattern = randomPattern(n: n, t: t, rounds: cp.rounds, model: model, using: &g)
                            try compare(
                                sp, cp, UIC<Symbolic>.properties, UIC<Concrete>.properties,
                                inputs: inputs, pattern: pattern, model: model)
                            runs += 1
                        }
                    }
                }
            }
        }
        #expect(runs == 10 * 6 * 2 * 4)
    }

    @Test func floodSetAgreesWithSimulate() throws {
        var g = SplitMix(seed: 0x5EED_0002)
        let z = try Z3Context()
        let l = Symbolic(context: z, valueBits: 4)
        for n in 2...5 {
            for t in 0..<n {
                for rounds in [t, t + 1] {
                    let sp = FloodSet(logic: l, n: n, t: t, rounds: rounds)
                    let cp = FloodSet(logic: Concrete(), n: n, t: t, rounds: rounds)
                    for model in FaultModel.allCases {
                        for _ in 0..<4 {
                            let inputs = (0..<n).map { _ in Int.random(in: 0..<15, using: &g) }
                            let pattern = randomPattern(n: n, t: t, rounds: rounds, model: model, using: &g)
                            try compare(
                                sp, cp, FloodSet<Symbolic>.properties, FloodSet<Concrete>.properties,
                                inputs: inputs, pattern: pattern, model: model)
                        }
                    }
                }
            }
        }
    }

    /// The same agreement through the solver: the run is unrolled once over
    /// free fault variables (so crashes go through the state `select`), the
    /// variables are pinned to a concrete pattern, and decisions and property
    /// values are read from Z3's model.
    @Test func freeRunPinnedByTheSolverAgreesWithSimulate() throws {
        var g = SplitMix(seed: 0x5EED_0004)
        for (n, t) in [(3, 1), (4, 1), (4, 2), (5, 2)] {
            for variant in UIC<Concrete>.Variant.allCases {
                for model in FaultModel.allCases {
                    let z = try Z3Context()
                    let l = Symbolic(context: z, valueBits: 3)
                    let sp = UIC(logic: l, n: n, t: t, variant: UIC<Symbolic>.Variant(rawValue: variant.rawValue)!)
                    let cp = UIC(logic: Concrete(), n: n, t: t, variant: variant)
                    let env = SymbolicEnvironment.free(
                        l, n: n, t: t, rounds: sp.rounds, model: model, faultyCandidates: .all(n))
                    let inputs = (0..<n).map { _ in Int.random(in: 0..<7, using: &g) }
                    let run = SymbolicRun(sp, inputs: inputs.map { l.value($0) }, environment: env)
                    let props = UIC<Symbolic>.properties
                    let evals = props.map { run.evaluations(of: $0) }
                    try z.throwIfFailed()
                    for _ in 0..<3 {
                        let pattern = randomPattern(n: n, t: t, rounds: sp.rounds, model: model, using: &g)
                        let trace = try simulate(cp, inputs: inputs, pattern: pattern, model: model)
                        let fixed = SymbolicEnvironment.fixed(l, n: n, rounds: sp.rounds, pattern: pattern)
                        let s = try Z3Solver(z)
                        for c in env.constraints { try s.assert(c) }
                        func same(_ a: Z3Bool, _ b: Z3Bool) throws {
                            try s.assert(z.or([z.and([a, b]), z.and([z.not(a), z.not(b)])]))
                        }
                        for i in 0..<n { try same(env.faulty[i], fixed.faulty[i]) }
                        for r in 0...(sp.rounds + 1) {
                            for i in 0..<n { try same(env.crashedBy[r][i], fixed.crashedBy[r][i]) }
                        }
                        for r in 0..<sp.rounds {
                            for i in 0..<n {
                                for j in 0..<n { try same(env.delivered[r][i][j], fixed.delivered[r][i][j]) }
                            }
                        }
                        #expect(try s.check() == .sat)
                        let m = try s.model()
                        for i in 0..<n {
                            let decided = try m.bool(run.decisions[i].decided)
                            #expect(decided == trace.decisions[i].decided, "p\(i) decided, \(pattern)")
                            let values = try run.decisions[i].value.map { l.decode(try m.bitVector($0)) }
                            #expect(values == trace.decisions[i].value, "p\(i) decision, \(pattern)")
                        }
                        for (k, e) in evals.enumerated() {
                            for (r, holds) in e {
                                let concrete = UIC<Concrete>.properties[k].holds(cp, trace.context(round: r))
                                #expect(try m.bool(holds) == concrete, "\(props[k].name) after \(r), \(pattern)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// The free environment admits exactly the admissible patterns: fixing its
    /// variables to a random admissible pattern is satisfiable and the model
    /// gives the pattern back (normalized); a link dropped between two correct
    /// processes, or a drop outside the round before a crash under crash-stop,
    /// is unsatisfiable.
    @Test func environmentAdmitsExactlyTheAdmissiblePatterns() throws {
        var g = SplitMix(seed: 0x5EED_0003)
        for model in FaultModel.allCases {
            for _ in 0..<40 {
                let n = Int.random(in: 2...5, using: &g)
                let t = Int.random(in: 1..<n, using: &g)
                let rounds = Int.random(in: 1...3, using: &g)
                let z = try Z3Context()
                let l = Symbolic(context: z, valueBits: 3)
                let free = SymbolicEnvironment.free(
                    l, n: n, t: t, rounds: rounds, model: model, faultyCandidates: ProcessSet.all(n))
                func pin(_ p: FailurePattern) throws -> Z3Solver {
                    let fixed = SymbolicEnvironment.fixed(l, n: n, rounds: rounds, pattern: p)
                    let s = try Z3Solver(z)
                    for c in free.constraints { try s.assert(c) }
                    func same(_ a: Z3Bool, _ b: Z3Bool) throws {
                        try s.assert(z.or([z.and([a, b]), z.and([z.not(a), z.not(b)])]))
                    }
                    for i in 0..<n { try same(free.faulty[i], fixed.faulty[i]) }
                    for r in 0...(rounds + 1) {
                        for i in 0..<n { try same(free.crashedBy[r][i], fixed.crashedBy[r][i]) }
                    }
                    for r in 0..<rounds {
                        for i in 0..<n {
                            for j in 0..<n { try same(free.delivered[r][i][j], fixed.delivered[r][i][j]) }
                        }
                    }
                    return s
                }
                let p = randomPattern(n: n, t: t, rounds: rounds, model: model, using: &g)
                let s = try pin(p)
                #expect(try s.check() == .sat, "\(p)")
                let back = try free.pattern(in: try s.model())
                #expect(back == Shrinker.normalize(p, rounds: rounds), "\(p)")
                // Two correct processes never lose a message.
                var correct = ProcessSet.all(n).subtracting(p.faulty).members
                if correct.count >= 2 {
                    let bad = FailurePattern(
                        faulty: p.faulty, crashes: p.crashes,
                        drops: p.drops + [Link(round: 1, from: correct[0], to: correct[1])])
                    #expect(try pin(bad).check() == .unsat, "\(bad)")
                }
                // More than t faulty processes are never admitted.
                correct = Array(correct.prefix(t + 1 - p.faulty.count))
                let tooMany = FailurePattern(faulty: p.faulty.union(ProcessSet(correct)), crashes: p.crashes)
                if tooMany.faulty.count > t { #expect(try pin(tooMany).check() == .unsat) }
            }
        }
        // Under crash-stop a faulty process that does not crash loses nothing.
        let z = try Z3Context()
        let l = Symbolic(context: z, valueBits: 2)
        let free = SymbolicEnvironment.free(l, n: 3, t: 1, rounds: 2, model: .crash, faultyCandidates: .all(3))
        let s = try Z3Solver(z)
        for c in free.constraints { try s.assert(c) }
        try s.assert(z.not(free.crashedBy[3][0]))
        try s.assert(z.not(free.delivered[0][0][1]))
        #expect(try s.check() == .unsat)
    }
}
