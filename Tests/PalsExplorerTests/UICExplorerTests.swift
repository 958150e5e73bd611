import PalsCore
import PalsExplorer
import PalsProtocols
import Testing

/// UIC, its mutants and FloodSet through the explicit explorer.
@Suite(.timeLimit(.minutes(10))) struct UICExplorerTests {
    static func check(
        _ n: Int, _ t: Int, _ variant: UIC<Concrete>.Variant = .standard, rounds: Int? = nil, symmetry: Bool = false,
        first: Bool = false
    ) throws -> ExplorationResult {
        var o = ExplorerOptions()
        o.symmetry = symmetry
        o.stopAtFirstViolation = first
        let p = UIC(logic: Concrete(), n: n, t: t, variant: variant, rounds: rounds)
        return try Explorer(p, properties: UIC<Concrete>.properties, inputs: Array(0..<n), options: o).run()
    }

    static func status(_ r: ExplorationResult, _ name: String) -> Verdict? {
        r.verdicts.first { $0.name == name }?.status
    }

    @Test(arguments: [(3, 1), (4, 1), (5, 2)])
    func holdsBelowHalf(n: Int, t: Int) throws {
        let r = try Self.check(n, t)
        #expect(r.verdict == .holds)
        #expect(r.complete)
        #expect(Self.status(r, "SomeProcessDecides") == .witnessed)
        #expect(Self.status(r, "SomeProcessHalts") == .witnessed)
    }

    @Test(arguments: [(2, 1), (4, 2), (3, 2)])
    func violatedFromHalfOn(n: Int, t: Int) throws {
        let r = try Self.check(n, t)
        #expect(Self.status(r, "UniformAgreement") == .violated)
        // A correct process is never left behind, whatever t: the failure is
        // in agreement with faulty deciders.
        #expect(Self.status(r, "Termination") == .holds)
        #expect(Self.status(r, "CorrectNeverHalts") == .holds)
        let v = try #require(r.verdicts.first { $0.name == "UniformAgreement" }?.violation)
        let p = UIC(logic: Concrete(), n: n, t: t)
        let prop = UIC<Concrete>.properties.first { $0.name == "UniformAgreement" }!
        #expect(Shrinker.violates(p, prop, inputs: v.inputs, pattern: v.pattern, model: .generalOmission) != nil)
        // Two groups that each trust n − t of their own: the faulty group needs n − t members.
        #expect(v.pattern.faulty.count >= n - t)
    }

    @Test func oneRoundTooFewIsViolated() throws {
        let r = try Self.check(3, 1, rounds: 1)
        #expect(r.verdict == .violated)
    }

    @Test(arguments: UIC<Concrete>.Variant.allCases.filter { $0 != .standard })
    func everyMutantIsCaughtAtThreeOne(variant: UIC<Concrete>.Variant) throws {
        let r = try Self.check(3, 1, variant)
        #expect(r.verdict == .violated, "\(variant)")
        let p = UIC(logic: Concrete(), n: 3, t: 1, variant: variant)
        for v in r.verdicts {
            guard let cx = v.violation else { continue }
            let prop = UIC<Concrete>.properties.first { $0.name == v.name }!
            #expect(Shrinker.violates(p, prop, inputs: cx.inputs, pattern: cx.pattern, model: .generalOmission) != nil)
            // Shrunk: no dropped link can be removed.
            for l in cx.pattern.drops {
                let smaller = FailurePattern(
                    faulty: cx.pattern.faulty, crashes: cx.pattern.crashes, drops: cx.pattern.drops.filter { $0 != l })
                #expect(Shrinker.violates(p, prop, inputs: cx.inputs, pattern: smaller, model: .generalOmission) == nil)
            }
        }
    }

    /// Symmetry reduction (faulty sets up to renaming) gives the same verdicts
    /// as the full search.
    @Test(arguments: [(3, 1), (4, 1), (4, 2), (5, 2)])
    func symmetryKeepsVerdicts(n: Int, t: Int) throws {
        for variant in UIC<Concrete>.Variant.allCases {
            let full = try Self.check(n, t, variant)
            let reduced = try Self.check(n, t, variant, symmetry: true)
            #expect(full.verdicts.map(\.status) == reduced.verdicts.map(\.status), "\(variant) (\(n),\(t))")
            #expect(reduced.states < full.states || t == 0)
        }
    }

    /// Stopping at the first violating faulty-set size skips the larger ones.
    @Test func firstViolationStopsEarly() throws {
        let r = try Self.check(5, 2, .noHalting, first: true)
        #expect(r.verdict == .violated)
        #expect(!r.complete)
        #expect(r.faultySetsExplored == 1 + 5)
        #expect(r.faultySetsTotal == 16)
    }
}

@Suite(.timeLimit(.minutes(10))) struct FloodSetExplorerTests {
    static func check(_ n: Int, _ t: Int, model: FaultModel, rounds: Int? = nil) throws -> ExplorationResult {
        var o = ExplorerOptions()
        o.faultModel = model
        let p = FloodSet(logic: Concrete(), n: n, t: t, rounds: rounds)
        return try Explorer(p, properties: FloodSet<Concrete>.properties, inputs: Array(0..<n), options: o).run()
    }

    @Test(arguments: [(3, 1), (5, 2)])
    func violatedUnderGeneralOmission(n: Int, t: Int) throws {
        let r = try Self.check(n, t, model: .generalOmission)
        #expect(r.verdicts.first { $0.name == "Agreement" }?.status == .violated)
        #expect(r.verdicts.first { $0.name == "UniformAgreement" }?.status == .violated)
    }

    /// The classic bound: under crash-stop FloodSet needs t + 1 rounds.
    @Test(arguments: [(3, 1), (4, 2)])
    func crashStopNeedsTPlusOneRounds(n: Int, t: Int) throws {
        #expect(try Self.check(n, t, model: .crash).verdict == .holds)
        let short = try Self.check(n, t, model: .crash, rounds: t)
        #expect(short.verdicts.first { $0.name == "Agreement" }?.status == .violated)
    }
}
