import PalsCore
import PalsProtocols
import Testing

@testable import PalsExplorer

/// Under full symmetry reduction, a parent's successor tuples are enumerated
/// only up to the transpositions that fix the parent: the same canonical
/// states must be reached as when every tuple is built.
@Suite(.serialized, .timeLimit(.minutes(10))) struct StabilizerPruningTests {
    static func options(pruning: Bool, first: Bool = false, crash: Bool = false) -> ExplorerOptions {
        var o = ExplorerOptions()
        o.symmetry = true
        o.canonicalStates = true
        o.stabilizerPruning = pruning
        o.stopAtFirstViolation = first
        if crash { o.faultModel = .crash }
        return o
    }

    static func expectSame(_ a: ExplorationResult, _ b: ExplorationResult, _ label: String) {
        #expect(a.states == b.states, "\(label): states")
        #expect(a.transitions == b.transitions, "\(label): transitions")
        #expect(a.largestLayer == b.largestLayer, "\(label): largest layer")
        #expect(a.verdicts.map(\.status) == b.verdicts.map(\.status), "\(label): verdicts")
        #expect(a.verdicts.map { $0.violation?.pattern } == b.verdicts.map { $0.violation?.pattern }, "\(label)")
    }

    /// Every UIC variant, breadth-first: states per cell, transitions, the
    /// largest layer, the verdicts and the (shrunk) counterexamples agree.
    @Test(arguments: [(3, 1), (4, 1), (4, 2), (5, 2)])
    func uicReachesTheSameCanonicalStates(n: Int, t: Int) throws {
        for variant in UIC<Concrete>.Variant.allCases {
            let p = UIC(logic: Concrete(), n: n, t: t, variant: variant)
            func run(_ pruning: Bool) throws -> ExplorationResult {
                try Explorer(
                    p, properties: UIC<Concrete>.properties, inputs: Array(0..<n),
                    options: Self.options(pruning: pruning)
                ).run()
            }
            Self.expectSame(try run(true), try run(false), "\(variant) (\(n),\(t))")
        }
    }

    /// UIC (5,3), where |F| = 3 gives renamings of three faulty processes.
    @Test func uicFiveThree() throws {
        let p = UIC(logic: Concrete(), n: 5, t: 3)
        func run(_ pruning: Bool) throws -> ExplorationResult {
            try Explorer(
                p, properties: UIC<Concrete>.properties, inputs: Array(0..<5), options: Self.options(pruning: pruning)
            ).run()
        }
        Self.expectSame(try run(true), try run(false), "(5,3)")
    }

    /// Crash-stop FloodSet, where only transpositions that keep the crashing
    /// processes may prune.
    @Test(arguments: [(4, 1), (4, 2), (5, 2)])
    func crashStopFloodSetReachesTheSameStates(n: Int, t: Int) throws {
        let p = FloodSet(logic: Concrete(), n: n, t: t, rounds: nil)
        func run(_ pruning: Bool) throws -> ExplorationResult {
            try Explorer(
                p, properties: FloodSet<Concrete>.properties, inputs: Array(0..<n),
                options: Self.options(pruning: pruning, crash: true)
            ).run()
        }
        Self.expectSame(try run(true), try run(false), "floodset (\(n),\(t))")
    }

    /// The depth-first search still finds every violation, and each is a
    /// concrete run that violates its property.
    @Test func depthFirstFindsTheSameViolations() throws {
        let p = UIC(logic: Concrete(), n: 5, t: 3)
        func run(_ pruning: Bool) throws -> ExplorationResult {
            try Explorer(
                p, properties: UIC<Concrete>.properties, inputs: Array(0..<5),
                options: Self.options(pruning: pruning, first: true)
            ).run()
        }
        let pruned = try run(true)
        let full = try run(false)
        #expect(pruned.verdicts.map(\.status) == full.verdicts.map(\.status))
        #expect(pruned.verdict == .violated)
        for v in pruned.verdicts {
            guard let cx = v.violation else { continue }
            let prop = try #require(UIC<Concrete>.properties.first { $0.name == v.name })
            #expect(Shrinker.violates(p, prop, inputs: cx.inputs, pattern: cx.unshrunk, model: .generalOmission) != nil)
        }
    }

    /// The initial state of UIC (5,2) with F = {p0,p1} is fixed by every
    /// renaming within the classes (2! · 3! − 1 besides the identity); its
    /// successor tuples are then pruned to far fewer, with exactly the same
    /// canonical forms.
    @Test func initialStatePrunesItsProductAndKeepsEveryCanonicalSuccessor() throws {
        let n = 5
        let p = UIC(logic: Concrete(), n: n, t: 2)
        let explorer = Explorer(
            p, properties: UIC<Concrete>.properties, inputs: Array(0..<n), options: Self.options(pruning: true))
        var search = Explorer<UIC<Concrete>>.FaultySetSearch(explorer, faulty: ProcessSet([0, 1]))
        let root = search.initialKey().withUnsafeBufferPointer { search.unpack($0) }
        var stabilizer = Stabilizer(n: n)
        search.stabilizer(of: root, crashing: ProcessSet(), into: &stabilizer)
        #expect(stabilizer.elements.count == 11)
        // Closed at position 1 (the faulty block): the renamings that move only p0 and p1.
        let closedAtOne = stabilizer.g[stabilizer.start[1]..<stabilizer.start[2]].map { search.group!.perms[$0] }
        #expect(closedAtOne.contains([1, 0, 2, 3, 4]))
        #expect(closedAtOne.contains([1, 0, 3, 2, 4]))
        #expect(stabilizer.start[n] - stabilizer.start[n - 1] == 11)

        var succ = [UInt32](repeating: 0, count: n * search.stride)
        var counts = [Int](repeating: 0, count: n)
        search.memos[1].reset(expected: 1024)
        search.expand(root, round: 1, crashing: ProcessSet(), partitionFirst: false, succ: &succ, count: &counts)
        func canonicalForms(_ stabilizer: Stabilizer) -> (tuples: Int, forms: Set<[UInt32]>) {
            var digits = [Int](repeating: 0, count: n)
            var tuples = 0
            var forms = Set<[UInt32]>()
            var more = search.nextTuple(&digits, first: true, counts: counts, succ: succ, stabilizer: stabilizer)
            while more {
                tuples += 1
                var ids = (0..<n).map { succ[$0 * search.stride + digits[$0]] }
                search.canonicalize(&ids)
                forms.insert(ids)
                more = search.nextTuple(&digits, first: false, counts: counts, succ: succ, stabilizer: stabilizer)
            }
            return (tuples, forms)
        }
        let pruned = canonicalForms(stabilizer)
        let full = canonicalForms(Stabilizer(n: n))
        #expect(full.tuples == counts.reduce(1, *))
        #expect(pruned.forms == full.forms)
        // One tuple per orbit under the stabilizer, and orbits are at most 12 tuples.
        #expect(pruned.tuples * 12 >= full.tuples)
        #expect(pruned.tuples * 4 < full.tuples, "\(pruned.tuples) of \(full.tuples) tuples built")
    }

    /// After round 1 of UIC (4,1) with F = {p0}: with no loss every renaming
    /// of the correct processes still fixes the state; when p2 and p3 lose
    /// p0's message and p1 does not, only (p2 p3) does.
    @Test func theStabilizerFollowsWhatTheProcessesHeard() throws {
        let n = 4
        let p = UIC(logic: Concrete(), n: n, t: 1)
        let explorer = Explorer(
            p, properties: UIC<Concrete>.properties, inputs: Array(0..<n), options: Self.options(pruning: true))
        var search = Explorer<UIC<Concrete>>.FaultySetSearch(explorer, faulty: ProcessSet([0]))
        let root = search.initialKey().withUnsafeBufferPointer { search.unpack($0) }
        var succ = [UInt32](repeating: 0, count: n * search.stride)
        var counts = [Int](repeating: 0, count: n)
        search.memos[1].reset(expected: 1024)
        search.expand(root, round: 1, crashing: ProcessSet(), partitionFirst: false, succ: &succ, count: &counts)
        // A correct receiver's list: first every message arrived, then p0's lost.
        #expect(counts[1] == 2 && counts[2] == 2 && counts[3] == 2)
        func renamings(of state: [UInt32]) -> [[Int]] {
            var stabilizer = Stabilizer(n: n)
            search.stabilizer(of: state, crashing: ProcessSet(), into: &stabilizer)
            return stabilizer.elements.map { search.group!.perms[$0] }.sorted { $0.lexicographicallyPrecedes($1) }
        }
        let heardAll = (0..<n).map { succ[$0 * search.stride] }
        #expect(renamings(of: heardAll).count == 5)
        var lossy = heardAll
        lossy[2] = succ[2 * search.stride + 1]
        lossy[3] = succ[3 * search.stride + 1]
        #expect(renamings(of: lossy) == [[0, 1, 3, 2]])
        // Pruning off: no renaming is used.
        var off = Self.options(pruning: false)
        off.symmetry = true
        var unpruned = Explorer<UIC<Concrete>>.FaultySetSearch(
            Explorer(p, properties: UIC<Concrete>.properties, inputs: Array(0..<n), options: off),
            faulty: ProcessSet([0]))
        var none = Stabilizer(n: n)
        unpruned.stabilizer(of: root, crashing: ProcessSet(), into: &none)
        #expect(none.isEmpty)
    }
}
