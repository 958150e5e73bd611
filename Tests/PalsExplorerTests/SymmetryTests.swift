import PalsCore
import PalsExplorer
import PalsProtocols
import Testing

/// Full symmetry reduction: canonical global states under the renamings of
/// processes that preserve the faulty set.
@Suite(.serialized, .timeLimit(.minutes(10))) struct SymmetryTests {
    static func check(
        _ n: Int, _ t: Int, _ variant: UIC<Concrete>.Variant = .standard, faultySets: Bool, canonical: Bool,
        first: Bool = false, inputs: [Int]? = nil
    ) throws -> ExplorationResult {
        var o = ExplorerOptions()
        o.symmetry = faultySets
        o.canonicalStates = canonical
        o.stopAtFirstViolation = first
        let p = UIC(logic: Concrete(), n: n, t: t, variant: variant)
        return try Explorer(p, properties: UIC<Concrete>.properties, inputs: inputs ?? Array(0..<n), options: o).run()
    }

    /// Every variant: the same status for every property as the full search,
    /// with fewer states than the search up to renaming of faulty sets only,
    /// and every counterexample a concrete run that violates its property.
    @Test(arguments: [(3, 1), (4, 1), (4, 2)])
    func canonicalStatesKeepVerdicts(n: Int, t: Int) throws {
        for variant in UIC<Concrete>.Variant.allCases {
            let full = try Self.check(n, t, variant, faultySets: false, canonical: false)
            let sets = try Self.check(n, t, variant, faultySets: true, canonical: false)
            let reduced = try Self.check(n, t, variant, faultySets: true, canonical: true)
            let canonicalOnly = try Self.check(n, t, variant, faultySets: false, canonical: true)
            #expect(full.verdicts.map(\.status) == reduced.verdicts.map(\.status), "\(variant) (\(n),\(t))")
            #expect(full.verdicts.map(\.status) == canonicalOnly.verdicts.map(\.status), "\(variant) (\(n),\(t))")
            #expect(reduced.states < sets.states, "\(variant) (\(n),\(t))")
            #expect(canonicalOnly.states < full.states, "\(variant) (\(n),\(t))")
            let p = UIC(logic: Concrete(), n: n, t: t, variant: variant)
            for v in reduced.verdicts + canonicalOnly.verdicts {
                guard let cx = v.violation else { continue }
                let prop = try #require(UIC<Concrete>.properties.first { $0.name == v.name })
                #expect(
                    Shrinker.violates(p, prop, inputs: cx.inputs, pattern: cx.unshrunk, model: .generalOmission) != nil)
                #expect(
                    Shrinker.violates(p, prop, inputs: cx.inputs, pattern: cx.pattern, model: .generalOmission) != nil)
            }
        }
    }

    /// The depth-first search (stop at the first violation) under canonical
    /// states finds a concrete counterexample.
    @Test func firstViolationUnderSymmetry() throws {
        let r = try Self.check(5, 3, faultySets: true, canonical: true, first: true)
        #expect(r.verdict == .violated)
        let p = UIC(logic: Concrete(), n: 5, t: 3)
        for v in r.verdicts {
            guard let cx = v.violation else { continue }
            let prop = try #require(UIC<Concrete>.properties.first { $0.name == v.name })
            #expect(Shrinker.violates(p, prop, inputs: cx.inputs, pattern: cx.unshrunk, model: .generalOmission) != nil)
        }
    }

    /// Values are only copied: other distinct inputs give the same reduced
    /// search, state for state.
    @Test func inputValuesDoNotMatter() throws {
        let a = try Self.check(4, 2, faultySets: true, canonical: true)
        let b = try Self.check(4, 2, faultySets: true, canonical: true, inputs: [40, 7, 12, -3])
        #expect(a.states == b.states)
        #expect(a.transitions == b.transitions)
        #expect(a.verdicts.map(\.status) == b.verdicts.map(\.status))
    }

    /// Repeated inputs are refused: renaming processes would not rename values.
    @Test func canonicalStatesNeedDistinctInputs() {
        #expect(throws: PalsError.self) {
            try Self.check(3, 1, faultySets: false, canonical: true, inputs: [1, 1, 2])
        }
    }

    /// FloodSet under crash-stop, where crash choices are part of the search.
    @Test func crashStopFloodSet() throws {
        for (n, t, rounds) in [(4, 2, nil), (4, 2, 2) as (Int, Int, Int?)] {
            var o = ExplorerOptions()
            o.faultModel = .crash
            let p = FloodSet(logic: Concrete(), n: n, t: t, rounds: rounds)
            let full = try Explorer(p, properties: FloodSet<Concrete>.properties, inputs: Array(0..<n), options: o)
                .run()
            o.symmetry = true
            o.canonicalStates = true
            let reduced = try Explorer(p, properties: FloodSet<Concrete>.properties, inputs: Array(0..<n), options: o)
                .run()
            #expect(full.verdicts.map(\.status) == reduced.verdicts.map(\.status))
            #expect(reduced.states < full.states)
        }
    }
}
