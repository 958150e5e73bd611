import PalsCore

/// The id of a crashed local state; real local states have ids 1, 2, ….
@usableFromInline let crashedID: UInt32 = 0

extension Explorer {
    /// One explored layer: the global states after some round, each as
    /// `words` packed words (two 32-bit local-state ids per word), with the
    /// index of its first-found parent in the previous layer.
    @usableFromInline
    struct Layer {
        @usableFromInline var keys: [UInt64] = []
        @usableFromInline var parents: [UInt32] = []
        @usableFromInline var count = 0
        @usableFromInline init() {}
    }

    /// Everything one faulty set's search leaves behind: its layers (for
    /// paths), its local-state table, counts and the first violations.
    @usableFromInline
    final class FaultySetRecord: @unchecked Sendable {
        @usableFromInline let faulty: ProcessSet
        @usableFromInline let layers: [Layer]
        @usableFromInline let localStates: [P.State]
        @usableFromInline let words: Int
        @usableFromInline let states: Int
        @usableFromInline let transitions: Int
        @usableFromInline let largestLayer: Int
        /// Per property: (layer, index) of the first violating state, if any.
        @usableFromInline let firstViolation: [(layer: Int, index: Int)?]
        @usableFromInline let witnessed: [Bool]

        @inlinable
        init(
            faulty: ProcessSet, layers: [Layer], localStates: [P.State], words: Int, states: Int,
            transitions: Int, largestLayer: Int, firstViolation: [(layer: Int, index: Int)?], witnessed: [Bool]
        ) {
            self.faulty = faulty
            self.layers = layers
            self.localStates = localStates
            self.words = words
            self.states = states
            self.transitions = transitions
            self.largestLayer = largestLayer
            self.firstViolation = firstViolation
            self.witnessed = witnessed
        }

        @inlinable
        func ids(layer: Int, index: Int, n: Int) -> [UInt32] {
            let base = index * words
            return (0..<n).map { q in UInt32(truncatingIfNeeded: layers[layer].keys[base + q / 2] >> UInt64(32 * (q % 2))) }
        }

        /// The failure pattern of the path from the initial state to
        /// (`layer`, `index`), recovered choice by choice: for each receiver,
        /// the first inbox (in search order) that yields the recorded state.
        @inlinable
        func pattern(toLayer layer: Int, index: Int, explorer: Explorer) -> FailurePattern {
            let n = explorer.proto.n
            var path: [[UInt32]] = []
            var idx = index
            var l = layer
            while l >= 0 {
                path.append(ids(layer: l, index: idx, n: n))
                if l > 0 { idx = Int(layers[l].parents[idx]) }
                l -= 1
            }
            path.reverse()
            var crashes: [Crash] = []
            var drops: [Link] = []
            let stepper = Stepper(explorer: explorer, faulty: faulty)
            for r in stride(from: 1, through: layer, by: 1) {
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

        @inlinable
        init(explorer: Explorer, faulty: ProcessSet) {
            proto = explorer.proto
            self.faulty = faulty
            model = explorer.options.faultModel
            n = explorer.proto.n
            initialStates = (0..<explorer.proto.n).map { explorer.proto.initial(ProcessID($0), input: explorer.inputs[$0]) }
        }

        /// Senders whose message to `q` may be lost, given the alive senders
        /// and (crash-stop) the processes crashing after this round.
        @inlinable
        func droppable(receiver q: Int, alive: ProcessSet, crashing: ProcessSet) -> ProcessSet {
            var d: ProcessSet
            switch model {
            case .generalOmission: d = faulty.contains(q) ? alive : alive.intersection(faulty)
            case .crash: d = crashing.intersection(alive)
            }
            d.remove(q)
            return d
        }

        /// The inbox of `q` in `round` with every alive sender's message arrived.
        @inlinable
        func fullInbox(round: Int, receiver q: Int, states: [P.State?]) -> [Delivery<P.Message, Concrete>] {
            (0..<n).map { j in
                if let s = states[j] {
                    return Delivery(arrived: true, message: proto.message(s, round: round, to: ProcessID(q)))
                }
                return Delivery(arrived: false, message: proto.message(initialStates[j], round: round, to: ProcessID(q)))
            }
        }

        /// The first subset of droppable senders (in search order) after whose
        /// loss `q` reaches `target`.
        @inlinable
        func findMask(round: Int, receiver q: Int, states: [P.State?], crashing: ProcessSet, target: P.State) -> ProcessSet {
            var alive = ProcessSet()
            for j in 0..<n where states[j] != nil { alive.insert(j) }
            var inbox = fullInbox(round: round, receiver: q, states: states)
            let own = states[q]!
            for mask in droppable(receiver: q, alive: alive, crashing: crashing).subsets {
                for j in 0..<n { inbox[j].arrived = alive.contains(j) && !mask.contains(j) }
                if proto.receive(own, round: round, inbox: inbox) == target { return mask }
            }
            preconditionFailure("Invalid state: no inbox of p\(q) in round \(round) reaches the recorded state")
        }
    }

    /// The breadth-first search for one faulty set.
    @usableFromInline
    struct FaultySetSearch {
        @usableFromInline let explorer: Explorer
        @usableFromInline let faulty: ProcessSet
        @usableFromInline let stepper: Stepper
        @usableFromInline let n: Int
        @usableFromInline let words: Int
        @usableFromInline var ids: [P.State: UInt32] = [:]
        @usableFromInline var localStates: [P.State] = []
        @usableFromInline var decisions: [Decision<Concrete>] = []
        @usableFromInline var firstViolation: [(layer: Int, index: Int)?]
        @usableFromInline var witnessed: [Bool]

        @inlinable
        init(_ explorer: Explorer, faulty: ProcessSet) {
            self.explorer = explorer
            self.faulty = faulty
            stepper = Stepper(explorer: explorer, faulty: faulty)
            n = explorer.proto.n
            words = (explorer.proto.n + 1) / 2
            firstViolation = Array(repeating: nil, count: explorer.properties.count)
            witnessed = Array(repeating: false, count: explorer.properties.count)
        }

        @inlinable
        mutating func intern(_ s: P.State) -> UInt32 {
            if let id = ids[s] { return id }
            localStates.append(s)
            decisions.append(explorer.proto.decision(s))
            let id = UInt32(localStates.count)
            ids[s] = id
            return id
        }

        /// Evaluates the properties due after `round` on one new global state.
        @inlinable
        mutating func check(_ key: UnsafeBufferPointer<UInt64>, round: Int, index: Int, horizon: Bool) {
            let props = explorer.properties
            var due = false
            for (k, p) in props.enumerated() {
                switch p.kind {
                case .always: if firstViolation[k] == nil { due = true }
                case .atHorizon: if horizon && firstViolation[k] == nil { due = true }
                case .sometimes: if horizon && !witnessed[k] { due = true }
                }
            }
            if !due { return }
            var states: [P.State] = []
            states.reserveCapacity(n)
            var crashed: [Bool] = []
            crashed.reserveCapacity(n)
            var ds: [Decision<Concrete>] = []
            ds.reserveCapacity(n)
            let none = Decision<Concrete>.none(n)
            for q in 0..<n {
                let id = UInt32(truncatingIfNeeded: key[q / 2] >> UInt64(32 * (q % 2)))
                if id == crashedID {
                    states.append(stepper.initialStates[q])
                    crashed.append(true)
                    ds.append(none)
                } else {
                    states.append(localStates[Int(id) - 1])
                    crashed.append(false)
                    ds.append(horizon ? decisions[Int(id) - 1] : none)
                }
            }
            let context = PropertyContext<P>(
                round: round, inputs: explorer.inputs, faulty: (0..<n).map { faulty.contains($0) },
                crashed: crashed, states: states, decisions: ds)
            for (k, p) in props.enumerated() {
                switch p.kind {
                case .always, .atHorizon:
                    if firstViolation[k] == nil && (p.kind == .always || horizon)
                        && !p.holds(explorer.proto, context)
                    {
                        firstViolation[k] = (round, index)
                    }
                case .sometimes:
                    if horizon && !witnessed[k] && p.holds(explorer.proto, context) { witnessed[k] = true }
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

        @inlinable
        mutating func run() -> FaultySetRecord {
            let proto = explorer.proto
            let rounds = proto.rounds
            let model = explorer.options.faultModel
            var table = KeyTable(words: words)
            var key = [UInt64](repeating: 0, count: words)
            for q in 0..<n {
                let id = intern(stepper.initialStates[q])
                key[q / 2] |= UInt64(id) << UInt64(32 * (q % 2))
            }
            var layer0 = Layer()
            layer0.keys = key
            layer0.parents = [0]
            layer0.count = 1
            key.withUnsafeBufferPointer { check($0, round: 0, index: 0, horizon: rounds == 0) }
            var layers = [layer0]
            var states = 1
            var transitions = 0
            var largest = 1
            // succ[q * stride ..< q * stride + succCount[q]]: the distinct next
            // local states of q from the current global state.
            let stride = (1 << (n - 1)) + 1
            var succ = [UInt32](repeating: 0, count: n * stride)
            var succCount = [Int](repeating: 0, count: n)
            var currentIDs = [UInt32](repeating: 0, count: n)
            let memoWords = (n + 2) / 2
            var memoKey = [UInt64](repeating: 0, count: memoWords)
            var memo = MemoTable(words: memoWords)
            var signatures = SignatureSet()
            var signature: [UInt32] = []
            var digit = [Int](repeating: 0, count: n)
            var stopAfterLayer = allResolved || (explorer.options.stopAtFirstViolation && firstViolation.contains { $0 != nil })
            var r = 1
            while r <= rounds && !stopAfterLayer {
                let current = layers[r - 1]
                table.reset(expected: current.count * 4)
                memo.reset(expected: current.count)
                signatures.reset(expected: current.count)
                var next = Layer()
                let horizon = r == rounds
                for s in 0..<current.count {
                    var alive = ProcessSet()
                    for q in 0..<n {
                        let id = UInt32(truncatingIfNeeded: current.keys[s * words + q / 2] >> UInt64(32 * (q % 2)))
                        currentIDs[q] = id
                        if id != crashedID { alive.insert(q) }
                    }
                    // Crash-stop: every subset of the alive faulty processes may
                    // crash after this round. General omission: crashes are
                    // successors of single receivers, below.
                    let crashPool = model == .crash ? alive.intersection(faulty).bits : 0
                    var crashBits: UInt64 = 0
                    repeat {
                        let crashing = ProcessSet(bits: crashBits)
                        crashBits = (crashBits &- crashPool) & crashPool
                        for q in 0..<n {
                            let base = q * stride
                            guard alive.contains(q), !crashing.contains(q) else {
                                succ[base] = crashedID
                                succCount[q] = 1
                                continue
                            }
                            var count = 0
                            // The successor is a function of (q, the states of the
                            // senders heard, q's own among them): memoized per round.
                            var inbox: [Delivery<P.Message, Concrete>]? = nil
                            let droppable = stepper.droppable(receiver: q, alive: alive, crashing: crashing).bits
                            var maskBits: UInt64 = 0
                            repeat {
                                let arrived = ProcessSet(bits: alive.bits & ~maskBits)
                                maskBits = (maskBits &- droppable) & droppable
                                for w in 0..<memoWords { memoKey[w] = 0 }
                                for j in arrived { memoKey[j / 2] |= UInt64(currentIDs[j]) << UInt64(32 * (j % 2)) }
                                memoKey[n / 2] |= UInt64(q + 1) << UInt64(32 * (n % 2))
                                var id = memoKey.withUnsafeBufferPointer { memo.find($0) }
                                if id == MemoTable.missing {
                                    if inbox == nil {
                                        inbox = (0..<n).map { j in
                                            let id = currentIDs[j]
                                            let sender = id == crashedID ? stepper.initialStates[j] : localStates[Int(id) - 1]
                                            return Delivery(arrived: false, message: proto.message(sender, round: r, to: ProcessID(q)))
                                        }
                                    }
                                    for j in 0..<n { inbox![j].arrived = arrived.contains(j) }
                                    id = intern(proto.receive(localStates[Int(currentIDs[q]) - 1], round: r, inbox: inbox!))
                                    memoKey.withUnsafeBufferPointer { memo.insert($0, value: id) }
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
                            } while maskBits != 0
                            if model == .generalOmission && faulty.contains(q) {
                                succ[base + count] = crashedID
                                count += 1
                            }
                            succCount[q] = count
                        }
                        var product = 1
                        for q in 0..<n { product *= succCount[q] }
                        transitions += product
                        // Equal successor lists give an equal product: enumerate each
                        // distinct one once per round.
                        signature.removeAll(keepingCapacity: true)
                        for q in 0..<n {
                            signature.append(UInt32(succCount[q]))
                            for k in 0..<succCount[q] { signature.append(succ[q * stride + k]) }
                        }
                        if !signature.withUnsafeBufferPointer({ signatures.insert($0) }) { continue }
                        for q in 0..<n { digit[q] = 0 }
                        while true {
                            for w in 0..<words { key[w] = 0 }
                            for q in 0..<n { key[q / 2] |= UInt64(succ[q * stride + digit[q]]) << UInt64(32 * (q % 2)) }
                            let (index, inserted) = key.withUnsafeBufferPointer {
                                table.insert($0, parent: UInt32(s), into: &next)
                            }
                            if inserted {
                                key.withUnsafeBufferPointer { check($0, round: r, index: index, horizon: horizon) }
                            }
                            var q = n - 1
                            while q >= 0 {
                                digit[q] += 1
                                if digit[q] < succCount[q] { break }
                                digit[q] = 0
                                q -= 1
                            }
                            if q < 0 { break }
                        }
                    } while crashBits != 0
                }
                states += next.count
                largest = max(largest, next.count)
                layers.append(next)
                stopAfterLayer = allResolved || (explorer.options.stopAtFirstViolation && firstViolation.contains { $0 != nil })
                r += 1
            }
            return FaultySetRecord(
                faulty: faulty, layers: layers, localStates: localStates, words: words, states: states,
                transitions: transitions, largestLayer: largest, firstViolation: firstViolation, witnessed: witnessed)
        }
    }
}

/// An open-addressing hash set of fixed-width keys that appends new keys to
/// a `Layer` and remembers their index.
@usableFromInline
struct KeyTable {
    @usableFromInline let words: Int
    @usableFromInline var slots: [UInt32] = []
    @usableFromInline var mask = 0

    @inlinable init(words: Int) { self.words = words }

    @inlinable
    mutating func reset(expected: Int) {
        var cap = 1024
        while cap < expected * 2 { cap <<= 1 }
        slots = [UInt32](repeating: 0, count: cap)
        mask = cap - 1
    }

    @inlinable
    static func hash(_ key: UnsafeBufferPointer<UInt64>) -> Int {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        for w in key {
            h = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 31
        }
        return Int(truncatingIfNeeded: h)
    }

    /// Inserts `key`; returns its index in `layer` and whether it is new.
    @inlinable
    mutating func insert<S>(_ key: UnsafeBufferPointer<UInt64>, parent: UInt32, into layer: inout S) -> (Int, Bool)
    where S: LayerLike {
        if (layer.count + 1) * 2 > slots.count { grow(layer) }
        var i = KeyTable.hash(key) & mask
        while true {
            let slot = slots[i]
            if slot == 0 {
                let index = layer.count
                layer.append(key, parent: parent)
                slots[i] = UInt32(index + 1)
                return (index, true)
            }
            if layer.equals(Int(slot) - 1, key) { return (Int(slot) - 1, false) }
            i = (i + 1) & mask
        }
    }

    @inlinable
    mutating func grow<S: LayerLike>(_ layer: S) {
        let cap = max(1024, slots.count * 2)
        slots = [UInt32](repeating: 0, count: cap)
        mask = cap - 1
        for index in 0..<layer.count {
            var i = layer.withKey(index) { KeyTable.hash($0) } & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = UInt32(index + 1)
        }
    }
}

/// What `KeyTable` needs of the storage it indexes.
@usableFromInline
protocol LayerLike {
    var count: Int { get }
    mutating func append(_ key: UnsafeBufferPointer<UInt64>, parent: UInt32)
    func equals(_ index: Int, _ key: UnsafeBufferPointer<UInt64>) -> Bool
    func withKey<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt64>) -> R) -> R
}

extension Explorer.Layer: LayerLike {
    @inlinable
    mutating func append(_ key: UnsafeBufferPointer<UInt64>, parent: UInt32) {
        keys.append(contentsOf: key)
        parents.append(parent)
        count += 1
    }

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
