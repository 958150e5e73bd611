import PalsCore
import Testing

@testable import PalsExplorer

/// The full search fills its batches of successor keys with an odometer
/// (`KeyBatch.fillProduct`) and builds each loss pattern's memo key by
/// clearing fields of the whole inbox's key (`MemoTable.fields`): both must
/// give exactly what the straightforward constructions give.
@Suite struct ProductBatchTests {
    /// Every tuple of the product, the last position fastest, packed two
    /// 32-bit ids per word.
    static func expectedKeys(counts: [Int], succ: [UInt32], stride: Int) -> [[UInt64]] {
        let n = counts.count
        var out: [[UInt64]] = []
        var digits = [Int](repeating: 0, count: n)
        while true {
            var key = [UInt64](repeating: 0, count: (n + 1) / 2)
            for q in 0..<n { key[q / 2] |= UInt64(succ[q * stride + digits[q]]) << UInt64(32 * (q % 2)) }
            out.append(key)
            var q = n - 1
            while q >= 0 {
                digits[q] += 1
                if digits[q] < counts[q] { break }
                digits[q] = 0
                q -= 1
            }
            if q < 0 { return out }
        }
    }

    /// Products of 1, 15, 16, 17 and hundreds of tuples (batch boundaries
    /// included), for n = 1 … 7: the keys, their order, their hashes, and
    /// the end of the product.
    @Test func batchesEnumerateTheWholeProductInOrder() {
        var rng = SplitMix64(seed: 7)
        let shapes: [[Int]] = [
            [1], [1, 1, 1], [15], [16], [17], [4, 4], [2, 1, 8], [1, 3, 1, 1, 6],
            [2, 2, 2, 2, 2, 2], [3, 1, 2, 2, 1, 3, 2], [16, 1, 1, 2],
        ]
        for counts in shapes {
            let n = counts.count
            let stride = 17
            var succ = [UInt32](repeating: 0, count: n * stride)
            for i in succ.indices { succ[i] = UInt32(truncatingIfNeeded: rng.next() >> 33) | 1 }
            let expected = Self.expectedKeys(counts: counts, succ: succ, stride: stride)
            var table = KeyTable(words: (n + 1) / 2)
            table.reset(expected: 16)
            var batch = KeyBatch(words: (n + 1) / 2)
            var digits = [Int](repeating: 0, count: n)
            var got: [[UInt64]] = []
            var exhausted = false
            var batches = 0
            while !exhausted {
                exhausted = batch.fillProduct(
                    digits: &digits, counts: counts, succ: succ, stride: stride, n: n, table: table)
                batches += 1
                #expect(batch.count >= 1 && batch.count <= KeyBatch.capacity, "\(counts): batch size")
                #expect(exhausted || batch.count == KeyBatch.capacity, "\(counts): only the last batch is short")
                for b in 0..<batch.count {
                    let key = Array(batch.keys[(b * batch.words)..<((b + 1) * batch.words)])
                    #expect(batch.hashes[b] == key.withUnsafeBufferPointer { KeyTable.hash($0) }, "\(counts): hash")
                    got.append(key)
                }
                batch.count = 0
            }
            #expect(got == expected, "\(counts): the product in odometer order")
            #expect(batches == (expected.count + KeyBatch.capacity - 1) / KeyBatch.capacity, "\(counts): batches")
            #expect(digits == [Int](repeating: 0, count: n), "\(counts): digits back at the first tuple")
        }
    }

    /// A loss pattern's key, built by clearing the dropped senders' fields of
    /// the whole inbox's key, equals the key built field by field from the
    /// senders that arrive; the word-at-a-time hash equals `KeyTable.hash`.
    @Test func maskKeysEqualKeysBuiltFromTheSendersHeard() {
        var rng = SplitMix64(seed: 11)
        for n in 1...12 {
            let memo = MemoTable(n: n)
            for _ in 0..<200 {
                let ids = (0..<n).map { _ in UInt64(rng.next() % 0xFFFE) + 1 }
                let q = Int(rng.next() % UInt64(n))
                let heard = rng.next() & ((UInt64(1) << UInt64(n)) - 1)
                let dropped = rng.next() & heard
                var whole = [UInt64](repeating: 0, count: memo.words)
                var direct = [UInt64](repeating: 0, count: memo.words)
                for j in 0..<n where heard >> UInt64(j) & 1 == 1 {
                    let (w, shift) = MemoTable.field(j)
                    whole[w] |= ids[j] << shift
                    if dropped >> UInt64(j) & 1 == 0 { direct[w] |= ids[j] << shift }
                }
                let (qw, qshift) = MemoTable.field(n)
                whole[qw] |= UInt64(q + 1) << qshift
                direct[qw] |= UInt64(q + 1) << qshift
                var h = KeyTable.hashSeed
                var cleared: [UInt64] = []
                for w in 0..<memo.words {
                    let word = whole[w] & ~MemoTable.fields(dropped >> UInt64(4 * w))
                    cleared.append(word)
                    h = KeyTable.hashStep(h, word)
                }
                #expect(cleared == direct, "n = \(n): the cleared key")
                #expect(
                    KeyTable.hashFinish(h) == direct.withUnsafeBufferPointer { KeyTable.hash($0) }, "n = \(n): hash")
            }
        }
    }

    /// `fields` names exactly the 16-bit fields of the bits set.
    @Test func fieldsSpreadFourBits() {
        for b in 0..<16 {
            var expected: UInt64 = 0
            for k in 0..<4 where b >> k & 1 == 1 { expected |= UInt64(0xFFFF) << UInt64(16 * k) }
            #expect(MemoTable.fields(UInt64(b)) == expected, "bits \(b)")
            #expect(MemoTable.fields(UInt64(b) | 0xF0) == expected, "bits above the low four are ignored")
        }
    }
}
