import CPalsPrefetch
import PalsCore

/// The id of a crashed local state; real local states have ids 1, 2, ….
@usableFromInline let crashedID: UInt32 = 0

extension Explorer {
    /// The global states of one round: each as `words` packed words (two
    /// 32-bit local-state ids per word), with the index of its first-found
    /// parent in the previous round's layer (breadth-first search only).
    @usableFromInline
    struct Layer {
        @usableFromInline var keys: [UInt64] = []
        @usableFromInline var parents: [UInt32] = []
        @usableFromInline var count = 0
        @usableFromInline init() {}
    }

    /// What one faulty set's search leaves behind: counts, its local-state
    /// table and, per property, the path (local-state ids after each round)
    /// to its first violation.
    @usableFromInline
    final class FaultySetRecord: @unchecked Sendable {
        @usableFromInline let faulty: ProcessSet
        @usableFromInline let localStates: [P.State]
        @usableFromInline let states: Int
        @usableFromInline let transitions: Int
        @usableFromInline let largestLayer: Int
        @usableFromInline let violationPaths: [[[UInt32]]?]
        @usableFromInline let witnessed: [Bool]
        /// Why the search stopped before exhausting this faulty set (memory
        /// budget, interrupt), or nil.
        @usableFromInline var stopReason: String? = nil

        @inlinable
        init(
            faulty: ProcessSet, localStates: [P.State], states: Int, transitions: Int, largestLayer: Int,
            violationPaths: [[[UInt32]]?], witnessed: [Bool]
        ) {
            self.faulty = faulty
            self.localStates = localStates
            self.states = states
            self.transitions = transitions
            self.largestLayer = largestLayer
            self.violationPaths = violationPaths
            self.witnessed = witnessed
        }

        /// The failure pattern of a path, recovered choice by choice: for each
        /// receiver, the first inbox (in search order) that yields the recorded
        /// state; a process that becomes crashed after round r crashes at r + 1.
        @inlinable
        func pattern(of path: [[UInt32]], explorer: Explorer) -> FailurePattern {
            let n = explorer.proto.n
            var crashes: [Crash] = []
            var drops: [Link] = []
            let stepper = Stepper(explorer: explorer, faulty: faulty)
            for r in Swift.stride(from: 1, to: path.count, by: 1) {
                let before = path[r - 1]
                let after = path[r]
                let parentStates = before.map { $0 == crashedID ? nil : localStates[Int($0) - 1] }
                var crashing = ProcessSet()
                for q in 0..<n where before[q] != crashedID && after[q] == crashedID {
                    crashes.append(Crash(process: q, round: r + 1))
                    crashing.insert(q)
                }
                for q in 0..<n where before[q] != crashedID && after[q] != crashedID {
                    let target = localStates[Int(after[q]) - 1]
                    let mask = stepper.findMask(
                        round: r, receiver: q, states: parentStates, crashing: crashing, target: target)
                    for p in mask { drops.append(Link(round: r, from: p, to: q)) }
                }
            }
            return FailurePattern(faulty: faulty, crashes: crashes, drops: drops)
        }
    }

    /// The transition relation of one round for one faulty set, per receiver.
    @usableFromInline
    struct Stepper {
        @usableFromInline let proto: P
        @usableFromInline let faulty: ProcessSet
        @usableFromInline let model: FaultModel
        @usableFromInline let n: Int
        @usableFromInline let initialStates: [P.State]
        /// The protocol's `SenderIgnoring.ignores` (nil when it declares
        /// none, or when `ExplorerOptions.ignoredSenders` is off).
        @usableFromInline let ignores: SenderFilter<P>?

        @inlinable
        init(explorer: Explorer, faulty: ProcessSet) {
            proto = explorer.proto
            self.faulty = faulty
            model = explorer.options.faultModel
            n = explorer.proto.n
            ignores = explorer.options.ignoredSenders ? SenderFilter(explorer.proto) : nil
            initialStates = (0..<explorer.proto.n).map {
                explorer.proto.initial(ProcessID($0), input: explorer.inputs[$0])
            }
        }

        /// Senders whose message to `q` may be lost, given the alive senders
        /// and (crash-stop) the processes crashing after this round.
        @inlinable @inline(__always)
        func droppable(receiver q: Int, alive: ProcessSet, crashing: ProcessSet) -> ProcessSet {
            var d: ProcessSet
            switch model {
            case .generalOmission: d = faulty.contains(q) ? alive : alive.intersection(faulty)
            case .crash: d = crashing.intersection(alive)
            }
            d.remove(q)
            return d
        }

        /// The first subset of droppable senders (in search order) after whose
        /// loss `q` reaches `target`.
        @inlinable
        func findMask(round: Int, receiver q: Int, states: [P.State?], crashing: ProcessSet, target: P.State)
            -> ProcessSet
        {
            var alive = ProcessSet()
            for j in 0..<n where states[j] != nil { alive.insert(j) }
            var inbox = (0..<n).map { j in
                Delivery<P.Message, Concrete>(
                    arrived: false,
                    message: proto.message(states[j] ?? initialStates[j], round: round, to: ProcessID(q)))
            }
            guard let own = states[q] else { preconditionFailure("Invalid state: p\(q) is crashed, not receiving") }
            for mask in droppable(receiver: q, alive: alive, crashing: crashing).subsets {
                for j in 0..<n { inbox[j].arrived = alive.contains(j) && !mask.contains(j) }
                if proto.receive(own, round: round, inbox: inbox) == target { return mask }
            }
            preconditionFailure("Invalid state: no inbox of p\(q) in round \(round) reaches the recorded state")
        }
    }

    /// The inbox each receiver was last given to `receive`, with the local
    /// states (ids) its messages were sent from and the round: the next
    /// inbox of that receiver rebuilds only the messages of senders whose
    /// state changed. Consecutive global states share most local states, so
    /// most messages are reused, and no inbox is allocated per expansion.
    /// Valid while an id names one local state, as within one faulty set's
    /// search.
    @usableFromInline
    struct InboxCache {
        /// `lists[q]`: receiver q's inbox (n deliveries); its `arrived`
        /// flags are whatever the last caller set.
        @usableFromInline var lists: [[Delivery<P.Message, Concrete>]] = []
        /// `sources[q * n + j]`: the id whose message to q is in
        /// `lists[q][j]`, `unknown` when none is.
        @usableFromInline var sources: [UInt32] = []
        /// `rounds[q]`: the round of the messages in `lists[q]`.
        @usableFromInline var rounds: [Int] = []
        @usableFromInline static var unknown: UInt32 { UInt32.max }

        @inlinable init() {}

        /// Makes `lists[q]` the inbox of receiver q in round `r` from the
        /// senders' local states `current` (crashed senders: their initial
        /// states' messages, which never arrive).
        @inlinable
        mutating func prepare(
            receiver q: Int, current: [UInt32], round r: Int, stepper: Stepper, state: (UInt32) -> P.State
        ) {
            let n = stepper.n
            if lists.count != n {
                let placeholder = (0..<n).map { j in
                    Delivery<P.Message, Concrete>(
                        arrived: false,
                        message: stepper.proto.message(stepper.initialStates[j], round: r, to: ProcessID(q)))
                }
                lists = Array(repeating: placeholder, count: n)
                sources = Array(repeating: InboxCache.unknown, count: n * n)
                rounds = Array(repeating: -1, count: n)
            }
            if rounds[q] != r {
                rounds[q] = r
                for j in 0..<n { sources[q * n + j] = InboxCache.unknown }
            }
            for j in 0..<n {
                let sid = current[j]
                if sources[q * n + j] == sid { continue }
                sources[q * n + j] = sid
                let sender = sid == crashedID ? stepper.initialStates[j] : state(sid)
                lists[q][j].message = stepper.proto.message(sender, round: r, to: ProcessID(q))
            }
        }
    }

    /// The memo of one round and the scratch space of `expand`.
    @usableFromInline
    struct ExpandScratch {
        @usableFromInline var memo: MemoTable
        @usableFromInline var masks: [UInt64] = []
        @usableFromInline var keys: [UInt64] = []
        @usableFromInline var hashes: [Int] = []
        /// `ignored[id]`: the senders the local state `id` ignores in round
        /// `ignoredRound[id]` (bit j for p_j), computed once per round.
        @usableFromInline var ignored: [UInt64] = []
        @usableFromInline var ignoredRound: [Int32] = []
        /// Each receiver's last inbox, kept from one expansion to the next.
        @usableFromInline var inboxes = InboxCache()

        @inlinable
        init(memo: MemoTable) { self.memo = memo }

        /// A memo for `n` processes (empty until reset) and room for every mask.
        @inlinable
        init(n: Int) {
            memo = MemoTable(n: n)
            let maxMasks = 1 << (n - 1)
            masks = [UInt64](repeating: 0, count: maxMasks + 1)
            keys = [UInt64](repeating: 0, count: (maxMasks + 1) * memo.words)
            hashes = [Int](repeating: 0, count: maxMasks + 1)
        }
    }

    /// The search for one faulty set: breadth-first by round when every
    /// property must be decided (shortest paths, exact counts), depth-first
    /// when the search may stop at the first violation.
    @usableFromInline
    struct FaultySetSearch {
        @usableFromInline let explorer: Explorer
        @usableFromInline let faulty: ProcessSet
        @usableFromInline let stepper: Stepper
        @usableFromInline let n: Int
        @usableFromInline let words: Int
        /// Capacity of one receiver's successor list: every inbox, plus a crash.
        @usableFromInline let stride: Int
        @usableFromInline var ids: [P.State: UInt32] = [:]
        @usableFromInline var localStates: [P.State] = []
        @usableFromInline var decisions: [Decision<Concrete>] = []
        @usableFromInline var firstViolation: [(layer: Int, index: Int)?]
        /// The kind of each of `explorer.properties`, in order.
        @usableFromInline let propertyKinds: [PropertyKind]
        @usableFromInline var witnessed: [Bool]
        /// Memoized `receive` results, one table per round.
        @usableFromInline var memos: [MemoTable]
        @usableFromInline var memoKey: [UInt64]
        /// Scratch space for one receiver's masks, memo keys and their hashes.
        @usableFromInline var maskScratch: [UInt64]
        @usableFromInline var keyScratch: [UInt64]
        @usableFromInline var hashScratch: [Int]
        @usableFromInline var ignoredScratch: [UInt64] = []
        /// The context `check` evaluates properties in, kept between calls
        /// with the local-state ids it holds (`checkIDs`; `UInt32.max` when
        /// not filled) and whether it holds decisions (`checkHorizon`): a
        /// global state is mostly its predecessor's neighbour, so only the
        /// processes whose ids changed are written.
        @usableFromInline var checkContext: PropertyContext<P>? = nil
        @usableFromInline var checkIDs: [UInt32] = []
        @usableFromInline var checkHorizon = false
        @usableFromInline let checkNone: Decision<Concrete>
        @usableFromInline var ignoredRoundScratch: [Int32] = []
        @usableFromInline var inboxScratch = InboxCache()
        @usableFromInline var states = 0
        @usableFromInline var transitions = 0
        @usableFromInline var nextProgress = 1 << 22
        /// Full symmetry reduction: the renamings that preserve the faulty
        /// set, the protocol's renaming of a local state, and the image of
        /// every local state under every renaming (`unknownImage` until
        /// computed), indexed `id * groupSize + g`.
        @usableFromInline let group: ProcessPermutations?
        @usableFromInline let renamer: LocalRenamer<P>?
        @usableFromInline let groupSize: Int
        @usableFromInline var images: [UInt32] = []
        /// `inverseFlat[g * n + q]`: the process the g-th renaming maps to q.
        @usableFromInline let inverseFlat: [Int32]
        /// `closedPrefixes[g]`: the positions q such that the g-th renaming
        /// maps `0 … q` onto itself (bit q).
        @usableFromInline let closedPrefixes: [UInt64]
        /// `firstBlocks[p]`: the renamings that map p to position 0, in
        /// order (empty when none does).
        @usableFromInline let firstBlocks: [[Int32]]
        /// Remember raw successors already canonicalized in a round (worth it
        /// when canonicalizing costs more than a probe of a large table).
        @inlinable var useRawCache: Bool { groupSize >= 100 }
        /// The raw successors one round remembers at most: beyond, new ones
        /// are canonicalized without being remembered, so the cache cannot
        /// take the memory the states need (about 24 bytes per entry at n ≤ 8).
        @usableFromInline static var rawCacheLimit: Int { 1 << 23 }
        @usableFromInline let unknownImage = UInt32.max
        /// Work done since the last look at the clock, memory and interrupt.
        @usableFromInline var ticks = 0
        /// Set when the memory budget is exceeded or the user interrupts.
        @usableFromInline var stopReason: String? = nil
        @usableFromInline var lastReport = ContinuousClock.now
        @usableFromInline var lastReportTicks = 0
        /// Where the breadth-first round stands, for the progress line: when
        /// it started, its parents, how many are expanded, the states found.
        @usableFromInline var roundStart = ContinuousClock.now
        @usableFromInline var roundParents = 0
        @usableFromInline var roundExpanded = 0
        @usableFromInline var roundStates = 0
        @usableFromInline var roundTicks = 0

        /// Threads for one round of the breadth-first search under
        /// symmetry (`runStaged`).
        @usableFromInline let threads: Int
        /// Parents per chunk and (about) tuples per task in `runStaged`; the
        /// result does not depend on them.
        @usableFromInline var chunkParents = 256
        @usableFromInline var taskTuples = 1 << 12

        @inlinable
        init(_ explorer: Explorer, faulty: ProcessSet, threads: Int = 1) {
            self.explorer = explorer
            self.faulty = faulty
            self.threads = threads
            stepper = Stepper(explorer: explorer, faulty: faulty)
            n = explorer.proto.n
            words = (explorer.proto.n + 1) / 2
            stride = (1 << (explorer.proto.n - 1)) + 1
            firstViolation = Array(repeating: nil, count: explorer.properties.count)
            propertyKinds = explorer.properties.map(\.kind)
            checkNone = Decision<Concrete>.none(explorer.proto.n)
            witnessed = Array(repeating: false, count: explorer.properties.count)
            let memo = MemoTable(n: explorer.proto.n)
            memos = Array(repeating: memo, count: explorer.proto.rounds + 1)
            memoKey = [UInt64](repeating: 0, count: memo.words)
            let maxMasks = 1 << (explorer.proto.n - 1)
            maskScratch = [UInt64](repeating: 0, count: maxMasks + 1)
            keyScratch = [UInt64](repeating: 0, count: (maxMasks + 1) * memo.words)
            hashScratch = [Int](repeating: 0, count: maxMasks + 1)
            if explorer.options.canonicalStates, let renamer = LocalRenamer(explorer.proto, inputs: explorer.inputs) {
                let group = ProcessPermutations(n: explorer.proto.n, faulty: faulty)
                self.group = group
                self.renamer = renamer
                groupSize = group.count
                images = [UInt32](repeating: unknownImage, count: groupSize)
                inverseFlat = group.inverses.flatMap { $0.map { Int32($0) } }
                closedPrefixes = Self.closedPrefixes(group, n: explorer.proto.n)
                firstBlocks = (0..<explorer.proto.n).map { p in
                    group.inverses.indices.filter { group.inverses[$0][0] == p }.map { Int32($0) }
                }
            } else {
                group = nil
                renamer = nil
                groupSize = 0
                inverseFlat = []
                closedPrefixes = []
                firstBlocks = []
            }
        }

        @inlinable
        mutating func intern(_ s: P.State) -> UInt32 {
            if let id = ids[s] { return id }
            localStates.append(s)
            decisions.append(explorer.proto.decision(s))
            let id = UInt32(localStates.count)
            ids[s] = id
            if groupSize > 0 { images.append(contentsOf: repeatElement(unknownImage, count: groupSize)) }
            return id
        }

        @inlinable
        static func id(_ key: UnsafeBufferPointer<UInt64>, _ q: Int) -> UInt32 {
            UInt32(truncatingIfNeeded: key[q / 2] >> UInt64(32 * (q % 2)))
        }

        @inlinable
        func unpack(_ key: UnsafeBufferPointer<UInt64>) -> [UInt32] {
            (0..<n).map { FaultySetSearch.id(key, $0) }
        }

        @inlinable
        mutating func reportProgress(round: Int) {
            guard states >= nextProgress, let progress = explorer.options.progress else { return }
            nextProgress = states * 2
            progress("F = \(faulty), round \(round): \(states) states, \(transitions) transitions so far")
        }

        /// Fills `succ[q * stride ..< q * stride + count[q]]` with the distinct
        /// next local states of each receiver q from the global state `current`
        /// in `round`, given the processes crashing after it (crash-stop).
        /// With `partitionFirst`, each list starts with the successor in which
        /// the faulty processes and the correct ones hear nothing from each
        /// other — the classic adversary, tried first by the depth-first search.
        @inlinable
        mutating func expand(
            _ current: [UInt32], round r: Int, crashing: ProcessSet, partitionFirst: Bool,
            succ: inout [UInt32], count succCount: inout [Int]
        ) {
            // The round's memo and the scratch buffers are moved into locals for
            // the duration of the call (no copies, no reference counting per probe).
            var scratch = ExpandScratch(memo: MemoTable(n: 0))
            swap(&scratch.memo, &memos[r])
            swap(&scratch.masks, &self.maskScratch)
            swap(&scratch.keys, &self.keyScratch)
            swap(&scratch.hashes, &self.hashScratch)
            swap(&scratch.ignored, &self.ignoredScratch)
            swap(&scratch.ignoredRound, &self.ignoredRoundScratch)
            swap(&scratch.inboxes, &self.inboxScratch)
            defer {
                swap(&scratch.memo, &memos[r])
                swap(&scratch.masks, &self.maskScratch)
                swap(&scratch.keys, &self.keyScratch)
                swap(&scratch.hashes, &self.hashScratch)
                swap(&scratch.ignored, &self.ignoredScratch)
                swap(&scratch.ignoredRound, &self.ignoredRoundScratch)
                swap(&scratch.inboxes, &self.inboxScratch)
            }
            _ = Self.expand(
                current, round: r, crashing: crashing, partitionFirst: partitionFirst, stepper: stepper,
                stride: stride, scratch: &scratch, succ: &succ, count: &succCount,
                state: { localStates[Int($0) - 1] }, resolve: { intern($0) })
        }

        /// `expand` over a given local-state table: `state(id)` is the local
        /// state of an id, `resolve(s)` the id of a new local state, or nil —
        /// then the expansion is abandoned and the result is false.
        @inlinable
        static func expand(
            _ current: [UInt32], round r: Int, crashing: ProcessSet, partitionFirst: Bool, stepper: Stepper,
            stride: Int, scratch: inout ExpandScratch, succ: inout [UInt32], count succCount: inout [Int],
            state: (UInt32) -> P.State, resolve: (P.State) -> UInt32?
        ) -> Bool {
            let proto = stepper.proto
            let n = stepper.n
            var alive = ProcessSet()
            for q in 0..<n where current[q] != crashedID { alive.insert(q) }
            let memoWords = scratch.memo.words
            for q in 0..<n {
                let base = q * stride
                guard alive.contains(q), !crashing.contains(q) else {
                    succ[base] = crashedID
                    succCount[q] = 1
                    continue
                }
                var count = 0
                var inboxReady = false
                // Senders q ignores this round: their loss is not a choice
                // (the same successor either way) and they are left out of
                // the memo key. Restricting the masks to the other senders
                // keeps the successors' order: the successor of a mask is
                // that of its restriction, which comes first in the order.
                let ignored =
                    stepper.ignores == nil
                    ? 0
                    : ignoredSenders(of: current[q], round: r, stepper: stepper, scratch: &scratch, state: state)
                        & ~(UInt64(1) << UInt64(q))
                let droppable = stepper.droppable(receiver: q, alive: alive, crashing: crashing).bits & ~ignored
                let otherSide = stepper.faulty.contains(q) ? ~stepper.faulty.bits : stepper.faulty.bits
                let partitioning = partitionFirst && stepper.model == .generalOmission
                let partition = droppable & otherSide
                // The partition mask first (if asked), then every mask in order.
                var masks = 0
                if partitioning {
                    scratch.masks[0] = partition
                    masks = 1
                }
                scratch.masks.withUnsafeMutableBufferPointer { ms in
                    var sub: UInt64 = 0
                    repeat {
                        if !(partitioning && sub == partition) {
                            ms[masks] = sub
                            masks += 1
                        }
                        sub = (sub &- droppable) & droppable
                    } while sub != 0
                }
                // The successor is a function of (q, the states of the senders
                // heard, q's own among them): memoized per round. All keys are
                // built and their slots prefetched first, so the probes overlap.
                // The key of the whole inbox (every sender heard and not
                // ignored, and q) is built once, in the last slot of the
                // scratch space; a mask's key is that key with the fields of
                // the senders it drops cleared, hashed as it is written.
                // Senders whose ids do not fit a field (`big`) make the keys
                // of the masks that keep them unmemoizable.
                let heard = alive.bits & ~ignored
                current.withUnsafeBufferPointer { ids in
                    scratch.keys.withUnsafeMutableBufferPointer { keys in
                        scratch.hashes.withUnsafeMutableBufferPointer { hashes in
                            let whole = keys.count - memoWords
                            for w in 0..<memoWords { keys[whole + w] = 0 }
                            var big: UInt64 = 0
                            for j in ProcessSet(bits: heard) {
                                let id = ids[j]
                                if id > MemoTable.maxID { big |= UInt64(1) << UInt64(j) }
                                let (w, shift) = MemoTable.field(j)
                                keys[whole + w] |= UInt64(id & 0xFFFF) << shift
                            }
                            let (qw, qshift) = MemoTable.field(n)
                            keys[whole + qw] |= UInt64(q + 1) << qshift
                            guard let k = keys.baseAddress, let hs = hashes.baseAddress else { return }
                            let wholeKey = k + whole
                            scratch.masks.withUnsafeBufferPointer { ms in
                                for m in 0..<masks {
                                    let dropped = ms[m] & heard
                                    let key = k + m &* memoWords
                                    var h = KeyTable.hashSeed
                                    for w in 0..<memoWords {
                                        let word = wholeKey[w] & ~MemoTable.fields(dropped &>> UInt64(4 &* w))
                                        key[w] = word
                                        h = KeyTable.hashStep(h, word)
                                    }
                                    hs[m] = big & ~dropped == 0 ? KeyTable.hashFinish(h) : -1
                                }
                            }
                        }
                    }
                }
                scratch.memo.prefetch(hashes: scratch.hashes, count: masks)
                for m in 0..<masks {
                    let arrived = ProcessSet(bits: alive.bits & ~scratch.masks[m])
                    let kb = m * memoWords
                    let memoizable = scratch.hashes[m] != -1
                    var id = MemoTable.missing
                    if memoizable {
                        id = scratch.keys.withUnsafeBufferPointer {
                            scratch.memo.find(
                                UnsafeBufferPointer(rebasing: $0[kb..<(kb + memoWords)]), hash: scratch.hashes[m])
                        }
                    }
                    if id == MemoTable.missing {
                        if !inboxReady {
                            scratch.inboxes.prepare(
                                receiver: q, current: current, round: r, stepper: stepper, state: state)
                            inboxReady = true
                        }
                        scratch.inboxes.lists[q].withUnsafeMutableBufferPointer { list in
                            for j in 0..<n { list[j].arrived = arrived.contains(j) }
                        }
                        guard
                            let resolved = resolve(
                                proto.receive(state(current[q]), round: r, inbox: scratch.inboxes.lists[q]))
                        else {
                            return false
                        }
                        id = resolved
                        if memoizable && id <= MemoTable.maxID {
                            scratch.keys.withUnsafeBufferPointer {
                                scratch.memo.insert(UnsafeBufferPointer(rebasing: $0[kb..<(kb + memoWords)]), value: id)
                            }
                        }
                    }
                    var seen = false
                    for k in 0..<count where succ[base + k] == id {
                        seen = true
                        break
                    }
                    if !seen {
                        succ[base + count] = id
                        count += 1
                    }
                }
                if stepper.model == .generalOmission && stepper.faulty.contains(q) {
                    succ[base + count] = crashedID
                    count += 1
                }
                succCount[q] = count
            }
            return true
        }

        /// The senders local state `id` ignores in round `r` (bit j for p_j),
        /// from the scratch space's cache or asked of the protocol once.
        @inlinable @inline(__always)
        static func ignoredSenders(
            of id: UInt32, round r: Int, stepper: Stepper, scratch: inout ExpandScratch, state: (UInt32) -> P.State
        ) -> UInt64 {
            let i = Int(id)
            if i < scratch.ignoredRound.count && scratch.ignoredRound[i] == Int32(r) { return scratch.ignored[i] }
            if i >= scratch.ignoredRound.count {
                let grown = max(i + 1, 2 * scratch.ignoredRound.count)
                scratch.ignored.append(contentsOf: repeatElement(0, count: grown - scratch.ignored.count))
                scratch.ignoredRound.append(contentsOf: repeatElement(-1, count: grown - scratch.ignoredRound.count))
            }
            var bits: UInt64 = 0
            if let ignores = stepper.ignores {
                let s = state(id)
                for j in 0..<stepper.n where ignores.ignores(s, r, j) { bits |= UInt64(1) << UInt64(j) }
            }
            scratch.ignored[i] = bits
            scratch.ignoredRound[i] = Int32(r)
            return bits
        }

        /// Evaluates the properties due after `round` on one new global state.
        @inlinable
        mutating func check(_ key: UnsafeBufferPointer<UInt64>, round: Int, index: Int, horizon: Bool) {
            // Kinds come from their own array and predicates are called in
            // place: copying a `Property` out of the array would count
            // references to its strings and closure, per property and state.
            var due = false
            for k in 0..<propertyKinds.count {
                switch propertyKinds[k] {
                case .always: if firstViolation[k] == nil { due = true }
                case .atHorizon: if horizon && firstViolation[k] == nil { due = true }
                case .sometimes: if horizon && !witnessed[k] { due = true }
                }
            }
            if !due { return }
            var context: PropertyContext<P>
            if let kept = checkContext {
                context = kept
                // The only reference from here on: written in place.
                checkContext = nil
            } else {
                context = PropertyContext<P>(
                    round: round, inputs: explorer.inputs, faulty: (0..<n).map { faulty.contains($0) },
                    crashed: Array(repeating: true, count: n), states: stepper.initialStates,
                    decisions: Array(repeating: checkNone, count: n))
                checkIDs = Array(repeating: UInt32.max, count: n)
            }
            if checkHorizon != horizon {
                checkHorizon = horizon
                for q in 0..<n { checkIDs[q] = UInt32.max }
            }
            context.round = round
            for q in 0..<n {
                let id = FaultySetSearch.id(key, q)
                if id == checkIDs[q] { continue }
                checkIDs[q] = id
                if id == crashedID {
                    context.states[q] = stepper.initialStates[q]
                    context.crashed[q] = true
                    context.decisions[q] = checkNone
                } else {
                    context.states[q] = localStates[Int(id) - 1]
                    context.crashed[q] = false
                    context.decisions[q] = horizon ? decisions[Int(id) - 1] : checkNone
                }
            }
            defer { checkContext = context }
            let proto = explorer.proto
            let props = explorer.properties
            for k in 0..<propertyKinds.count {
                switch propertyKinds[k] {
                case .always, .atHorizon:
                    if firstViolation[k] == nil && (propertyKinds[k] == .always || horizon)
                        && !props[k].holds(proto, context)
                    {
                        firstViolation[k] = (round, index)
                    }
                case .sometimes:
                    if horizon && !witnessed[k] && props[k].holds(proto, context) { witnessed[k] = true }
                }
            }
        }

        /// Every property is decided: each safety property violated, each
        /// witness seen. Nothing more to learn from this faulty set.
        @inlinable
        var allResolved: Bool {
            for (k, p) in explorer.properties.enumerated() {
                if p.kind == .sometimes ? !witnessed[k] : firstViolation[k] == nil { return false }
            }
            return true
        }

        /// Counts `units` of work (one successor each); every 2^16 units,
        /// looks at the resources.
        @inlinable
        mutating func tick(round: Int, units: Int = 1) {
            let before = ticks
            ticks &+= units
            if before >> 16 != ticks >> 16 { pollResources(round: round) }
        }

        /// Stops the search when the memory budget is exceeded or the user
        /// interrupted it; reports progress every two seconds.
        @usableFromInline
        mutating func pollResources(round: Int) {
            let resident = ResourceGuard.residentBytes()
            if let reason = ResourceGuard.stopReason(explorer.options, resident: resident) {
                stopReason = reason
                return
            }
            let now = ContinuousClock.now
            let elapsed = (now - lastReport).seconds
            guard elapsed >= 1, let progress = explorer.options.progress else { return }
            let rate = Double(ticks - lastReportTicks) / elapsed
            lastReport = now
            lastReportTicks = ticks
            if roundParents > 0 {
                progress(
                    roundProgressLine(
                        faulty: faulty, round: round, rounds: explorer.proto.rounds, expanded: roundExpanded,
                        parents: roundParents, newStates: roundStates, successors: ticks - roundTicks, rate: rate,
                        resident: resident, elapsed: (now - roundStart).seconds, earlier: states))
            } else {
                progress(
                    "F = \(faulty), round \(round)/\(explorer.proto.rounds): \(states) states in earlier rounds, \(ticks) successors generated (\(Int(rate))/s), \(ResourceGuard.size(resident)) resident"
                )
            }
        }

        @inlinable
        var shouldStop: Bool {
            stopReason != nil || allResolved
                || (explorer.options.stopAtFirstViolation && firstViolation.contains { $0 != nil })
        }

        /// The initial global state, packed.
        @inlinable
        mutating func initialKey() -> [UInt64] {
            var key = [UInt64](repeating: 0, count: words)
            for q in 0..<n {
                let id = intern(stepper.initialStates[q])
                key[q / 2] |= UInt64(id) << UInt64(32 * (q % 2))
            }
            return key
        }

        @inlinable
        mutating func run() -> FaultySetRecord {
            explorer.options.stopAtFirstViolation ? runDepthFirst() : group != nil ? runStaged() : runBreadthFirst()
        }

        /// Inserts the batch's keys into the round's table in order, checking
        /// each new state (see `flush`); empties the batch.
        @inlinable
        mutating func insert(
            _ batch: inout KeyBatch, table: inout KeyTable, into next: inout Layer, parent: UInt32, round r: Int,
            horizon: Bool
        ) {
            Self.flush(&batch, table: &table, into: &next, parent: parent) { key, index in
                check(key, round: r, index: index, horizon: horizon)
            }
        }

        /// Breadth-first, round by round, without symmetry reduction (under it,
        /// `runStaged`): the first violation of each property is at the
        /// earliest round; every layer is complete.
        @inlinable
        mutating func runBreadthFirst() -> FaultySetRecord {
            let rounds = explorer.proto.rounds
            let model = explorer.options.faultModel
            var table = KeyTable(words: words)
            let key = initialKey()
            var layer0 = Layer()
            layer0.keys = key
            layer0.parents = [0]
            layer0.count = 1
            key.withUnsafeBufferPointer { check($0, round: 0, index: 0, horizon: rounds == 0) }
            var layers = [layer0]
            states = 1
            var largest = 1
            var succ = [UInt32](repeating: 0, count: n * stride)
            var succCount = [Int](repeating: 0, count: n)
            var current = [UInt32](repeating: 0, count: n)
            var signatures = SignatureSet()
            var signature: [UInt32] = []
            var digit = [Int](repeating: 0, count: n)
            var batch = KeyBatch(words: words)
            // The expansion's scratch space and the stepper live in locals for
            // the whole search, the round's memo in the scratch space for
            // the round: nothing is copied or swapped per expansion.
            var scratch = ExpandScratch(memo: MemoTable(n: n))
            swap(&scratch.masks, &maskScratch)
            swap(&scratch.keys, &keyScratch)
            swap(&scratch.hashes, &hashScratch)
            defer {
                // Back where `expand` looks for them after the search.
                swap(&scratch.masks, &maskScratch)
                swap(&scratch.keys, &keyScratch)
                swap(&scratch.hashes, &hashScratch)
            }
            let stepper = self.stepper
            var r = 1
            while r <= rounds && !shouldStop {
                let previous = layers[r - 1]
                table.reset(expected: previous.count * 4)
                scratch.memo.reset(expected: previous.count)
                signatures.reset(expected: previous.count)
                var next = Layer()
                let horizon = r == rounds
                roundStart = ContinuousClock.now
                roundParents = previous.count
                roundTicks = ticks
                for s in 0..<previous.count {
                    if stopReason != nil { break }
                    roundExpanded = s
                    roundStates = next.count
                    var alive = ProcessSet()
                    for q in 0..<n {
                        current[q] = UInt32(
                            truncatingIfNeeded: previous.keys[s * words + q / 2] >> UInt64(32 * (q % 2)))
                        if current[q] != crashedID { alive.insert(q) }
                    }
                    // Crash-stop: every subset of the alive faulty processes may
                    // crash after this round. General omission: crashes are
                    // successors of single receivers (see `expand`).
                    let crashPool = model == .crash ? alive.intersection(faulty).bits : 0
                    var crashBits: UInt64 = 0
                    repeat {
                        let crashing = ProcessSet(bits: crashBits)
                        crashBits = (crashBits &- crashPool) & crashPool
                        _ = Self.expand(
                            current, round: r, crashing: crashing, partitionFirst: false, stepper: stepper,
                            stride: stride, scratch: &scratch, succ: &succ, count: &succCount,
                            state: { localStates[Int($0) - 1] }, resolve: { intern($0) })
                        var product = 1
                        for q in 0..<n { product *= succCount[q] }
                        transitions += product
                        // Equal successor lists give an equal product: enumerate
                        // each distinct one once per round.
                        signature.removeAll(keepingCapacity: true)
                        for q in 0..<n {
                            signature.append(UInt32(succCount[q]))
                            for k in 0..<succCount[q] { signature.append(succ[q * stride + k]) }
                        }
                        if !signature.withUnsafeBufferPointer({ signatures.insert($0) }) { continue }
                        // Nothing fixes a parent: every tuple of the product is
                        // a successor, taken a batch at a time.
                        for q in 0..<n { digit[q] = 0 }
                        var exhausted = false
                        while !exhausted {
                            exhausted = batch.fillProduct(
                                digits: &digit, counts: succCount, succ: succ, stride: stride, n: n, table: table)
                            let units = batch.count
                            insert(&batch, table: &table, into: &next, parent: UInt32(s), round: r, horizon: horizon)
                            // One parent may have millions of successor tuples:
                            // a stop must not wait for the last of them.
                            tick(round: r, units: units)
                            if stopReason != nil { break }
                        }
                    } while crashBits != 0 && stopReason == nil
                }
                states += next.count
                largest = max(largest, next.count)
                layers.append(next)
                scratch.memo = MemoTable(n: n)
                reportProgress(round: r)
                r += 1
            }
            return record(layers: layers, largest: largest)
        }

        /// The record of a breadth-first search that left `layers`: the
        /// paths to the first violations by parent links, mapped back to
        /// concrete runs under symmetry.
        @inlinable
        mutating func record(layers: [Layer], largest: Int) -> FaultySetRecord {
            // Paths to the first violations, by parent links.
            let canonicalPaths: [[[UInt32]]?] = firstViolation.map { v in
                guard let v else { return nil }
                var path: [[UInt32]] = []
                var index = v.index
                for l in Swift.stride(from: v.layer, through: 0, by: -1) {
                    path.append(
                        layers[l].keys.withUnsafeBufferPointer { buf in
                            unpack(UnsafeBufferPointer(rebasing: buf[(index * words)..<(index * words + words)]))
                        })
                    index = Int(layers[l].parents[index])
                }
                return path.reversed()
            }
            var paths: [[[UInt32]]?] = []
            for p in canonicalPaths { paths.append(p.map { concretize($0) }) }
            let record = FaultySetRecord(
                faulty: faulty, localStates: localStates, states: states, transitions: transitions,
                largestLayer: largest, violationPaths: paths, witnessed: witnessed)
            record.stopReason = stopReason
            return record
        }

        /// One level of the depth-first search: a global state, the successor
        /// lists of its receivers, and where the enumeration of their product
        /// (and, under crash-stop, of the crash choices) stands.
        @usableFromInline
        struct Frame {
            @usableFromInline var ids: [UInt32]
            @usableFromInline var round: Int
            @usableFromInline var crashPool: UInt64
            @usableFromInline var crashBits: UInt64 = 0
            @usableFromInline var crashesLeft = true
            @usableFromInline var active = false
            @usableFromInline var succ: [UInt32]
            @usableFromInline var counts: [Int]
            @usableFromInline var digits: [Int]
            @usableFromInline var stabilizer: Stabilizer

            @inlinable
            init(ids: [UInt32], round: Int, crashPool: UInt64, n: Int, stride: Int) {
                self.ids = ids
                self.round = round
                self.crashPool = crashPool
                succ = [UInt32](repeating: 0, count: n * stride)
                counts = [Int](repeating: 0, count: n)
                digits = [Int](repeating: 0, count: n)
                stabilizer = Stabilizer(n: n)
            }
        }

        /// Depth-first with one visited set per round; stops at the first
        /// violation. Exhaustive (like the breadth-first search) when nothing
        /// is violated.
        @inlinable
        mutating func runDepthFirst() -> FaultySetRecord {
            let rounds = explorer.proto.rounds
            let model = explorer.options.faultModel
            var tables = (0...rounds).map { _ in KeyTable(words: words) }
            var rawTables = (0...rounds).map { _ in KeyTable(words: words) }
            var rawSeen = (0...rounds).map { _ in Layer() }
            var visited = (0...rounds).map { _ in Layer() }
            var signatures = (0...rounds).map { _ in SignatureSet() }
            for r in 0...rounds {
                tables[r].reset(expected: 1024)
                if useRawCache { rawTables[r].reset(expected: 1024) }
                signatures[r].reset(expected: 1024)
                memos[r].reset(expected: 1024)
            }
            var paths: [[[UInt32]]?] = Array(repeating: nil, count: explorer.properties.count)
            func recordPaths(_ stack: [Frame], _ last: [UInt32]?) {
                for k in paths.indices where paths[k] == nil && firstViolation[k] != nil {
                    paths[k] = stack.map(\.ids) + (last.map { [$0] } ?? [])
                }
            }
            var key = initialKey()
            let rootIDs = key.withUnsafeBufferPointer { unpack($0) }
            _ = key.withUnsafeBufferPointer { tables[0].insert($0, parent: 0, into: &visited[0]) }
            key.withUnsafeBufferPointer { check($0, round: 0, index: 0, horizon: rounds == 0) }
            states = 1
            var stack: [Frame] = []
            if rounds > 0 {
                stack.append(
                    Frame(ids: rootIDs, round: 0, crashPool: model == .crash ? faulty.bits : 0, n: n, stride: stride))
            }
            recordPaths([], rootIDs)
            var signature: [UInt32] = []
            var canonIDs = [UInt32](repeating: 0, count: n)
            search: while !stack.isEmpty && !shouldStop {
                let top = stack.count - 1
                let r = stack[top].round + 1
                if !stack[top].active {
                    guard stack[top].crashesLeft else {
                        stack.removeLast()
                        continue
                    }
                    let crashing = ProcessSet(bits: stack[top].crashBits)
                    stack[top].crashBits = (stack[top].crashBits &- stack[top].crashPool) & stack[top].crashPool
                    stack[top].crashesLeft = stack[top].crashBits != 0
                    let ids = stack[top].ids
                    var frameSucc: [UInt32] = []
                    var frameCounts: [Int] = []
                    swap(&frameSucc, &stack[top].succ)
                    swap(&frameCounts, &stack[top].counts)
                    expand(
                        ids, round: r, crashing: crashing, partitionFirst: true, succ: &frameSucc, count: &frameCounts)
                    swap(&frameSucc, &stack[top].succ)
                    swap(&frameCounts, &stack[top].counts)
                    var product = 1
                    for q in 0..<n { product *= stack[top].counts[q] }
                    transitions += product
                    signature.removeAll(keepingCapacity: true)
                    for q in 0..<n {
                        signature.append(UInt32(stack[top].counts[q]))
                        for k in 0..<stack[top].counts[q] { signature.append(stack[top].succ[q * stride + k]) }
                    }
                    if !signature.withUnsafeBufferPointer({ signatures[r].insert($0) }) { continue }
                    var stabilizer = Stabilizer(n: 0)
                    swap(&stabilizer, &stack[top].stabilizer)
                    self.stabilizer(of: ids, crashing: crashing, into: &stabilizer)
                    var digits: [Int] = []
                    swap(&digits, &stack[top].digits)
                    let any = nextTuple(
                        &digits, first: true, counts: stack[top].counts, succ: stack[top].succ, stabilizer: stabilizer)
                    swap(&digits, &stack[top].digits)
                    swap(&stabilizer, &stack[top].stabilizer)
                    guard any else { continue }
                    stack[top].active = true
                }
                // The next element of the product.
                for w in 0..<words { key[w] = 0 }
                for q in 0..<n {
                    key[q / 2] |= UInt64(stack[top].succ[q * stride + stack[top].digits[q]]) << UInt64(32 * (q % 2))
                }
                // Under symmetry, a successor seen before in this round was
                // canonicalized and visited then.
                var fresh = true
                if group != nil {
                    if useRawCache && rawSeen[r].count < Self.rawCacheLimit {
                        fresh = key.withUnsafeBufferPointer { rawTables[r].insert($0, parent: 0, into: &rawSeen[r]) }.1
                    }
                    if fresh {
                        for q in 0..<n { canonIDs[q] = stack[top].succ[q * stride + stack[top].digits[q]] }
                        canonicalize(&canonIDs)
                        for w in 0..<words { key[w] = 0 }
                        for q in 0..<n { key[q / 2] |= UInt64(canonIDs[q]) << UInt64(32 * (q % 2)) }
                    }
                }
                var digits: [Int] = []
                swap(&digits, &stack[top].digits)
                let more = nextTuple(
                    &digits, first: false, counts: stack[top].counts, succ: stack[top].succ,
                    stabilizer: stack[top].stabilizer)
                swap(&digits, &stack[top].digits)
                if !more { stack[top].active = false }
                tick(round: r)
                guard fresh else { continue }
                let (index, inserted) = key.withUnsafeBufferPointer {
                    tables[r].insert($0, parent: 0, into: &visited[r])
                }
                guard inserted else { continue }
                states += 1
                let child = key.withUnsafeBufferPointer { unpack($0) }
                key.withUnsafeBufferPointer { check($0, round: r, index: index, horizon: r == rounds) }
                recordPaths(stack, child)
                if shouldStop { break search }
                reportProgress(round: r)
                if r < rounds {
                    var pool: UInt64 = 0
                    if model == .crash {
                        for p in faulty where child[p] != crashedID { pool |= UInt64(1) << UInt64(p) }
                    }
                    stack.append(Frame(ids: child, round: r, crashPool: pool, n: n, stride: stride))
                }
            }
            let largest = visited.map(\.count).max() ?? 1
            for k in paths.indices { paths[k] = paths[k].map { concretize($0) } }
            let record = FaultySetRecord(
                faulty: faulty, localStates: localStates, states: states, transitions: transitions,
                largestLayer: largest, violationPaths: paths, witnessed: witnessed)
            record.stopReason = stopReason
            return record
        }
    }
}

/// Keys waiting to be inserted into a `KeyTable`, with their hashes; the
/// slot of each is prefetched when it is added, so the probes of a batch
/// overlap their cache misses.
@usableFromInline
struct KeyBatch {
    @usableFromInline static let capacity = 16
    @usableFromInline let words: Int
    @usableFromInline var keys: [UInt64]
    @usableFromInline var hashes: [Int]
    @usableFromInline var count = 0

    @inlinable
    init(words: Int) {
        self.words = words
        keys = [UInt64](repeating: 0, count: KeyBatch.capacity * words)
        hashes = [Int](repeating: 0, count: KeyBatch.capacity)
    }

    @inlinable var isFull: Bool { count == KeyBatch.capacity }

    /// Fills the (empty) batch with the next tuples of the product of the
    /// successor lists `succ[q * stride ..< q * stride + counts[q]]`, from
    /// `digits` on, in odometer order (the last receiver fastest), each packed
    /// as a key; advances `digits`. True when the product is exhausted.
    @inlinable
    mutating func fillProduct(
        digits: inout [Int], counts: [Int], succ: [UInt32], stride: Int, n: Int, table: KeyTable
    ) -> Bool {
        let words = self.words
        let capacity = KeyBatch.capacity
        var filled = 0
        var exhausted = false
        keys.withUnsafeMutableBufferPointer { keys in
            hashes.withUnsafeMutableBufferPointer { hashes in
                digits.withUnsafeMutableBufferPointer { digits in
                    counts.withUnsafeBufferPointer { counts in
                        succ.withUnsafeBufferPointer { succ in
                            table.slots.withUnsafeBufferPointer { slots in
                                let mask = table.mask
                                while filled < capacity {
                                    let base = filled * words
                                    for w in 0..<words { keys[base + w] = 0 }
                                    for q in 0..<n {
                                        keys[base + (q >> 1)] |=
                                            UInt64(succ[q * stride + digits[q]]) << UInt64(32 * (q & 1))
                                    }
                                    let h = KeyTable.hash(UnsafeBufferPointer(rebasing: keys[base..<(base + words)]))
                                    hashes[filled] = h
                                    if let slotBase = slots.baseAddress { pals_prefetch(slotBase + (h & mask)) }
                                    filled += 1
                                    var q = n - 1
                                    while true {
                                        digits[q] += 1
                                        if digits[q] < counts[q] { break }
                                        digits[q] = 0
                                        if q == 0 {
                                            exhausted = true
                                            return
                                        }
                                        q -= 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        count = filled
        return exhausted
    }

    @inlinable
    mutating func add(_ key: UnsafeBufferPointer<UInt64>, table: KeyTable) {
        add(key, hash: KeyTable.hash(key), table: table)
    }

    /// `add` of a key whose `KeyTable.hash` is `h`.
    @inlinable
    mutating func add(_ key: UnsafeBufferPointer<UInt64>, hash h: Int, table: KeyTable) {
        for w in 0..<words { keys[count * words + w] = key[w] }
        hashes[count] = h
        count += 1
        table.prefetch(hash: h)
    }
}

/// An open-addressing hash set of fixed-width keys that appends new keys to
/// a `Layer` and remembers their index. A slot holds the upper 32 bits of
/// the key's hash beside the index + 1, so a probe reads the stored key (a
/// second cache miss) only when those bits match.
@usableFromInline
struct KeyTable {
    @usableFromInline let words: Int
    @usableFromInline var slots: [UInt64] = []
    @usableFromInline var mask = 0

    @inlinable init(words: Int) { self.words = words }

    @inlinable
    mutating func reset(expected: Int) {
        var cap = 1024
        while cap < expected * 2 { cap <<= 1 }
        slots = [UInt64](repeating: 0, count: cap)
        mask = cap - 1
    }

    @inlinable
    static func hash(_ key: UnsafeBufferPointer<UInt64>) -> Int {
        var h = hashSeed
        for w in key { h = hashStep(h, w) }
        return hashFinish(h)
    }

    /// `hash` a word at a time: start from `hashSeed`, mix in each word with
    /// `hashStep`, end with `hashFinish`.
    @inlinable static var hashSeed: UInt64 { 0x243F_6A88_85A3_08D3 }

    @inlinable @inline(__always)
    static func hashStep(_ h: UInt64, _ w: UInt64) -> UInt64 {
        let x = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
        return x ^ (x &>> 31)
    }

    /// The final avalanche, so that the low bits used for the slot depend on every bit.
    @inlinable @inline(__always)
    static func hashFinish(_ h: UInt64) -> Int {
        var h = h ^ (h &>> 33)
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h &>> 33
        return Int(truncatingIfNeeded: h)
    }

    /// Starts loading the slot where a key with hash `hash` would be probed first.
    @inlinable
    func prefetch(hash: Int) {
        let i = hash & mask
        slots.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { pals_prefetch(base + i) }
        }
    }

    /// Inserts `key`; returns its index in `layer` and whether it is new.
    @inlinable
    mutating func insert<S>(_ key: UnsafeBufferPointer<UInt64>, parent: UInt32, into layer: inout S) -> (Int, Bool)
    where S: LayerLike {
        insert(key, hash: KeyTable.hash(key), parent: parent, into: &layer)
    }

    /// Inserts `key`, whose `hash(key)` is `hash`.
    @inlinable
    mutating func insert<S>(_ key: UnsafeBufferPointer<UInt64>, hash: Int, parent: UInt32, into layer: inout S)
        -> (Int, Bool)
    where S: LayerLike {
        if (layer.count + 1) * 2 > slots.count { grow(layer) }
        let tag = UInt64(UInt(bitPattern: hash)) & 0xFFFF_FFFF_0000_0000
        var i = hash & mask
        while true {
            let slot = slots[i]
            if slot == 0 {
                let index = layer.count
                layer.append(key, parent: parent)
                slots[i] = tag | UInt64(index + 1)
                return (index, true)
            }
            if slot & 0xFFFF_FFFF_0000_0000 == tag {
                let index = Int(slot & 0xFFFF_FFFF) - 1
                if layer.equals(index, key) { return (index, false) }
            }
            i = (i + 1) & mask
        }
    }

    @inlinable
    mutating func grow<S: LayerLike>(_ layer: S) {
        let cap = max(1024, slots.count * 2)
        slots = [UInt64](repeating: 0, count: cap)
        mask = cap - 1
        for index in 0..<layer.count {
            let h = layer.withKey(index) { KeyTable.hash($0) }
            var i = h & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = (UInt64(UInt(bitPattern: h)) & 0xFFFF_FFFF_0000_0000) | UInt64(index + 1)
        }
    }
}

/// What `KeyTable` needs of the storage it indexes: keys of one width,
/// stored flat in order.
@usableFromInline
protocol LayerLike {
    var keys: [UInt64] { get }
    var count: Int { get }
    mutating func append(_ key: UnsafeBufferPointer<UInt64>, parent: UInt32)
}

extension LayerLike {
    @inlinable
    func equals(_ index: Int, _ key: UnsafeBufferPointer<UInt64>) -> Bool {
        let base = index * key.count
        for w in 0..<key.count where keys[base + w] != key[w] { return false }
        return true
    }

    @inlinable
    func withKey<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt64>) -> R) -> R {
        let w = keys.count / max(count, 1)
        return keys.withUnsafeBufferPointer { buf in
            body(UnsafeBufferPointer(rebasing: buf[(index * w)..<(index * w + w)]))
        }
    }
}

extension Explorer.Layer: LayerLike {
    @inlinable
    mutating func append(_ key: UnsafeBufferPointer<UInt64>, parent: UInt32) {
        keys.append(contentsOf: key)
        parents.append(parent)
        count += 1
    }
}

/// The progress line of one breadth-first round: how many of its parents are
/// expanded, the states found so far, the successors generated and their
/// rate, resident memory, and (once a parent is done) the time the rest of
/// the round will take if the remaining parents cost what the first ones did
/// (the first parents of a layer tend to have the largest products, so the
/// estimate falls as the round goes on).
@usableFromInline
func roundProgressLine(
    faulty: ProcessSet, round: Int, rounds: Int, expanded: Int, parents: Int, newStates: Int, successors: Int,
    rate: Double, resident: Int, elapsed: Double, earlier: Int
) -> String {
    let permille = parents > 0 ? expanded * 1000 / parents : 0
    var line =
        "F = \(faulty), round \(round)/\(rounds): \(expanded) of \(parents) parents expanded (\(permille / 10).\(permille % 10)%), \(newStates) new states, \(successors) successors generated in this round (\(Int(rate))/s), \(ResourceGuard.size(resident)) resident"
    if expanded > 0 && expanded < parents {
        let left = elapsed / Double(expanded) * Double(parents - expanded)
        line += ", at this pace about \(ResourceGuard.duration(left)) left in this round"
    }
    return line + "; \(earlier) states in earlier rounds"
}
