import PalsCore

/// One node of a product exploration: the global states of k runs of the
/// same protocol (different inputs) after the same failure pattern so far,
/// and the partition of the runs by what the faulty hosts have observed so
/// far (`classes[k]`: the class of run k, numbered by first occurrence).
public struct ProductNode<State: Hashable>: Hashable {
    /// `states[k][i]`: the state of `p_i` in run k.
    public var states: [[State]]
    /// `classes[k]`: the observation class of run k; runs in one class look the same to the faulty hosts so far.
    public var classes: [Int]

    /// A node from the runs' global states and their observation classes.
    @inlinable
    public init(states: [[State]], classes: [Int]) {
        self.states = states
        self.classes = classes
    }
}

/// The outcome of `ProductExplorer.maximize`.
public struct ProductResult: Sendable {
    /// The best score over every reachable node after the last round (0 when
    /// nothing scored higher).
    public var best: Int
    /// The failure pattern of a run that attains it (first found: smallest
    /// faulty set size, then search order), nil when `best` is 0.
    public var pattern: FailurePattern?
    /// The observation classes of the runs at that node.
    public var classes: [Int]
    /// Distinct product nodes, summed over faulty sets and rounds.
    public var states: Int
    /// Successor nodes generated (before deduplication).
    public var transitions: Int
    /// Faulty sets searched (by this shard).
    public var faultySets: Int
    /// Wall-clock time of the search, in seconds.
    public var seconds: Double
    /// The position, in the unsharded order of faulty sets, of the faulty
    /// set of `pattern` (nil when `best` is 0).
    public var bestPosition: Int? = nil
    /// Why the search stopped before it explored every faulty set (its
    /// memory budget, an interrupt), or nil. When set, `best` is the best of
    /// the faulty sets searched to the end: a lower bound.
    public var stopReason: String? = nil

    /// A result from its fields; `bestPosition` starts nil.
    public init(
        best: Int, pattern: FailurePattern?, classes: [Int], states: Int, transitions: Int, faultySets: Int,
        seconds: Double
    ) {
        self.best = best
        self.pattern = pattern
        self.classes = classes
        self.states = states
        self.transitions = transitions
        self.faultySets = faultySets
        self.seconds = seconds
    }
}

/// Explores k runs of one protocol at once, under one shared failure pattern
/// (DESIGN §3–4: the fake-round count ρ and the inputs of correct processes
/// as explicit inputs): every admissible pattern of general omission with at
/// most t faulty processes, as in `Explorer` — a faulty receiver may lose any
/// incoming message, a correct one only messages from faulty senders — with
/// the product of the runs as the search state, deduplicated on the tuple of
/// global states and the partition of the runs by observation.
///
/// Two uses: the exact worst-case probability over a random input (the runs
/// are the values of ρ; the score counts the runs that are unfair), and
/// noninterference (the runs differ in the correct processes' inputs; the
/// score says whether the faulty hosts' observations tell them apart).
///
/// Crashes are not explored separately: a crash at round r behaves, for
/// every other process and for every observer, like losing every message to
/// and from the process from round r on; it differs only in that the crashed
/// process never hands over a result, which cannot make a run less fair or
/// an observation more telling. The engine knows nothing of the protocol or
/// its properties: the runs, the observation and the score are parameters.
public struct ProductExplorer<P: RoundProtocol & Sendable>: Sendable where P.L == Concrete, P.State: Hashable {
    /// The protocol, at its n and t, over concrete values.
    public let proto: P
    /// The input vectors of the runs explored together when the faulty set
    /// is the argument.
    public let runs: @Sendable (ProcessSet) -> [[Int]]
    /// What the faulty hosts observe in one run in `round`, from every
    /// module's state before and after the round; nil: nothing is observed
    /// (every run stays in one class).
    public let observe:
        (@Sendable (_ faulty: ProcessSet, _ round: Int, _ before: [P.State], _ after: [P.State]) -> [Int])?
    /// Worker threads; faulty sets are searched in parallel.
    public let threads: Int
    /// Search only this shard's faulty sets (every K-th in order).
    public var shard: Shard? = nil
    /// Receives a line each time a faulty set is done: how many of how many,
    /// the states, resident memory and an estimate of the time left.
    public var progress: (@Sendable (String) -> Void)? = nil
    /// Stop once resident memory exceeds this many bytes; nil: no budget.
    public var maxMemory: Int? = nil
    /// Stop at the first SIGINT or SIGTERM (`ResourceGuard.installInterrupt()`).
    public var stopOnInterrupt = false

    /// An exploration of `proto` whose runs, for each faulty set, are `runs(faulty)`, and whose faulty hosts
    /// see `observe` (nil: the runs are never told apart); nothing runs until `maximize`.
    @inlinable
    public init(
        _ proto: P, threads: Int = 2, runs: @escaping @Sendable (ProcessSet) -> [[Int]],
        observe: (@Sendable (ProcessSet, Int, [P.State], [P.State]) -> [Int])? = nil
    ) {
        self.proto = proto
        self.threads = threads
        self.runs = runs
        self.observe = observe
    }

    /// The largest n this engine accepts.
    public static var maxProcesses: Int { 8 }

    /// The faulty sets, by size then lexicographically.
    public func faultySets() -> [ProcessSet] {
        (0...min(proto.t, proto.n)).flatMap { ProcessSet.combinations(n: proto.n, k: $0) }
    }

    /// Explores every faulty set and returns the highest `score` over the
    /// nodes reached after the last round, with a pattern that attains it.
    /// `score(faulty, inputs, node)` sees the inputs of every run.
    public func maximize(
        score: @escaping @Sendable (ProcessSet, [[Int]], ProductNode<P.State>) -> Int
    ) throws(PalsError) -> ProductResult {
        let n = proto.n
        guard n >= 1 && n <= Self.maxProcesses else {
            throw PalsError(.invalidArgument, "the product explorer handles 1 ≤ n ≤ \(Self.maxProcesses), got n = \(n)")
        }
        let start = ContinuousClock.now
        let all = faultySets()
        let positions = all.indices.filter { shard?.owns($0) ?? true }
        let sets = positions.map { all[$0] }
        for f in sets {
            let inputs = runs(f)
            guard !inputs.isEmpty, inputs.allSatisfy({ $0.count == n && !$0.contains(Concrete.bottomValue) }) else {
                throw PalsError(.invalidArgument, "every run needs \(n) inputs (none of them ⊥)")
            }
        }
        let done = DoneCounter()
        let results = Explorer<P>.parallelMap(sets, threads: threads) { f in
            let r = self.search(faulty: f, score: score)
            if let progress = self.progress {
                let (k, states) = done.add(r.states)
                let elapsed = (ContinuousClock.now - start).seconds
                let left = ResourceGuard.duration(elapsed / Double(k) * Double(sets.count - k))
                progress(
                    "\(k) of \(sets.count) faulty sets done (last F = \(f)), \(states) states, \(ResourceGuard.size(ResourceGuard.residentBytes())) resident, about \(left) left"
                )
            }
            return r
        }
        var best = ProductResult(
            best: 0, pattern: nil, classes: [], states: 0, transitions: 0, faultySets: sets.count, seconds: 0)
        best.stopReason = results.lazy.compactMap(\.stopReason).first
        for (k, r) in results.enumerated() {
            best.states += r.states
            best.transitions += r.transitions
            if r.stopReason == nil && r.best > best.best {
                best.best = r.best
                best.pattern = r.pattern
                best.classes = r.classes
                best.bestPosition = positions[k]
            }
        }
        best.seconds = (ContinuousClock.now - start).seconds
        return best
    }

    /// One layer of the search: the nodes, and for each its parent in the
    /// previous layer and the inbox chosen for every receiver.
    struct Layer {
        var nodes: [ProductNode<P.State>] = []
        var parent: [Int] = []
        var inboxes: [[UInt64]] = []
    }

    /// The search for one faulty set.
    func search(
        faulty: ProcessSet, score: @Sendable (ProcessSet, [[Int]], ProductNode<P.State>) -> Int
    ) -> ProductResult {
        let n = proto.n
        let inputs = runs(faulty)
        let k = inputs.count
        let all: UInt64 = n == 64 ? ~0 : (UInt64(1) << UInt64(n)) - 1
        var faultyMask: UInt64 = 0
        for i in 0..<n where faulty.contains(i) { faultyMask |= UInt64(1) << UInt64(i) }
        let initial = (0..<k).map { r in (0..<n).map { i in proto.initial(ProcessID(i), input: inputs[r][i]) } }
        var layers = [
            Layer(
                nodes: [ProductNode(states: initial, classes: Array(repeating: 0, count: k))], parent: [-1],
                inboxes: [[]])
        ]
        var states = 1
        var transitions = 0
        func stopped(_ reason: String) -> ProductResult {
            var r = ProductResult(
                best: 0, pattern: nil, classes: [], states: states, transitions: transitions, faultySets: 1, seconds: 0)
            r.stopReason = reason
            return r
        }
        // The budget and the interrupt are looked at when a faulty set
        // starts (one that starts after a stop ends at once) and then every
        // 2^14 units of work: a unit is one run's receive or one run's state
        // in a successor node, so that a family of thousands of runs, whose
        // one node is minutes of work, is looked at as often as a pair.
        var work = 0
        var nextLook = 0
        func look() -> String? {
            nextLook = work + (1 << 14)
            return ResourceGuard.stopReason(
                maxMemory: maxMemory, stopOnInterrupt: stopOnInterrupt, resident: ResourceGuard.residentBytes())
        }
        if let reason = look() { return stopped(reason) }
        // Per receiver, the inboxes (sets of senders that arrive) to try.
        let inboxChoices: [[UInt64]] = (0..<n).map { j in
            let me = UInt64(1) << UInt64(j)
            let droppable = (faulty.contains(j) ? all : faultyMask) & ~me
            // Every subset of the droppable senders, in increasing numeric
            // order of the dropped set (no drop first); the inbox is the
            // complement.
            var subsets: [UInt64] = []
            var s: UInt64 = 0
            repeat {
                subsets.append(all & ~s)
                s = (s &- droppable) & droppable
            } while s != 0
            return subsets
        }
        for round in stride(from: 1, through: proto.rounds, by: 1) {
            var next = Layer()
            var index: [ProductNode<P.State>: Int] = [:]
            let previous = layers[layers.count - 1]
            for (at, node) in previous.nodes.enumerated() {
                // messages[r][i][j]
                let messages = (0..<k).map { r in
                    (0..<n).map { i in
                        (0..<n).map { j in proto.message(node.states[r][i], round: round, to: ProcessID(j)) }
                    }
                }
                // Per receiver: distinct next local-state tuples, with an inbox that yields each.
                var options: [[(states: [P.State], inbox: UInt64)]] = []
                for j in 0..<n {
                    var seen: [[P.State]: Int] = [:]
                    var list: [(states: [P.State], inbox: UInt64)] = []
                    for inbox in inboxChoices[j] {
                        let tuple = (0..<k).map { r in
                            proto.receive(
                                node.states[r][j], round: round,
                                inbox: (0..<n).map { i in
                                    Delivery<P.Message, Concrete>(
                                        arrived: inbox & (UInt64(1) << UInt64(i)) != 0, message: messages[r][i][j])
                                })
                        }
                        if seen[tuple] == nil {
                            seen[tuple] = list.count
                            list.append((tuple, inbox))
                        }
                        work += k
                        if work >= nextLook, let reason = look() {
                            states += next.nodes.count
                            return stopped(reason)
                        }
                    }
                    options.append(list)
                }
                // The product over receivers.
                var choice = Array(repeating: 0, count: n)
                while true {
                    var after = node.states
                    for r in 0..<k {
                        for j in 0..<n { after[r][j] = options[j][choice[j]].states[r] }
                    }
                    var classes = node.classes
                    if let observe {
                        var keys: [[Int]] = []
                        var renumber: [Int] = []
                        for r in 0..<k {
                            let key = [node.classes[r]] + observe(faulty, round, node.states[r], after[r])
                            if let c = keys.firstIndex(of: key) {
                                renumber.append(c)
                            } else {
                                renumber.append(keys.count)
                                keys.append(key)
                            }
                        }
                        classes = renumber
                    }
                    let child = ProductNode(states: after, classes: classes)
                    transitions += 1
                    work += k
                    if work >= nextLook, let reason = look() {
                        states += next.nodes.count
                        return stopped(reason)
                    }
                    if index[child] == nil {
                        index[child] = next.nodes.count
                        next.nodes.append(child)
                        next.parent.append(at)
                        next.inboxes.append((0..<n).map { options[$0][choice[$0]].inbox })
                    }
                    // Advance the mixed-radix counter.
                    var d = 0
                    while d < n {
                        choice[d] += 1
                        if choice[d] < options[d].count { break }
                        choice[d] = 0
                        d += 1
                    }
                    if d == n { break }
                }
            }
            states += next.nodes.count
            layers.append(next)
        }
        // Score the horizon.
        let horizon = layers[layers.count - 1]
        var best = 0
        var bestAt = -1
        for (i, node) in horizon.nodes.enumerated() {
            let s = score(faulty, inputs, node)
            if s > best {
                best = s
                bestAt = i
            }
        }
        var pattern: FailurePattern?
        var classes: [Int] = []
        if bestAt >= 0 {
            classes = horizon.nodes[bestAt].classes
            var drops: [Link] = []
            var at = bestAt
            for r in stride(from: layers.count - 1, through: 1, by: -1) {
                let inbox = layers[r].inboxes[at]
                for j in 0..<n {
                    for i in 0..<n where i != j && inbox[j] & (UInt64(1) << UInt64(i)) == 0 {
                        drops.append(Link(round: r, from: i, to: j))
                    }
                }
                at = layers[r].parent[at]
            }
            drops.sort { ($0.round, $0.from, $0.to) < ($1.round, $1.from, $1.to) }
            pattern = FailurePattern(faulty: faulty, crashes: [], drops: drops)
        }
        return ProductResult(
            best: best, pattern: pattern, classes: classes, states: states, transitions: transitions, faultySets: 1,
            seconds: 0)
    }
}

extension ProductExplorer {
    /// The property context of run `k` of `node` after the last round (no
    /// crashes: every process decides what its state says).
    @inlinable
    public func horizonContext(run k: Int, of node: ProductNode<P.State>, inputs: [Int], faulty: ProcessSet)
        -> PropertyContext<P>
    {
        let n = proto.n
        return PropertyContext(
            round: proto.rounds, inputs: inputs, faulty: (0..<n).map { faulty.contains($0) },
            crashed: Array(repeating: false, count: n), states: node.states[k],
            decisions: node.states[k].map { proto.decision($0) })
    }
}

/// A fraction in lowest terms.
public struct Fraction: Equatable, Sendable, CustomStringConvertible {
    /// The numerator; it carries the sign.
    public let numerator: Int
    /// The denominator, always positive.
    public let denominator: Int

    /// `numerator/denominator` reduced to lowest terms.
    /// - Precondition: `denominator` > 0.
    public init(_ numerator: Int, _ denominator: Int) {
        precondition(denominator > 0, "denominator must be positive")
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? abs(a) : gcd(b, a % b) }
        let g = max(1, gcd(numerator, denominator))
        self.numerator = numerator / g
        self.denominator = denominator / g
    }

    /// "0", "1" or "a/b".
    public var description: String {
        numerator == 0 ? "0" : denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)"
    }
}

/// Faulty sets finished and states summed, shared by the worker threads.
final class DoneCounter: @unchecked Sendable {
    private let lock = NSLockLite()
    private var count = 0
    private var states = 0

    func add(_ s: Int) -> (count: Int, states: Int) {
        lock.withLock {
            count += 1
            states += s
            return (count, states)
        }
    }
}
