import PalsCore
import PalsProtocols
import PalsSymbolic
import PalsZ3
import Testing

/// Runs the symbolic checker on UIC (a variant) or FloodSet.
func checkUIC(
    n: Int, t: Int, variant: String = "standard", model: FaultModel = .generalOmission, symmetry: Bool = true
) throws -> SymbolicResult {
    let l = Symbolic(context: try Z3Context(), valueBits: Symbolic.bits(forValuesBelow: n))
    var options = SymbolicOptions()
    options.faultModel = model
    options.symmetry = symmetry
    return try SymbolicChecker(
        symbolic: UIC(logic: l, n: n, t: t, variant: UIC<Symbolic>.Variant(rawValue: variant)!),
        concrete: UIC(logic: Concrete(), n: n, t: t, variant: UIC<Concrete>.Variant(rawValue: variant)!),
        properties: UIC<Symbolic>.properties, concreteProperties: UIC<Concrete>.properties, options: options
    ).run()
}

func checkFloodSet(
    n: Int, t: Int, rounds: Int? = nil, model: FaultModel = .generalOmission, symmetry: Bool = true
) throws -> SymbolicResult {
    let l = Symbolic(context: try Z3Context(), valueBits: Symbolic.bits(forValuesBelow: n))
    var options = SymbolicOptions()
    options.faultModel = model
    options.symmetry = symmetry
    return try SymbolicChecker(
        symbolic: FloodSet(logic: l, n: n, t: t, rounds: rounds),
        concrete: FloodSet(logic: Concrete(), n: n, t: t, rounds: rounds),
        properties: FloodSet<Symbolic>.properties, concreteProperties: FloodSet<Concrete>.properties, options: options
    ).run()
}

func status(_ r: SymbolicResult, _ name: String) -> Verdict? {
    r.verdicts.first { $0.name == name }?.status
}

/// Every violation the checker reports replays concretely: `simulate` on the
/// (shrunk) pattern violates the property after the reported round, and the
/// pattern is admissible.
func expectReplays<C: RoundProtocol>(
    _ r: SymbolicResult, _ concrete: C, _ properties: [Property<C>], model: FaultModel
) throws where C.L == Concrete {
    for v in r.verdicts where v.status == .violated {
        let pattern = try #require(v.pattern)
        let property = try #require(properties.first { $0.name == v.name })
        let trace = try simulate(concrete, inputs: r.inputs, pattern: pattern, model: model)
        #expect(trace.violation(of: property, protocol: concrete) == v.violatedAfterRound, "\(v.name) \(pattern)")
        #expect(CounterexampleFile.decisions(trace.decisions) == v.decisions)
        #expect(pattern.faulty.count <= r.t)
        // The solver's own (unshrunk) pattern violates it as well.
        let raw = try #require(v.solverPattern)
        #expect(Shrinker.violates(concrete, property, inputs: r.inputs, pattern: raw, model: model) != nil)
    }
    for v in r.verdicts where v.status == .witnessed {
        let pattern = try #require(v.pattern)
        let property = try #require(properties.first { $0.name == v.name })
        let trace = try simulate(concrete, inputs: r.inputs, pattern: pattern, model: model)
        #expect(property.holds(concrete, trace.context(round: concrete.rounds)))
    }
}

@Suite(.timeLimit(.minutes(10))) struct CheckerTests {
    static let safety = ["Termination", "Validity", "UniformAgreement", "Agreement", "CorrectNeverHalts"]

    @Test(arguments: [(3, 1), (4, 1), (5, 2)])
    func uicHolds(_ n: Int, _ t: Int) throws {
        let r = try checkUIC(n: n, t: t)
        #expect(r.verdict == .holds)
        for name in Self.safety { #expect(status(r, name) == .holds, "\(name) at (\(n),\(t))") }
        #expect(status(r, "SomeProcessDecides") == .witnessed)
        #expect(status(r, "SomeProcessHalts") == .witnessed)
        try expectReplays(r, UIC(logic: Concrete(), n: n, t: t), UIC<Concrete>.properties, model: .generalOmission)
    }

    @Test func uicHoldsWithoutSymmetryReduction() throws {
        let r = try checkUIC(n: 3, t: 1, symmetry: false)
        #expect(r.verdict == .holds)
        #expect(!r.symmetry)
    }

    @Test(arguments: [(2, 1), (4, 2)])
    func uicViolatesUniformAgreementWhenTIsAtLeastHalfOfN(_ n: Int, _ t: Int) throws {
        let r = try checkUIC(n: n, t: t)
        #expect(r.verdict == .violated)
        #expect(status(r, "UniformAgreement") == .violated)
        try expectReplays(r, UIC(logic: Concrete(), n: n, t: t), UIC<Concrete>.properties, model: .generalOmission)
    }

    @Test(arguments: ["no-intersection", "no-trust-check", "no-halting", "merge-all-received", "t-rounds"])
    func mutantsAreCaught(_ variant: String) throws {
        let r = try checkUIC(n: 3, t: 1, variant: variant)
        #expect(r.verdict == .violated, "\(variant)")
        #expect(r.verdicts.contains { $0.status == .violated && Self.safety.contains($0.name) })
        let concrete = UIC(logic: Concrete(), n: 3, t: 1, variant: UIC<Concrete>.Variant(rawValue: variant)!)
        try expectReplays(r, concrete, UIC<Concrete>.properties, model: .generalOmission)
    }

    @Test func floodSetFailsUnderOmission() throws {
        let r = try checkFloodSet(n: 3, t: 1)
        #expect(status(r, "Agreement") == .violated)
        try expectReplays(
            r, FloodSet(logic: Concrete(), n: 3, t: 1), FloodSet<Concrete>.properties, model: .generalOmission)
    }

    @Test(arguments: [true, false])
    func floodSetHoldsUnderCrashesWithTPlusOneRounds(_ symmetry: Bool) throws {
        let r = try checkFloodSet(n: 3, t: 1, model: .crash, symmetry: symmetry)
        #expect(r.verdict == .holds)
        #expect(status(r, "UniformAgreement") == .holds)
        #expect(status(r, "SomeProcessDecides") == .witnessed)
        try expectReplays(r, FloodSet(logic: Concrete(), n: 3, t: 1), FloodSet<Concrete>.properties, model: .crash)
    }

    @Test func floodSetFailsUnderCrashesWithTRounds() throws {
        let r = try checkFloodSet(n: 3, t: 1, rounds: 1, model: .crash)
        #expect(r.verdict == .violated)
        #expect(status(r, "Agreement") == .violated)
        try expectReplays(
            r, FloodSet(logic: Concrete(), n: 3, t: 1, rounds: 1), FloodSet<Concrete>.properties, model: .crash)
        // Crash-stop counterexamples only drop links right before a crash.
        for v in r.verdicts where v.status == .violated {
            for l in v.pattern!.drops { #expect(v.pattern!.crashRound(of: l.from) == l.round + 1) }
        }
    }

    @Test func uicUnderCrashFaultsHolds() throws {
        let r = try checkUIC(n: 4, t: 1, model: .crash)
        #expect(r.verdict == .holds)
    }

    @Test func symmetryNeedsDistinctInputs() throws {
        let l = Symbolic(context: try Z3Context(), valueBits: 2)
        var options = SymbolicOptions()
        options.symmetry = true
        options.inputs = [0, 0, 1]
        #expect(throws: PalsError.self) {
            try SymbolicChecker(
                symbolic: UIC(logic: l, n: 3, t: 1), concrete: UIC(logic: Concrete(), n: 3, t: 1),
                properties: UIC<Symbolic>.properties, concreteProperties: UIC<Concrete>.properties, options: options)
        }
        options.inputs = [0, 1, 5]  // 5 does not fit 2 bits (3 is ⊥)
        options.symmetry = false
        #expect(throws: PalsError.self) {
            try SymbolicChecker(
                symbolic: UIC(logic: l, n: 3, t: 1), concrete: UIC(logic: Concrete(), n: 3, t: 1),
                properties: UIC<Symbolic>.properties, concreteProperties: UIC<Concrete>.properties, options: options)
        }
    }

    /// Non-distinct inputs without symmetry reduction are checked as given.
    @Test func repeatedInputsWithoutSymmetry() throws {
        let l = Symbolic(context: try Z3Context(), valueBits: 2)
        var options = SymbolicOptions()
        options.inputs = [1, 1, 0]
        let r = try SymbolicChecker(
            symbolic: UIC(logic: l, n: 3, t: 1), concrete: UIC(logic: Concrete(), n: 3, t: 1),
            properties: UIC<Symbolic>.properties, concreteProperties: UIC<Concrete>.properties, options: options
        ).run()
        #expect(r.verdict == .holds)
        #expect(r.inputs == [1, 1, 0])
    }
}

/// Z3 errors are Swift errors; they never terminate the process.
@Suite(.timeLimit(.minutes(10))) struct Z3WrapperTests {
    @Test func illSortedCallsThrow() throws {
        let z = try Z3Context()
        let b = try z.constant("b", sort: z.boolSort)
        let x = try z.constant("x", sort: z.bitVectorSort(3))
        let y = try z.constant("y", sort: z.bitVectorSort(4))
        #expect(throws: Z3Error.self) { try z.eq(b, x) }
        #expect(throws: Z3Error.self) { try z.and([b, x]) }
        #expect(throws: Z3Error.self) { try z.bvAdd(x, y) }
        #expect(throws: Z3Error.self) { try z.ite(x, b, b) }
        // The context is still usable afterwards.
        let s = try Z3Solver(z)
        try s.assert(try z.eq(x, x))
        #expect(try s.check() == .sat)
        #expect(throws: Z3Error.self) { try s.assert(x) }
    }

    @Test func nonThrowingBuildersRecordTheFirstError() throws {
        let z = try Z3Context()
        #expect(z.firstError == nil)
        let x = Z3BitVector(try z.constant("x", sort: z.bitVectorSort(3)))
        let y = Z3BitVector(try z.constant("y", sort: z.bitVectorSort(4)))
        let e = z.eq(x, y)  // ill-sorted: recorded, a placeholder returned
        _ = z.and([e, z.freshBool("c")])
        #expect(z.firstError != nil)
        #expect(throws: Z3Error.self) { try z.throwIfFailed() }
    }

    @Test(arguments: [Z3SolverKind.simple, .bitBlastSAT, .logic("QF_FD")])
    func timeoutGivesUnknownNotUnsat(kind: Z3SolverKind) throws {
        // Pigeonhole: 12 pigeons, 11 holes, pairwise clauses (hard for CDCL).
        let z = try Z3Context()
        let pigeons = 12
        let holes = 11
        let v = (0..<pigeons).map { p in (0..<holes).map { h in z.freshBool("p\(p)h\(h)") } }
        let s = try Z3Solver(z, kind: kind)
        try s.setTimeout(seconds: 0.2)
        for p in 0..<pigeons { try s.assert(z.or(v[p])) }
        for h in 0..<holes {
            for p in 0..<pigeons {
                for q in (p + 1)..<pigeons { try s.assert(z.or([z.not(v[p][h]), z.not(v[q][h])])) }
            }
        }
        let r = try s.check()
        guard case .unknown(let reason) = r else {
            Issue.record("expected unknown, got \(r)")
            return
        }
        #expect(!reason.isEmpty)
    }

    @Test(arguments: [Z3SolverKind.bitBlastSAT, .logic("QF_FD"), .simple])
    func cardinalityAndModels(kind: Z3SolverKind) throws {
        let z = try Z3Context()
        let bits = (0..<5).map { z.freshBool("b\($0)") }
        let s = try Z3Solver(z, kind: kind)
        try s.assert(z.atLeast(3, bits))
        try s.assert(z.atMost(3, bits))
        try s.assert(z.not(bits[0]))
        #expect(try s.check() == .sat)
        let m = try s.model()
        #expect(try bits.map { try m.bool($0) }.filter { $0 }.count == 3)
        #expect(try m.bool(bits[0]) == false)
        try s.assert(z.atMost(1, Array(bits[1...])))
        #expect(try s.check() == .unsat)
        #expect(try !s.statistics().isEmpty)
    }
}
