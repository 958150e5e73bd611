/// The identity of one security module, `p0 … p(n-1)` (DESIGN §1).
public struct ProcessID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The index of the process, `0 ..< n`.
    public let index: Int

    /// The process `p<index>`; `index` must lie in `0 ..< n` of the model it is used in.
    @inlinable
    public init(_ index: Int) { self.index = index }

    /// Orders processes by index, so `p0 < p1 < … < p(n-1)`.
    @inlinable
    public static func < (a: ProcessID, b: ProcessID) -> Bool { a.index < b.index }

    /// `p` followed by the index, as in `p3`.
    public var description: String { "p\(index)" }
}

/// A set of processes as a 64-bit bitset (n ≤ 64). Iteration is in increasing
/// index order, so nothing that depends on it depends on hashing.
public struct ProcessSet: Hashable, Sendable, Sequence, CustomStringConvertible {
    /// Bit `i` is set iff `p_i` is a member.
    public var bits: UInt64

    /// The largest number of processes a model may have.
    public static let maxProcesses = 64

    /// The set whose members are the set bits of `bits` (empty by default).
    @inlinable public init(bits: UInt64 = 0) { self.bits = bits }

    /// The set `{p0 … p(n-1)}`.
    @inlinable
    public static func all(_ n: Int) -> ProcessSet {
        precondition(n >= 0 && n <= 64, "n out of range: \(n)")
        return ProcessSet(bits: n == 64 ? ~0 : (UInt64(1) << UInt64(n)) &- 1)
    }

    /// The set of the process indices in `members` (each in `0 ..< 64`; duplicates are ignored).
    @inlinable
    public init<S: Sequence>(_ members: S) where S.Element == Int {
        var b: UInt64 = 0
        for m in members { b |= UInt64(1) << UInt64(m) }
        bits = b
    }

    /// The number of members.
    @inlinable public var count: Int { bits.nonzeroBitCount }
    /// True iff the set has no member.
    @inlinable public var isEmpty: Bool { bits == 0 }
    /// True iff `p_i` is a member.
    @inlinable public func contains(_ i: Int) -> Bool { (bits >> UInt64(i)) & 1 == 1 }
    /// True iff `p` is a member.
    @inlinable public func contains(_ p: ProcessID) -> Bool { contains(p.index) }
    /// Adds `p_i` (no effect if already a member).
    @inlinable public mutating func insert(_ i: Int) { bits |= UInt64(1) << UInt64(i) }
    /// Removes `p_i` (no effect if not a member).
    @inlinable public mutating func remove(_ i: Int) { bits &= ~(UInt64(1) << UInt64(i)) }
    /// The processes in `self` or in `o`.
    @inlinable public func union(_ o: ProcessSet) -> ProcessSet { ProcessSet(bits: bits | o.bits) }
    /// The processes in both `self` and `o`.
    @inlinable public func intersection(_ o: ProcessSet) -> ProcessSet { ProcessSet(bits: bits & o.bits) }
    /// The processes in `self` but not in `o`.
    @inlinable public func subtracting(_ o: ProcessSet) -> ProcessSet { ProcessSet(bits: bits & ~o.bits) }
    /// True iff every member of `self` is a member of `o`.
    @inlinable public func isSubset(of o: ProcessSet) -> Bool { bits & ~o.bits == 0 }

    /// Members in increasing order.
    @inlinable public var members: [Int] { Array(self) }

    /// Yields the member indices in increasing order, consuming one set bit per step.
    public struct Iterator: IteratorProtocol {
        @usableFromInline var rest: UInt64
        @inlinable init(_ b: UInt64) { rest = b }
        /// The smallest index not yet yielded, or nil when none is left.
        @inlinable
        public mutating func next() -> Int? {
            if rest == 0 { return nil }
            let i = rest.trailingZeroBitCount
            rest &= rest &- 1
            return i
        }
    }

    /// An iterator over the member indices in increasing order.
    @inlinable public func makeIterator() -> Iterator { Iterator(bits) }

    /// The members in braces, separated by commas, as in `{p0,p2}`.
    public var description: String { "{" + map { "p\($0)" }.joined(separator: ",") + "}" }

    /// Every subset of `self`, in increasing order of the bit pattern
    /// restricted to `self` (the empty set first).
    @inlinable
    public var subsets: [ProcessSet] {
        var out: [ProcessSet] = []
        out.reserveCapacity(1 << count)
        var s: UInt64 = 0
        repeat {
            out.append(ProcessSet(bits: s))
            s = (s &- bits) & bits
        } while s != 0
        return out
    }

    /// All subsets of `{p0 … p(n-1)}` with exactly `k` members, in
    /// lexicographic order of their sorted member lists.
    public static func combinations(n: Int, k: Int) -> [ProcessSet] {
        var out: [ProcessSet] = []
        var idx = Array(0..<k)
        if k > n { return [] }
        while true {
            out.append(ProcessSet(idx))
            var i = k - 1
            while i >= 0 && idx[i] == n - k + i { i -= 1 }
            if i < 0 { break }
            idx[i] += 1
            for j in (i + 1)..<k { idx[j] = idx[j - 1] + 1 }
        }
        return out
    }
}
