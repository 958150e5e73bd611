import PalsCore
import PalsProtocols
import Testing

@testable import PalsExplorer

/// Under full symmetry reduction each round of the breadth-first search runs
/// in stages on several threads (`RoundSchedule`). What it leaves — the local
/// states and their ids, the counts, the largest layer, the paths to the
/// first violations, the witnesses — must be what one thread leaves, for any
/// size of chunks and tasks.
@Suite(.serialized, .timeLimit(.minutes(10))) struct StagedRoundTests {
    static func options(threads: Int, crash: Bool = false) -> ExplorerOptions {
        var o = ExplorerOptions()
        o.symmetry = true
        o.canonicalStates = true
        o.threads = threads
        if crash { o.faultModel = .crash }
        return o
    }

    /// One faulty set's search with the given threads, parents per chunk and tuples per task.
    static func record<P>(
        _ explorer: Explorer<P>, faulty: ProcessSet, threads: Int, chunk: Int, task: Int
    ) -> Explorer<P>.FaultySetRecord {
        var search = Explorer<P>.FaultySetSearch(explorer, faulty: faulty, threads: threads)
        search.chunkParents = chunk
        search.taskTuples = task
        return search.run()
    }

    static func expectSame<P>(_ a: Explorer<P>.FaultySetRecord, _ b: Explorer<P>.FaultySetRecord, _ label: String) {
        #expect(a.localStates == b.localStates, "\(label): local states and their ids")
        #expect(a.states == b.states, "\(label): states")
        #expect(a.transitions == b.transitions, "\(label): transitions")
        #expect(a.largestLayer == b.largestLayer, "\(label): largest layer")
        #expect(a.violationPaths == b.violationPaths, "\(label): paths to the first violations")
        #expect(a.witnessed == b.witnessed, "\(label): witnesses")
        #expect(a.stopReason == nil && b.stopReason == nil, "\(label): not stopped")
    }

    /// Threads, parents per chunk, tuples per task: the defaults, then
    /// schedules that cut every round into many chunks and every large
    /// product by its first digit.
    static let schedules = [(2, 256, 1 << 12), (3, 5, 16), (2, 1, 1), (1, 7, 3)]

    /// Every UIC variant, every faulty set size (one set per size, as under
    /// symmetry); (5,3) is `explorerResultsDoNotDependOnThreads`.
    @Test(arguments: [(3, 1), (4, 2), (5, 2)])
    func uicLeavesTheSameOnAnyNumberOfThreads(n: Int, t: Int) {
        for variant in UIC<Concrete>.Variant.allCases {
            let p = UIC(logic: Concrete(), n: n, t: t, variant: variant)
            let explorer = Explorer(
                p, properties: UIC<Concrete>.properties, inputs: Array(0..<n), options: Self.options(threads: 1))
            for k in 0...t {
                let f = ProcessSet(0..<k)
                let one = Self.record(explorer, faulty: f, threads: 1, chunk: 256, task: 1 << 12)
                #expect(one.states > 1)
                for (threads, chunk, task) in Self.schedules {
                    let other = Self.record(explorer, faulty: f, threads: threads, chunk: chunk, task: task)
                    Self.expectSame(
                        one, other, "\(variant) (\(n),\(t)) F = \(f), \(threads) threads, \(chunk)/\(task)")
                }
            }
        }
    }

    /// Crash-stop FloodSet: several jobs per parent (one per choice of crashes).
    @Test(arguments: [(4, 2), (5, 2)])
    func crashStopFloodSetLeavesTheSame(n: Int, t: Int) {
        let p = FloodSet(logic: Concrete(), n: n, t: t, rounds: nil)
        let explorer = Explorer(
            p, properties: FloodSet<Concrete>.properties, inputs: Array(0..<n),
            options: Self.options(threads: 1, crash: true))
        for k in 0...t {
            let f = ProcessSet(0..<k)
            let one = Self.record(explorer, faulty: f, threads: 1, chunk: 256, task: 1 << 12)
            for (threads, chunk, task) in Self.schedules {
                let other = Self.record(explorer, faulty: f, threads: threads, chunk: chunk, task: task)
                Self.expectSame(one, other, "floodset (\(n),\(t)) F = \(f), \(threads) threads, \(chunk)/\(task)")
            }
        }
    }

    /// The whole search: one, two and three threads give the same result,
    /// down to the counterexamples before and after shrinking.
    @Test func explorerResultsDoNotDependOnThreads() throws {
        let p = UIC(logic: Concrete(), n: 5, t: 3)
        func run(_ threads: Int) throws -> ExplorationResult {
            try Explorer(
                p, properties: UIC<Concrete>.properties, inputs: Array(0..<5), options: Self.options(threads: threads)
            ).run()
        }
        let one = try run(1)
        #expect(one.states == 147_826 && one.transitions == 26_916_406)
        #expect(one.verdicts.contains { $0.status == .violated })
        for threads in [2, 3] {
            let other = try run(threads)
            #expect(other.states == one.states && other.transitions == one.transitions)
            #expect(other.largestLayer == one.largestLayer)
            #expect(other.verdicts.map(\.status) == one.verdicts.map(\.status))
            #expect(other.verdicts.map { $0.violation?.unshrunk } == one.verdicts.map { $0.violation?.unshrunk })
            #expect(other.verdicts.map { $0.violation?.pattern } == one.verdicts.map { $0.violation?.pattern })
        }
    }

    /// A worker enumerates a job's product up to the parent's stabilizer
    /// and canonicalizes each tuple from the job's rows: the same tuples, in
    /// the same order, with the same canonical forms as the search's own
    /// `nextTuple` and `canonicalize`, for the initial state of UIC (5,2)
    /// and of (5,3) with F = {p0,p1,p2} and for the successors of the first.
    @Test func workersEnumerateAsTheSearchDoes() {
        typealias Search = Explorer<UIC<Concrete>>.FaultySetSearch
        for (t, k) in [(2, 2), (3, 3)] {
            let n = 5
            let p = UIC(logic: Concrete(), n: n, t: t)
            let explorer = Explorer(
                p, properties: UIC<Concrete>.properties, inputs: Array(0..<n), options: Self.options(threads: 1))
            var search = Search(explorer, faulty: ProcessSet(0..<k))
            var worker = ProductWorker(
                n: n, stride: search.stride, groupSize: search.groupSize, inverseFlat: search.inverseFlat,
                rawCache: false, rawLimit: 0)
            defer { worker.release() }
            var signatures = SignatureSet()
            var scratch = StageScratch(n: n, stride: search.stride)
            // The canonical forms a worker emits for the jobs of `parents` in round r.
            func emitted(_ parents: [[UInt32]], round r: Int) -> (jobs: [ProductJob], forms: [[UInt32]]) {
                var layer = Explorer<UIC<Concrete>>.Layer()
                for ids in parents {
                    var key = [UInt64](repeating: 0, count: search.words)
                    for q in 0..<n { key[q / 2] |= UInt64(ids[q]) << UInt64(32 * (q % 2)) }
                    layer.keys.append(contentsOf: key)
                    layer.parents.append(0)
                }
                layer.count = parents.count
                search.memos[r].reset(expected: 1024)
                signatures.reset(expected: 64)
                let chunk = search.buildChunk(
                    0..<parents.count, of: layer, round: r, signatures: &signatures, scratch: &scratch,
                    pre: PreExpansion())
                var forms: [[UInt32]] = []
                for task in chunk.tasks {
                    let out = worker.run(task, of: chunk.jobs) { _ in false }
                    let w = search.words
                    for i in 0..<out.hashes.count {
                        forms.append(
                            (0..<n).map { q in
                                UInt32(truncatingIfNeeded: out.keys[i * w + q / 2] >> (32 * UInt64(q % 2)))
                            }
                        )
                    }
                }
                return (chunk.jobs, forms)
            }
            // The search's own enumeration and canonical forms of a parent's product.
            func enumerated(_ parent: [UInt32], round r: Int) -> [[UInt32]] {
                var succ = [UInt32](repeating: 0, count: n * search.stride)
                var counts = [Int](repeating: 0, count: n)
                search.expand(
                    parent, round: r, crashing: ProcessSet(), partitionFirst: false, succ: &succ, count: &counts)
                var stabilizer = Stabilizer(n: n)
                search.stabilizer(of: parent, crashing: ProcessSet(), into: &stabilizer)
                var digits = [Int](repeating: 0, count: n)
                var forms: [[UInt32]] = []
                var more = search.nextTuple(&digits, first: true, counts: counts, succ: succ, stabilizer: stabilizer)
                while more {
                    var ids = (0..<n).map { succ[$0 * search.stride + digits[$0]] }
                    search.canonicalize(&ids)
                    forms.append(ids)
                    more = search.nextTuple(&digits, first: false, counts: counts, succ: succ, stabilizer: stabilizer)
                }
                return forms
            }
            let root = search.initialKey().withUnsafeBufferPointer { search.unpack($0) }
            let (jobs, forms) = emitted([root], round: 1)
            #expect(jobs.count == 1)
            let expected = enumerated(root, round: 1)
            #expect(forms.count > 100)
            #expect(forms == expected, "(5,\(t)) F = {p0…p\(k - 1)}: \(forms.count) and \(expected.count) tuples")

            // Round 2 from the first distinct canonical successors, whose
            // stabilizers are small: the worker compares only the renamings
            // that give the least first value, and must still find the form
            // the search's `canonicalize` finds over the whole group.
            var parents: [[UInt32]] = []
            for ids in expected where !parents.contains(ids) && parents.count < 24 { parents.append(ids) }
            let (jobs2, forms2) = emitted(parents, round: 2)
            #expect(jobs2.count > 1)
            let expected2 = jobs2.flatMap { enumerated(parents[Int($0.parent)], round: 2) }
            #expect(forms2.count > 100)
            #expect(forms2 == expected2, "(5,\(t)) round 2: \(forms2.count) and \(expected2.count) tuples")
        }
    }
}
