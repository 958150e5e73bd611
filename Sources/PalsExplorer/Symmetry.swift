import PalsCore

/// The renamings of processes that map the faulty set onto itself: every
/// permutation within the faulty class times every permutation within the
/// correct class (DESIGN §4), listed with the identity first. When the group
/// has more than `limit` elements, a subgroup is taken instead (the
/// permutations of the first processes of each class only); canonical forms
/// under a subgroup are coarser but just as sound.
@usableFromInline
struct ProcessPermutations: Sendable {
    /// `perms[g][p]`: the new name of `p` under the g-th renaming.
    @usableFromInline let perms: [[Int]]
    /// `inverses[g][q]`: the process renamed to `q`.
    @usableFromInline let inverses: [[Int]]
    /// The index of each permutation (looked up, never iterated).
    @usableFromInline let index: [[Int]: Int]

    @usableFromInline static let defaultLimit = 5040

    @inlinable
    init(n: Int, faulty: ProcessSet, limit: Int = ProcessPermutations.defaultLimit) {
        let faultyMembers = (0..<n).filter { faulty.contains($0) }
        let correctMembers = (0..<n).filter { !faulty.contains($0) }
        // The largest prefixes whose symmetric groups fit in `limit`.
        func factorial(_ k: Int) -> Int { k <= 1 ? 1 : (2...k).reduce(1, *) }
        var a = faultyMembers.count
        while a > 1 && factorial(a) > limit { a -= 1 }
        var b = correctMembers.count
        while b > 1 && factorial(a) * factorial(b) > limit { b -= 1 }
        let movedFaulty = Array(faultyMembers.prefix(a))
        let movedCorrect = Array(correctMembers.prefix(b))
        var perms: [[Int]] = []
        for pf in ProcessPermutations.permutations(of: movedFaulty) {
            for pc in ProcessPermutations.permutations(of: movedCorrect) {
                var π = Array(0..<n)
                for (k, p) in movedFaulty.enumerated() { π[p] = pf[k] }
                for (k, p) in movedCorrect.enumerated() { π[p] = pc[k] }
                perms.append(π)
            }
        }
        self.perms = perms
        inverses = perms.map { π in
            var inv = Array(repeating: 0, count: n)
            for p in 0..<n { inv[π[p]] = p }
            return inv
        }
        var index: [[Int]: Int] = [:]
        for (g, π) in perms.enumerated() { index[π] = g }
        self.index = index
    }

    @inlinable var count: Int { perms.count }

    /// The index of `a ∘ b` (first b, then a).
    @inlinable
    func compose(_ a: Int, _ b: Int) -> Int {
        let pa = perms[a]
        guard let composed = index[perms[b].map { pa[$0] }] else {
            preconditionFailure("Invalid state: the renamings are not closed under composition")
        }
        return composed
    }

    /// The index of the inverse of the g-th renaming.
    @inlinable
    func inverse(_ g: Int) -> Int {
        guard let inverse = index[inverses[g]] else {
            preconditionFailure("Invalid state: the renamings are not closed under inverses")
        }
        return inverse
    }

    /// Every ordering of `items`, in lexicographic order of positions (the
    /// identity first).
    @inlinable
    static func permutations(of items: [Int]) -> [[Int]] {
        if items.count <= 1 { return [items] }
        var out: [[Int]] = []
        for (k, first) in items.enumerated() {
            var rest = items
            rest.remove(at: k)
            for tail in permutations(of: rest) { out.append([first] + tail) }
        }
        return out
    }
}

/// Renames one local state: the protocol's `renamed`, with the value renaming
/// that data independence allows (input of `p` ↦ input of `π[p]`).
@usableFromInline
struct LocalRenamer<P: RoundProtocol>: @unchecked Sendable where P.L == Concrete {
    @usableFromInline let rename: (P.State, [Int]) -> P.State

    /// Nil when the protocol does not declare `ProcessSymmetric`.
    @inlinable
    init?(_ proto: P, inputs: [Int]) {
        guard let symmetric = proto as? any ProcessSymmetric else { return nil }
        func make<Q: ProcessSymmetric>(_ q: Q) -> Any {
            let f: (Q.State, [Int]) -> Q.State = { s, π in
                q.renamed(s, processes: π) { v in
                    guard let v = v as? Int, let k = inputs.firstIndex(of: v),
                        let renamed = inputs[π[k]] as? Q.L.Value
                    else { return v }
                    return renamed
                }
            }
            return f
        }
        guard let f = make(symmetric) as? (P.State, [Int]) -> P.State else { return nil }
        rename = f
    }
}

/// A protocol's `SenderIgnoring.ignores` over concrete states, or nil when
/// the protocol declares none.
@usableFromInline
struct SenderFilter<P: RoundProtocol>: @unchecked Sendable where P.L == Concrete {
    /// `ignores(s, round, j)`: whether `s` ignores p_j's delivery in `round`.
    @usableFromInline let ignores: (P.State, Int, Int) -> Bool

    @inlinable
    init?(_ proto: P) {
        guard let ignoring = proto as? any SenderIgnoring else { return nil }
        func make<Q: SenderIgnoring>(_ q: Q) -> Any {
            let f: (Q.State, Int, Int) -> Bool = { s, r, j in
                guard let b = q.ignores(s, round: r, sender: ProcessID(j)) as? Bool else { return false }
                return b
            }
            return f
        }
        guard let f = make(ignoring) as? (P.State, Int, Int) -> Bool else { return nil }
        ignores = f
    }
}

extension Explorer.FaultySetSearch {
    /// The image id of local state `id` under the g-th renaming (computed
    /// once, then looked up).
    @inlinable
    mutating func image(_ id: UInt32, _ g: Int) -> UInt32 {
        if id == crashedID { return crashedID }
        let slot = Int(id) * groupSize + g
        let known = images[slot]
        if known != unknownImage { return known }
        guard let renamer, let group else { preconditionFailure("Invalid state: an image without symmetry") }
        let renamed = renamer.rename(localStates[Int(id) - 1], group.perms[g])
        let image = intern(renamed)
        images[slot] = image
        return image
    }

    /// Replaces `ids` (one global state) by the least renaming of it
    /// (lexicographically on local-state ids) under the group; returns the
    /// index of the renaming that gives it. Images not computed yet are
    /// computed (interning new local states) and the pass is restarted.
    @inlinable
    @discardableResult
    mutating func canonicalize(_ ids: inout [UInt32]) -> Int {
        let n = self.n
        let count = groupSize
        let unknown = unknownImage
        while true {
            var missing: (id: UInt32, g: Int)? = nil
            let bestG = withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * n) { scratch -> Int in
                images.withUnsafeBufferPointer { img in
                    inverseFlat.withUnsafeBufferPointer { inv in
                        ids.withUnsafeBufferPointer { cur in
                            guard let base = scratch.baseAddress else { return 0 }
                            var best = base
                            var candidate = base + n
                            for j in 0..<n { best[j] = cur[j] }
                            var bestG = 0
                            for g in 1..<count {
                                let invBase = g * n
                                var less = false
                                var abandoned = false
                                for j in 0..<n {
                                    let id = cur[Int(inv[invBase + j])]
                                    var v = id
                                    if id != crashedID {
                                        v = img[Int(id) * count + g]
                                        if v == unknown {
                                            missing = (id, g)
                                            return -1
                                        }
                                    }
                                    if !less {
                                        if v > best[j] {
                                            abandoned = true
                                            break
                                        }
                                        if v < best[j] { less = true }
                                    }
                                    candidate[j] = v
                                }
                                if less && !abandoned {
                                    swap(&best, &candidate)
                                    bestG = g
                                }
                            }
                            return bestG
                        }
                    }
                }
            }
            if let missing {
                _ = image(missing.id, missing.g)
                continue
            }
            if bestG > 0 {
                let renamed = rename(ids, by: bestG)
                for j in 0..<n { ids[j] = renamed[j] }
            }
            return bestG
        }
    }

    /// The g-th renaming of a global state.
    @inlinable
    mutating func rename(_ ids: [UInt32], by g: Int) -> [UInt32] {
        guard let group else { return ids }
        let π = group.perms[g]
        var out = ids
        for p in 0..<n { out[π[p]] = image(ids[p], g) }
        return out
    }

    /// A path of canonical global states, mapped back to a path of the
    /// concrete transition relation: each canonical state is the canonical
    /// form of some successor of its predecessor; that successor, renamed
    /// consistently with the states before it, is the next concrete state.
    ///
    /// The successor taken is the first, in the search's order of successor
    /// tuples (crash choices, then the receivers' lists with the last
    /// receiver fastest), whose canonical form is the next state. The
    /// successors with that form are the renamings of the next state that lie
    /// in the product of the receivers' lists, so they are found by renaming
    /// the state by every element of the group and looking each receiver's
    /// local state up in its list — |G| renamings per round, never the
    /// product itself (at n = 7 the initial state alone has about 10⁹
    /// successor tuples).
    @inlinable
    mutating func concretize(_ path: [[UInt32]]) -> [[UInt32]] {
        guard let group, let first = path.first else { return path }
        // The breadth-first search frees each round's memo when done.
        for r in memos.indices where memos[r].slots.isEmpty { memos[r].reset(expected: 1024) }
        let model = explorer.options.faultModel
        // The search starts at the initial state itself; x_r = σ(c_r).
        let root = initialKey().withUnsafeBufferPointer { unpack($0) }
        precondition(root == first, "Invalid state: the path does not start at the initial state")
        var σ = 0
        var concrete = [first]
        var succ = [UInt32](repeating: 0, count: n * stride)
        var succCount = [Int](repeating: 0, count: n)
        var digits = [Int](repeating: 0, count: n)
        for r in Swift.stride(from: 1, to: path.count, by: 1) {
            let parent = path[r - 1]
            var alive = ProcessSet()
            for q in 0..<n where parent[q] != crashedID { alive.insert(q) }
            let crashPool = model == .crash ? alive.intersection(faulty).bits : 0
            var crashBits: UInt64 = 0
            var found: [UInt32]? = nil
            search: repeat {
                let crashing = ProcessSet(bits: crashBits)
                crashBits = (crashBits &- crashPool) & crashPool
                expand(parent, round: r, crashing: crashing, partitionFirst: false, succ: &succ, count: &succCount)
                // The renaming of path[r] in the product whose digits come first.
                var best: (digits: [Int], y: [UInt32])? = nil
                renamings: for g in 0..<group.count {
                    let y = rename(path[r], by: g)
                    for q in 0..<n {
                        var k = 0
                        while k < succCount[q] && succ[q * stride + k] != y[q] { k += 1 }
                        if k == succCount[q] { continue renamings }
                        digits[q] = k
                    }
                    if let b = best, !digits.lexicographicallyPrecedes(b.digits) { continue }
                    best = (digits, y)
                }
                if let best {
                    var c = best.y
                    let ρ = canonicalize(&c)
                    precondition(c == path[r], "Invalid state: a renaming of a canonical state has another form")
                    found = rename(best.y, by: σ)
                    σ = group.compose(σ, group.inverse(ρ))
                    break search
                }
            } while crashBits != 0
            guard let found else {
                preconditionFailure("Invalid state: no successor in round \(r) has the recorded canonical form")
            }
            concrete.append(found)
        }
        return concrete
    }
}

/// The renamings that fix one parent global state (its stabilizer in the
/// group, identity left out), ready to prune the enumeration of its
/// successor tuples: `g[start[q] ..< start[q + 1]]` are the elements whose
/// permutation maps the positions `0 … q` onto themselves, so that the image
/// of a tuple's prefix `0 … q` depends on that prefix alone.
///
/// A renaming g that fixes the parent maps its successor tuples onto its
/// successor tuples (the transition relation is symmetric under every
/// renaming that keeps the faulty set and, under crash-stop, the processes
/// crashing). A tuple x with g·x lexicographically smaller than x (on
/// local-state ids) has a smaller image in its orbit; the least tuple of each
/// orbit under the stabilizer is never pruned, so every canonical successor
/// is still reached. The comparison is made on the prefix `0 … q` for every
/// q the permutation closes, so a whole subtree of the enumeration is
/// skipped at once; at the last position every element is tried, so exactly
/// one tuple per orbit under the stabilizer is built.
@usableFromInline
struct Stabilizer: Sendable {
    /// The stabilizer's elements (group indices), identity left out.
    @usableFromInline var elements: [Int] = []
    @usableFromInline var g: [Int] = []
    @usableFromInline var start: [Int]

    @inlinable
    init(n: Int) { start = [Int](repeating: 0, count: n + 1) }

    @inlinable var isEmpty: Bool { elements.isEmpty }
}

extension Explorer.FaultySetSearch {
    /// `closedPrefixes[g]`: bit q set when the g-th renaming maps the
    /// positions `0 … q` onto themselves.
    @inlinable
    static func closedPrefixes(_ group: ProcessPermutations, n: Int) -> [UInt64] {
        group.perms.map { π in
            var bits: UInt64 = 0
            var largest = -1
            for q in 0..<n {
                largest = max(largest, π[q])
                if largest == q { bits |= UInt64(1) << UInt64(q) }
            }
            return bits
        }
    }

    /// Fills `stabilizer` with the renamings of the group (identity left out)
    /// that fix `current` and keep `crashing`.
    @inlinable
    mutating func stabilizer(of current: [UInt32], crashing: ProcessSet, into stabilizer: inout Stabilizer) {
        stabilizer.elements.removeAll(keepingCapacity: true)
        stabilizer.g.removeAll(keepingCapacity: true)
        let n = self.n
        guard let group, explorer.options.stabilizerPruning else {
            for q in 0...n { stabilizer.start[q] = 0 }
            return
        }
        for g in 1..<groupSize {
            let π = group.perms[g]
            var fixes = true
            var c = 0
            while fixes && c < n {
                if crashing.contains(c) != crashing.contains(π[c]) || image(current[c], g) != current[π[c]] {
                    fixes = false
                }
                c += 1
            }
            if fixes { stabilizer.elements.append(g) }
        }
        for q in 0..<n {
            stabilizer.start[q] = stabilizer.g.count
            let bit = UInt64(1) << UInt64(q)
            for g in stabilizer.elements where closedPrefixes[g] & bit != 0 { stabilizer.g.append(g) }
        }
        stabilizer.start[n] = stabilizer.g.count
    }

    /// False when some element of the stabilizer closed at position q maps
    /// the successor prefix `0 … q` (digit `digits[c]` of list c) to a
    /// smaller prefix: then every tuple with this prefix has a smaller image
    /// and can be skipped.
    @inlinable
    mutating func prefixKept(_ q: Int, digits: [Int], succ: [UInt32], stabilizer: Stabilizer) -> Bool {
        var k = stabilizer.start[q]
        let end = stabilizer.start[q + 1]
        let n = self.n
        while k < end {
            let g = stabilizer.g[k]
            var c = 0
            while c <= q {
                let x = succ[c * stride + digits[c]]
                let source = Int(inverseFlat[g * n + c])
                let y = image(succ[source * stride + digits[source]], g)
                if y != x {
                    if y < x { return false }
                    break
                }
                c += 1
            }
            k += 1
        }
        return true
    }

    /// Moves `digits` to the next successor tuple that is not pruned (the
    /// first one when `first`); false when there is none left.
    @inlinable
    mutating func nextTuple(
        _ digits: inout [Int], first: Bool, counts: [Int], succ: [UInt32], stabilizer: Stabilizer
    ) -> Bool {
        let n = self.n
        var q: Int
        if first {
            q = 0
            digits[0] = 0
        } else {
            q = n - 1
            digits[q] += 1
        }
        let prune = !stabilizer.isEmpty
        while true {
            if digits[q] >= counts[q] {
                if q == 0 { return false }
                q -= 1
                digits[q] += 1
                continue
            }
            if !prune || prefixKept(q, digits: digits, succ: succ, stabilizer: stabilizer) {
                if q == n - 1 { return true }
                q += 1
                digits[q] = 0
            } else {
                digits[q] += 1
            }
        }
    }
}
