import PalsCore
import PalsProtocols
import Testing

@testable import PalsExplorer

/// The canonical form of a global state under the renamings that keep the
/// faulty set: one member of the state's orbit, the same for every member.
@Suite(.serialized, .timeLimit(.minutes(10))) struct CanonicalFormTests {
    /// A small deterministic generator (SplitMix64).
    struct Mix {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Int(z % UInt64(bound))
        }
    }

    /// After a search (depth-first, to its first violation: t ≥ n/2) has
    /// interned local states, random tuples of them
    /// (crashed positions among them): renaming a tuple by any element of the
    /// group leaves its canonical form unchanged, the form is the tuple
    /// renamed by the index `canonicalize` returns, and the form is its own
    /// form.
    @Test(arguments: [(4, 2, 0b0011), (5, 3, 0b00111), (5, 4, 0b01111), (6, 3, 0b000111), (7, 4, 0b0001111)])
    func everyRenamingHasTheSameCanonicalForm(n: Int, t: Int, faultyBits: UInt64) throws {
        var o = ExplorerOptions()
        o.symmetry = true
        o.canonicalStates = true
        o.stopAtFirstViolation = true
        let p = UIC(logic: Concrete(), n: n, t: t)
        let explorer = try Explorer(p, properties: UIC<Concrete>.properties, inputs: Array(0..<n), options: o)
        var search = Explorer<UIC<Concrete>>.FaultySetSearch(explorer, faulty: ProcessSet(bits: faultyBits))
        _ = search.run()
        let group = try #require(search.group)
        let states = search.localStates.count
        #expect(states > 10)
        var mix = Mix(state: UInt64(n * 100 + t))
        var distinctForms = Set<[UInt32]>()
        for _ in 0..<400 {
            let x = (0..<n).map { _ in mix.next(8) == 0 ? crashedID : UInt32(1 + mix.next(states)) }
            var c = x
            let g = search.canonicalize(&c)
            #expect(search.rename(x, by: g) == c, "the form is a renaming of \(x)")
            var again = c
            search.canonicalize(&again)
            #expect(again == c, "the form of a form")
            for h in 0..<group.count {
                var y = search.rename(x, by: h)
                search.canonicalize(&y)
                #expect(y == c, "renaming \(group.perms[h]) of \(x)")
                if y != c { return }
            }
            distinctForms.insert(c)
        }
        #expect(distinctForms.count > 100)
    }
}
