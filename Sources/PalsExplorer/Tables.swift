import CPalsPrefetch

/// Memoized receive results of one round, packed in 16-bit fields: fields
/// 0 ..< n hold the local-state ids of the senders heard (0 = not heard),
/// field n the receiver + 1 (never 0 in a used slot), field n + 1 the
/// resulting id. Ids of 0xFFFF and above are never memoized (the caller
/// computes those directly), so the table stays small and cache-friendly.
@usableFromInline
struct MemoTable {
    @usableFromInline static let missing = UInt32.max
    /// The largest id a field can hold.
    @usableFromInline static let maxID: UInt32 = 0xFFFE
    @usableFromInline let n: Int
    @usableFromInline let words: Int
    @usableFromInline var slots: [UInt64] = []
    @usableFromInline var mask = 0
    @usableFromInline var count = 0
    /// The entries the table holds at most: at that size it is emptied (and
    /// keeps its capacity) before the next insert. A memo only saves calls
    /// to `receive`, so forgetting changes no result; without the bound, the
    /// memo of one round of UIC (7,3) grew to 1.6 GB per thread.
    @usableFromInline static let limit = 1 << 21

    @inlinable
    init(n: Int) {
        self.n = n
        words = (n + 2 + 3) / 4
    }

    @inlinable @inline(__always)
    static func field(_ f: Int) -> (word: Int, shift: UInt64) { (f &>> 2, UInt64(truncatingIfNeeded: (f & 3) &<< 4)) }

    /// The bits of the fields of one word named by the low four bits of
    /// `b` (bit k for field k of the word).
    @inlinable static func fields(_ b: UInt64) -> UInt64 {
        let spread = (b & 1) | ((b & 2) &<< 15) | ((b & 4) &<< 30) | ((b & 8) &<< 45)
        return spread &* 0xFFFF
    }

    @inlinable
    mutating func reset(expected: Int) {
        var cap = 1024
        while cap < expected * 2 { cap <<= 1 }
        slots = [UInt64](repeating: 0, count: cap * words)
        mask = cap - 1
        count = 0
    }

    /// Starts loading the slots where keys with the first `count` of
    /// `hashes` would be found (one access to the table for all of them).
    @inlinable
    func prefetch(hashes: [Int], count: Int) {
        let mask = self.mask
        let words = self.words
        slots.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            hashes.withUnsafeBufferPointer { hs in
                for m in 0..<count where hs[m] != -1 { pals_prefetch(base + (hs[m] & mask) * words) }
            }
        }
    }

    /// The memoized id for a key whose value field is zero, or `missing`.
    @inlinable
    func find(_ key: UnsafeBufferPointer<UInt64>) -> UInt32 {
        find(key, hash: KeyTable.hash(key))
    }

    /// `find` with the key's hash already computed.
    @inlinable
    func find(_ key: UnsafeBufferPointer<UInt64>, hash: Int) -> UInt32 {
        let (vw, vs) = MemoTable.field(n + 1)
        let (qw, qs) = MemoTable.field(n)
        let words = self.words
        let mask = self.mask
        // Compared with the value field masked out: the key's is zero.
        let valueField = UInt64(0xFFFF) &<< vs
        let receiverField = UInt64(0xFFFF) &<< qs
        return slots.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress, let k = key.baseAddress else { return MemoTable.missing }
            var i = hash & mask
            while true {
                let slot = base + i &* words
                if slot[qw] & receiverField == 0 { return MemoTable.missing }
                var w = 0
                while w < words {
                    let stored = w == vw ? slot[w] & ~valueField : slot[w]
                    if stored != k[w] { break }
                    w &+= 1
                }
                if w == words { return UInt32(truncatingIfNeeded: (slot[vw] &>> vs) & 0xFFFF) }
                i = (i &+ 1) & mask
            }
        }
    }

    /// Inserts a key known to be absent (value field zero) with `value` ≤ `maxID`.
    @inlinable
    mutating func insert(_ key: UnsafeBufferPointer<UInt64>, value: UInt32) {
        if count >= MemoTable.limit {
            slots.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            count = 0
        }
        if (count + 1) * 10 > (mask + 1) * 7 { grow() }
        let (vw, vs) = MemoTable.field(n + 1)
        let (qw, qs) = MemoTable.field(n)
        let words = self.words
        let mask = self.mask
        var i = KeyTable.hash(key) & mask
        slots.withUnsafeMutableBufferPointer { buf in
            while (buf[i * words + qw] >> qs) & 0xFFFF != 0 { i = (i + 1) & mask }
            for w in 0..<words { buf[i * words + w] = key[w] }
            buf[i * words + vw] |= UInt64(value) << vs
        }
        count += 1
    }

    @inlinable
    mutating func grow() {
        let old = slots
        let oldCap = mask + 1
        let (vw, vs) = MemoTable.field(n + 1)
        let (qw, qs) = MemoTable.field(n)
        slots = [UInt64](repeating: 0, count: oldCap * 2 * words)
        mask = oldCap * 2 - 1
        count = 0
        var key = [UInt64](repeating: 0, count: words)
        for i in 0..<oldCap where (old[i * words + qw] >> qs) & 0xFFFF != 0 {
            for w in 0..<words { key[w] = old[i * words + w] }
            let value = UInt32((key[vw] >> vs) & 0xFFFF)
            key[vw] &= ~(UInt64(0xFFFF) << vs)
            key.withUnsafeBufferPointer { insert($0, value: value) }
        }
    }
}

/// An exact set of variable-length `UInt32` sequences, stored flat.
@usableFromInline
struct SignatureSet {
    @usableFromInline var pool: [UInt32] = []
    @usableFromInline var starts: [Int] = []
    @usableFromInline var slots: [Int32] = []
    @usableFromInline var mask = 0

    @inlinable init() {}

    @inlinable
    mutating func reset(expected: Int) {
        var cap = 1024
        while cap < expected * 2 { cap <<= 1 }
        slots = [Int32](repeating: -1, count: cap)
        mask = cap - 1
        pool.removeAll(keepingCapacity: true)
        starts = [0]
    }

    @inlinable
    static func hash(_ s: UnsafeBufferPointer<UInt32>) -> Int {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for x in s {
            h = (h ^ UInt64(x)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 29
        }
        return Int(truncatingIfNeeded: h)
    }

    @inlinable
    func equals(_ index: Int, _ s: UnsafeBufferPointer<UInt32>) -> Bool {
        let a = starts[index]
        let b = starts[index + 1]
        guard b - a == s.count else { return false }
        for k in 0..<s.count where pool[a + k] != s[k] { return false }
        return true
    }

    /// Inserts `s`; true iff it was new.
    @inlinable
    mutating func insert(_ s: UnsafeBufferPointer<UInt32>) -> Bool {
        if starts.count * 2 > slots.count { grow() }
        var i = SignatureSet.hash(s) & mask
        while slots[i] >= 0 {
            if equals(Int(slots[i]), s) { return false }
            i = (i + 1) & mask
        }
        slots[i] = Int32(starts.count - 1)
        pool.append(contentsOf: s)
        starts.append(pool.count)
        return true
    }

    @inlinable
    mutating func grow() {
        let cap = slots.count * 2
        slots = [Int32](repeating: -1, count: cap)
        mask = cap - 1
        for index in 0..<(starts.count - 1) {
            let h = pool.withUnsafeBufferPointer { buf in
                SignatureSet.hash(UnsafeBufferPointer(rebasing: buf[starts[index]..<starts[index + 1]]))
            }
            var i = h & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(index)
        }
    }
}
