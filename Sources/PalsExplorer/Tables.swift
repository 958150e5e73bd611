/// Memoized receive results of one round: fixed-width keys with a 32-bit
/// value stored inline (one probe touches one cache line). A key is never
/// all zero in its last word (it holds the receiver + 1), which marks empty
/// slots.
@usableFromInline
struct MemoTable {
    @usableFromInline static let missing = UInt32.max
    @usableFromInline let words: Int
    @usableFromInline var slots: [UInt64] = []
    @usableFromInline var mask = 0
    @usableFromInline var count = 0

    @inlinable init(words: Int) { self.words = words }

    @inlinable
    mutating func reset(expected: Int) {
        var cap = 1024
        while cap < expected * 2 { cap <<= 1 }
        slots = [UInt64](repeating: 0, count: cap * (words + 1))
        mask = cap - 1
        count = 0
    }

    @inlinable
    func find(_ key: UnsafeBufferPointer<UInt64>) -> UInt32 {
        let stride = words + 1
        var i = KeyTable.hash(key) & mask
        return slots.withUnsafeBufferPointer { buf in
            while true {
                let base = i * stride
                if buf[base + words - 1] == 0 { return MemoTable.missing }
                var equal = true
                for w in 0..<words where buf[base + w] != key[w] {
                    equal = false
                    break
                }
                if equal { return UInt32(truncatingIfNeeded: buf[base + words]) }
                i = (i + 1) & mask
            }
        }
    }

    /// Inserts a key known to be absent.
    @inlinable
    mutating func insert(_ key: UnsafeBufferPointer<UInt64>, value: UInt32) {
        if (count + 1) * 10 > (mask + 1) * 7 { grow() }
        let stride = words + 1
        var i = KeyTable.hash(key) & mask
        let words = self.words
        let mask = self.mask
        slots.withUnsafeMutableBufferPointer { buf in
            while buf[i * stride + words - 1] != 0 { i = (i + 1) & mask }
            for w in 0..<words { buf[i * stride + w] = key[w] }
            buf[i * stride + words] = UInt64(value)
        }
        count += 1
    }

    @inlinable
    mutating func grow() {
        let old = slots
        let oldCap = mask + 1
        let stride = words + 1
        slots = [UInt64](repeating: 0, count: oldCap * 2 * stride)
        mask = oldCap * 2 - 1
        count = 0
        old.withUnsafeBufferPointer { buf in
            for i in 0..<oldCap where buf[i * stride + words - 1] != 0 {
                let key = UnsafeBufferPointer(rebasing: buf[(i * stride)..<(i * stride + words)])
                insert(key, value: UInt32(truncatingIfNeeded: buf[i * stride + words]))
            }
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
