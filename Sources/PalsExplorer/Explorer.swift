import Dispatch
import PalsCore

/// How an exhaustive search is run.
public struct ExplorerOptions: Sendable {
    /// Search faulty sets up to renaming of processes (only for protocols that
    /// declare `ProcessSymmetric`, with distinct inputs).
    public var symmetry = false
    /// Full symmetry reduction: keep one global state per orbit under the
    /// renamings of processes that preserve the faulty set (within the
    /// faulty class and within the correct class; views, trusted sets and
    /// values renamed by the protocol's `ProcessSymmetric.renamed`). Needs a
    /// `ProcessSymmetric` protocol and distinct inputs. Counterexample paths
    /// are mapped back to concrete runs.
    public var canonicalStates = false
    /// Under `canonicalStates`, enumerate a parent's successor tuples only up
    /// to the renamings of processes that fix the parent (see
    /// `Stabilizer`): the same canonical states are reached with fewer
    /// tuples built. Off: every tuple is built and canonicalized (for
    /// comparison; the states, transitions and verdicts are the same).
    public var stabilizerPruning = true
    /// For protocols that declare `SenderIgnoring`: loss patterns that
    /// differ only in senders a receiver ignores count as one, and ignored
    /// senders are left out of the memo of `receive`. The same states,
    /// transitions, verdicts and counterexamples; off, every loss pattern is
    /// stepped (for comparison).
    public var ignoredSenders = true
    /// Stop after the first faulty-set size at which some property fails.
    public var stopAtFirstViolation = false
    /// General omission (default) or crash-stop.
    public var faultModel: FaultModel = .generalOmission
    /// Worker threads; faulty sets of one size are searched in parallel.
    public var threads = 2
    /// Called now and then with a one-line progress report.
    public var progress: (@Sendable (String) -> Void)?
    /// Stop with the partial result once the process's resident memory
    /// exceeds this many bytes (nil: no budget).
    public var maxMemory: Int?
    /// Stop with the partial result once SIGINT arrived (after
    /// `ResourceGuard.installInterrupt()`).
    public var stopOnInterrupt = false
    /// Search only this shard's faulty sets (every K-th in search order);
    /// the result's `levels` and each violation's rank let `ShardMerge`
    /// combine the shards into the unsharded result.
    public var shard: Shard? = nil

    /// The defaults: every faulty set searched, no state canonicalization, general omission, two threads, no
    /// memory budget, no shard.
    public init() {}
}

/// A violation found by the search, as a run of the reference semantics.
public struct Violation: Sendable, Equatable {
    /// The name of the violated property.
    public var property: String
    /// The run's inputs, `inputs[i]` for `p_i`.
    public var inputs: [Int]
    /// The failure pattern of the (shrunk) run.
    public var pattern: FailurePattern
    /// The round after which the property fails in the shrunk run.
    public var afterRound: Int
    /// The failure pattern of the shortest path as the search found it.
    public var unshrunk: FailurePattern
    /// Where the search found it: the size of the faulty set, the length of
    /// the path (rounds + 1), and the faulty set's position in search order.
    /// The search reports the least (size, length, position) per property.
    public var rank: ViolationRank = ViolationRank(size: 0, length: 0, position: 0)

    /// A violation of `property` found after round `afterRound`; `rank` starts at (0, 0, 0) and is set by the
    /// search.
    @inlinable
    public init(property: String, inputs: [Int], pattern: FailurePattern, afterRound: Int, unshrunk: FailurePattern) {
        self.property = property
        self.inputs = inputs
        self.pattern = pattern
        self.afterRound = afterRound
        self.unshrunk = unshrunk
    }
}

/// The order in which violations of one property compete to be reported:
/// smallest faulty set, then shortest path, then search order.
public struct ViolationRank: Sendable, Equatable, Comparable {
    /// The size of the faulty set, |F|.
    public var size: Int
    /// The length of the path in global states: the rounds run + 1.
    public var length: Int
    /// The faulty set's position in the unsharded search order of `Explorer.faultySets()`.
    public var position: Int

    /// A rank from the faulty set's size, the path's length and the faulty set's position.
    public init(size: Int, length: Int, position: Int) {
        self.size = size
        self.length = length
        self.position = position
    }

    /// Lexicographic on (size, length, position): the lesser rank is the one reported.
    public static func < (a: ViolationRank, b: ViolationRank) -> Bool {
        (a.size, a.length, a.position) < (b.size, b.length, b.position)
    }
}

/// What the search did for the faulty sets of one size.
public struct LevelSummary: Sendable, Equatable {
    /// The size of the faulty sets, |F|.
    public var size: Int
    /// Faulty sets of this size searched (by this shard).
    public var faultySets: Int
    /// Distinct global states over these faulty sets, summed over rounds (initial included).
    public var states: Int
    /// Successor global states generated for these faulty sets (before deduplication).
    public var transitions: Int
    /// The largest layer among these faulty sets (distinct global states after one round, for one faulty set).
    public var largestLayer: Int
    /// Per property (in property order): witnessed at this size.
    public var witnessed: [Bool]
    /// The search stopped during this size (memory budget, interrupt).
    public var stopReason: String?

    /// A summary with every field given.
    public init(
        size: Int, faultySets: Int, states: Int, transitions: Int, largestLayer: Int, witnessed: [Bool],
        stopReason: String?
    ) {
        self.size = size
        self.faultySets = faultySets
        self.states = states
        self.transitions = transitions
        self.largestLayer = largestLayer
        self.witnessed = witnessed
        self.stopReason = stopReason
    }
}

/// The search's verdict on one property, with its counterexample when it is violated.
public struct PropertyVerdict: Sendable {
    /// The property's name, as the protocol declares it.
    public var name: String
    /// When the property is evaluated: always, at the horizon, or as a `sometimes` witness.
    public var kind: PropertyKind
    /// What the search concluded about the property.
    public var status: Verdict
    /// The shrunk counterexample when `status` is `violated`, else nil.
    public var violation: Violation?

    /// A verdict from its fields; `violation` is nil unless `status` is `violated`.
    @inlinable
    public init(name: String, kind: PropertyKind, status: Verdict, violation: Violation?) {
        self.name = name
        self.kind = kind
        self.status = status
        self.violation = violation
    }
}

/// The outcome of an exhaustive search.
public struct ExplorationResult: Sendable {
    /// One verdict per property, in the order of `Explorer.properties`.
    public var verdicts: [PropertyVerdict]
    /// Distinct global states, summed over faulty sets and rounds (initial included).
    public var states: Int
    /// Successor global states generated (before deduplication).
    public var transitions: Int
    /// The largest layer (distinct global states after one round, for one faulty set).
    public var largestLayer: Int
    /// Faulty sets searched (fewer than `faultySetsTotal` when the search stopped early).
    public var faultySetsExplored: Int
    /// Faulty sets in the search order of this shard (with symmetry, one representative per size).
    public var faultySetsTotal: Int
    /// False when the search stopped early (`stopAtFirstViolation`, memory
    /// budget, interrupt).
    public var complete: Bool
    /// Wall-clock time of the search, in seconds.
    public var seconds: Double
    /// Why the search stopped before it could decide every property (memory
    /// budget, interrupt), or nil. Properties it had not decided are `unknown`.
    public var stopReason: String? = nil
    /// Per faulty-set size searched, in order.
    public var levels: [LevelSummary] = []

    /// A result with no stop reason and no level summaries; the search sets `stopReason` and `levels` afterwards.
    @inlinable
    public init(
        verdicts: [PropertyVerdict], states: Int, transitions: Int, largestLayer: Int,
        faultySetsExplored: Int, faultySetsTotal: Int, complete: Bool, seconds: Double
    ) {
        self.verdicts = verdicts
        self.states = states
        self.transitions = transitions
        self.largestLayer = largestLayer
        self.faultySetsExplored = faultySetsExplored
        self.faultySetsTotal = faultySetsTotal
        self.complete = complete
        self.seconds = seconds
    }

    /// `violated` if some property is, else `unknown` if some property was
    /// left undecided (the search stopped early), else `holds`.
    public var verdict: Verdict { Verdict.combining(verdicts.map(\.status)) }
}

/// The explicit-state checker of DESIGN §4: exhaustive over every admissible
/// failure pattern for fixed inputs. Faulty sets are searched in increasing
/// size; for each, a breadth-first search by round over global states, where
/// the successors of a global state are the product, over receivers, of each
/// receiver's distinct next local states over its admissible inboxes.
///
/// Under general omission a faulty receiver may lose any incoming message and
/// may crash after any round; a correct receiver may lose only messages from
/// faulty senders. Crashing at round 1 needs no separate branch: it behaves,
/// for everybody else, as losing every round-1 message and crashing at round 2.
/// Under crash-stop, in each round some alive faulty processes crash, each
/// reaching an arbitrary subset of the others in that round.
public struct Explorer<P: RoundProtocol & Sendable>: Sendable where P.L == Concrete, P.State: Hashable {
    /// The protocol, at its n and t, over concrete values.
    public let proto: P
    /// The properties checked; each gets its own verdict and counterexample.
    public let properties: [Property<P>]
    /// The fixed inputs, `inputs[i]` for `p_i`: n values, none of them ⊥ (`Concrete.bottomValue`).
    public let inputs: [Int]
    /// How the search is run.
    public let options: ExplorerOptions

    /// A search of `proto` from `inputs`; nothing is checked or run until `run()`.
    public init(_ proto: P, properties: [Property<P>], inputs: [Int], options: ExplorerOptions = .init()) {
        self.proto = proto
        self.properties = properties
        self.inputs = inputs
        self.options = options
    }

    /// The largest n the explicit engine accepts.
    public static var maxProcesses: Int { 16 }

    /// The faulty sets in search order: by size, then lexicographically; with
    /// symmetry, one representative `{p0 … p(k-1)}` per size.
    public func faultySets() -> [[ProcessSet]] {
        let n = proto.n
        return (0...min(proto.t, n)).map { k in
            options.symmetry ? [ProcessSet(0..<k)] : ProcessSet.combinations(n: n, k: k)
        }
    }

    /// Runs the search.
    @inlinable
    public func run() throws(PalsError) -> ExplorationResult {
        let n = proto.n
        guard n >= 1 && n <= Explorer.maxProcesses else {
            throw PalsError(
                .invalidArgument,
                "the explicit engine handles 1 ≤ n ≤ \(Explorer.maxProcesses) (a faulty receiver has 2^(n-1) inboxes per round); use ⟪engine⟫ symbolic for n = \(n)"
            )
        }
        guard inputs.count == n else { throw PalsError(.invalidArgument, "expected \(n) inputs, got \(inputs.count)") }
        if inputs.contains(Concrete.bottomValue) {
            throw PalsError(.invalidArgument, "input \(Int.min) is reserved for ⊥")
        }
        if options.symmetry || options.canonicalStates {
            guard proto is any ProcessSymmetric else {
                throw PalsError(
                    .invalidArgument, "this protocol does not declare process symmetry; run without ⟪symmetry⟫")
            }
            guard Set(inputs).count == n else {
                throw PalsError(.invalidArgument, "symmetry reduction needs distinct inputs")
            }
        }
        let start = ContinuousClock.now
        // Each faulty set with its position in the unsharded search order;
        // a shard keeps its own.
        var position = 0
        let sizes: [[(set: ProcessSet, position: Int)]] = faultySets().map { sets in
            sets.compactMap { f in
                defer { position += 1 }
                return options.shard.map { $0.owns(position) } ?? true ? (f, position) : nil
            }
        }
        var records: [[FaultySetRecord]] = []
        var positions: [[Int]] = []
        var levels: [LevelSummary] = []
        var explored = 0
        var states = 0
        var transitions = 0
        var largest = 0
        var complete = true
        var stopReason: String?
        let total = sizes.reduce(0) { $0 + $1.count }
        for (k, level) in sizes.enumerated() {
            let sets = level.map(\.set)
            // A size with one faulty set (under symmetry, every size) gets
            // every thread within its rounds.
            let inner = sets.count == 1 ? options.threads : 1
            let results = Explorer.parallelMap(sets, threads: options.threads) { f in
                var search = FaultySetSearch(self, faulty: f, threads: inner)
                return search.run()
            }
            explored += sets.count
            for r in results {
                states += r.states
                transitions += r.transitions
                largest = max(largest, r.largestLayer)
            }
            records.append(results)
            positions.append(level.map(\.position))
            levels.append(
                LevelSummary(
                    size: k, faultySets: sets.count, states: results.reduce(0) { $0 + $1.states },
                    transitions: results.reduce(0) { $0 + $1.transitions },
                    largestLayer: results.map(\.largestLayer).max() ?? 0,
                    witnessed: properties.indices.map { pi in results.contains { $0.witnessed[pi] } },
                    stopReason: results.lazy.compactMap(\.stopReason).first))
            if let reason = results.lazy.compactMap(\.stopReason).first {
                stopReason = reason
                complete = false
                break
            }
            if let progress = options.progress {
                let secs = (ContinuousClock.now - start).seconds
                progress(
                    "|F| = \(k): \(sets.count) faulty set(s), \(states) states, \(transitions) transitions, \(String(format2: secs)) s"
                )
            }
            let anyViolation = results.contains { r in r.violationPaths.contains { $0 != nil } }
            if options.stopAtFirstViolation && anyViolation && k < sizes.count - 1 {
                complete = false
                break
            }
        }
        // The earliest violation of each property: smallest faulty set size,
        // then earliest round, then search order.
        var verdicts: [PropertyVerdict] = []
        for (pi, prop) in properties.enumerated() {
            var status: Verdict = prop.kind == .sometimes ? .notWitnessed : .holds
            var found: (record: FaultySetRecord, path: [[UInt32]], rank: ViolationRank)?
            outer: for (li, level) in records.enumerated() {
                for (ri, r) in level.enumerated() {
                    if prop.kind == .sometimes {
                        if r.witnessed[pi] {
                            status = .witnessed
                            break outer
                        }
                        continue
                    }
                    if let path = r.violationPaths[pi], path.count < found?.path.count ?? Int.max {
                        found = (r, path, ViolationRank(size: li, length: path.count, position: positions[li][ri]))
                    }
                }
                if found != nil { break }
            }
            var violation: Violation?
            if let found {
                status = .violated
                let raw = found.record.pattern(of: found.path, explorer: self)
                let shrunk = Shrinker.shrink(proto, prop, inputs: inputs, pattern: raw, model: options.faultModel)
                let after =
                    Shrinker.violates(proto, prop, inputs: inputs, pattern: shrunk, model: options.faultModel)
                    ?? found.path.count - 1
                violation = Violation(
                    property: prop.name, inputs: inputs, pattern: shrunk, afterRound: after, unshrunk: raw)
                violation?.rank = found.rank
            } else if !complete {
                status = .unknown
            }
            verdicts.append(PropertyVerdict(name: prop.name, kind: prop.kind, status: status, violation: violation))
        }
        var result = ExplorationResult(
            verdicts: verdicts, states: states, transitions: transitions, largestLayer: largest,
            faultySetsExplored: explored, faultySetsTotal: total, complete: complete,
            seconds: (ContinuousClock.now - start).seconds)
        result.stopReason = stopReason
        result.levels = levels
        return result
    }

    /// Runs `body` on every element on up to `threads` threads; results in input order.
    @inlinable
    static func parallelMap<T: Sendable, R: Sendable>(
        _ items: [T], threads: Int, _ body: @Sendable @escaping (T) -> R
    ) -> [R] {
        if threads <= 1 || items.count <= 1 { return items.map(body) }
        let box = ResultBox<R>(count: items.count)
        let workers = min(threads, items.count)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var i = w
            while i < items.count {
                box.set(i, body(items[i]))
                i += workers
            }
        }
        return box.values()
    }
}

/// Results written by worker threads at distinct indices.
@usableFromInline
final class ResultBox<R>: @unchecked Sendable {
    @usableFromInline var slots: [R?]
    @usableFromInline let lock = NSLockLite()
    @inlinable init(count: Int) { slots = Array(repeating: nil, count: count) }
    @inlinable func set(_ i: Int, _ v: R) {
        lock.withLock { slots[i] = v }
    }
    @inlinable func values() -> [R] {
        slots.map { slot in
            guard let slot else { preconditionFailure("Invalid state: a worker left its result unset") }
            return slot
        }
    }
}

/// A minimal mutex on top of Dispatch (the core avoids Foundation).
@usableFromInline
final class NSLockLite: @unchecked Sendable {
    @usableFromInline let semaphore = DispatchSemaphore(value: 1)
    @inlinable init() {}
    @inlinable func withLock<T>(_ body: () -> T) -> T {
        semaphore.wait()
        defer { semaphore.signal() }
        return body()
    }
}

extension Duration {
    @inlinable var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}

extension String {
    @usableFromInline init(format2 x: Double) {
        let scaled = (x * 100).rounded()
        let whole = Int(scaled) / 100
        let frac = abs(Int(scaled)) % 100
        self = "\(whole).\(frac < 10 ? "0" : "")\(frac)"
    }
}
