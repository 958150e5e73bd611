import CPalsPrefetch
import Dispatch
import PalsCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One parent's product of successor lists (for one choice of crashes),
/// self-contained so that a worker thread can enumerate it without touching
/// the search's tables: the lists hold local indices, `ids` maps them to
/// local-state ids and `rows` holds each one's image under every renaming of
/// the group (`rows[local * groupSize + g]`).
@usableFromInline
struct ProductJob: Sendable {
    /// The parent's index in the previous layer.
    @usableFromInline var parent: UInt32
    /// `counts[q]`: the length of receiver q's list.
    @usableFromInline var counts: [Int]
    /// `succ[q * stride + k]`: the local index of the k-th successor of q.
    @usableFromInline var succ: [UInt32]
    @usableFromInline var ids: [UInt32]
    @usableFromInline var rows: [UInt32]
    @usableFromInline var stabilizer: Stabilizer
    /// For the k-th successor of a receiver q that some renaming maps to
    /// position 0 (index `q * stride + k`): the least image of it under the
    /// renamings that map q to 0 (`first`), and those renamings that give it
    /// (`firstRenamings[firstStart[i] ..< firstStart[i + 1]]`). The least
    /// renaming of a tuple begins with the least of these values over the
    /// tuple's positions, and only the renamings listed for that value can
    /// give it.
    @usableFromInline var first: [UInt32]
    @usableFromInline var firstStart: [Int32]
    @usableFromInline var firstRenamings: [Int32]

    @inlinable
    init(
        parent: UInt32, counts: [Int], succ: [UInt32], ids: [UInt32], rows: [UInt32], stabilizer: Stabilizer,
        first: [UInt32], firstStart: [Int32], firstRenamings: [Int32]
    ) {
        self.parent = parent
        self.counts = counts
        self.succ = succ
        self.ids = ids
        self.rows = rows
        self.stabilizer = stabilizer
        self.first = first
        self.firstStart = firstStart
        self.firstRenamings = firstRenamings
    }

    /// The number of tuples in the product (pruned or not).
    @inlinable var product: Int { counts.reduce(1, *) }
}

/// A unit of work for a worker: a run of jobs, or the tuples of one job
/// whose first digit lies in `firstDigits`.
@usableFromInline
struct ProductTask: Sendable {
    @usableFromInline var jobs: Range<Int>
    @usableFromInline var firstDigits: Range<Int>?

    @inlinable
    init(jobs: Range<Int>, firstDigits: Range<Int>?) {
        self.jobs = jobs
        self.firstDigits = firstDigits
    }
}

/// What a worker made of a task: the canonical successors in enumeration
/// order (`words` packed words each), their table hashes, and after each job
/// of the task the number of keys so far.
@usableFromInline
struct ProductOutput: Sendable {
    @usableFromInline var keys: [UInt64] = []
    @usableFromInline var hashes: [Int] = []
    @usableFromInline var jobEnds: [Int] = []
    /// Tuples built (for progress).
    @usableFromInline var tuples = 0

    @inlinable init() {}
}

/// The jobs of a run of consecutive parents, cut into tasks, and the tasks'
/// outputs as workers finish them.
@usableFromInline
struct ProductChunk: Sendable {
    @usableFromInline var jobs: [ProductJob] = []
    @usableFromInline var tasks: [ProductTask] = []
    @usableFromInline var outputs: [ProductOutput?] = []
    @usableFromInline var nextTask = 0
    /// Tasks whose outputs are in the next layer (and freed), in order.
    @usableFromInline var inserted = 0

    @inlinable init() {}

    /// Cuts the jobs into tasks of about `target` tuples: small jobs are
    /// grouped, a large one is split by its first digit.
    @inlinable
    mutating func cut(target: Int) {
        var start = 0
        var size = 0
        for (k, job) in jobs.enumerated() {
            let product = job.product
            if product > 4 * target && job.counts[0] > 1 {
                if start < k { tasks.append(ProductTask(jobs: start..<k, firstDigits: nil)) }
                let perDigit = max(1, product / job.counts[0])
                let step = max(1, target / perDigit)
                var a = 0
                while a < job.counts[0] {
                    let b = min(job.counts[0], a + step)
                    tasks.append(ProductTask(jobs: k..<(k + 1), firstDigits: a..<b))
                    a = b
                }
                start = k + 1
                size = 0
                continue
            }
            size += product
            if size >= target {
                tasks.append(ProductTask(jobs: start..<(k + 1), firstDigits: nil))
                start = k + 1
                size = 0
            }
        }
        if start < jobs.count { tasks.append(ProductTask(jobs: start..<jobs.count, firstDigits: nil)) }
        outputs = Array(repeating: nil, count: tasks.count)
    }
}

/// A job's arrays, borrowed for the duration of its enumeration.
@usableFromInline
struct JobView {
    @usableFromInline let counts: UnsafeBufferPointer<Int>
    @usableFromInline let succ: UnsafeBufferPointer<UInt32>
    @usableFromInline let ids: UnsafeBufferPointer<UInt32>
    @usableFromInline let rows: UnsafeBufferPointer<UInt32>
    @usableFromInline let elements: UnsafeBufferPointer<Int>
    @usableFromInline let start: UnsafeBufferPointer<Int>
    @usableFromInline let first: UnsafeBufferPointer<UInt32>
    @usableFromInline let firstStart: UnsafeBufferPointer<Int32>
    @usableFromInline let firstRenamings: UnsafeBufferPointer<Int32>

    @inlinable
    init(
        counts: UnsafeBufferPointer<Int>, succ: UnsafeBufferPointer<UInt32>, ids: UnsafeBufferPointer<UInt32>,
        rows: UnsafeBufferPointer<UInt32>, elements: UnsafeBufferPointer<Int>, start: UnsafeBufferPointer<Int>,
        first: UnsafeBufferPointer<UInt32>, firstStart: UnsafeBufferPointer<Int32>,
        firstRenamings: UnsafeBufferPointer<Int32>
    ) {
        self.counts = counts
        self.succ = succ
        self.ids = ids
        self.rows = rows
        self.elements = elements
        self.start = start
        self.first = first
        self.firstStart = firstStart
        self.firstRenamings = firstRenamings
    }

    /// Calls `body` with a view of `job`.
    @inlinable
    static func with<R>(_ job: ProductJob, _ body: (JobView) -> R) -> R {
        job.counts.withUnsafeBufferPointer { counts in
            job.succ.withUnsafeBufferPointer { succ in
                job.ids.withUnsafeBufferPointer { ids in
                    job.rows.withUnsafeBufferPointer { rows in
                        job.stabilizer.g.withUnsafeBufferPointer { elements in
                            job.stabilizer.start.withUnsafeBufferPointer { start in
                                job.first.withUnsafeBufferPointer { first in
                                    job.firstStart.withUnsafeBufferPointer { firstStart in
                                        job.firstRenamings.withUnsafeBufferPointer { firstRenamings in
                                            body(
                                                JobView(
                                                    counts: counts, succ: succ, ids: ids, rows: rows,
                                                    elements: elements, start: start, first: first,
                                                    firstStart: firstStart, firstRenamings: firstRenamings))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A worker's enumeration of products up to their stabilizers, and the
/// canonical form of each tuple built (the least renaming, on local-state
/// ids, over the group): the same tuples and forms as the search's own
/// `nextTuple` and `canonicalize`, read from a job's rows instead of the
/// search's image table. Its scratch space is its own (freed by `release`).
@usableFromInline
struct ProductWorker {
    @usableFromInline let n: Int
    @usableFromInline let words: Int
    @usableFromInline let stride: Int
    @usableFromInline let groupSize: Int
    /// `inverse[g * n + q]`: the process the g-th renaming maps to q.
    @usableFromInline let inverse: UnsafeMutablePointer<Int32>
    /// Raw successors already canonicalized in this round, when the group
    /// is large enough for that to pay (`rawCache`), up to `rawLimit`.
    @usableFromInline let rawCache: Bool
    @usableFromInline var rawTable: KeyTable
    @usableFromInline var rawSeen = RawKeys()
    @usableFromInline let rawLimit: Int
    @usableFromInline let digits: UnsafeMutablePointer<Int>
    @usableFromInline let tuple: UnsafeMutablePointer<UInt32>
    @usableFromInline let best: UnsafeMutablePointer<UInt32>
    @usableFromInline let candidate: UnsafeMutablePointer<UInt32>
    @usableFromInline let key: UnsafeMutablePointer<UInt64>
    /// The positions some renaming maps to position 0, in order.
    @usableFromInline let sources: UnsafeMutablePointer<Int>
    @usableFromInline let sourceCount: Int
    /// The shortest prefix `0 ..< prefixLength` of positions that every
    /// renaming maps onto itself, when shorter than n (0 otherwise): the
    /// least renaming of a tuple is then the least, on the positions after
    /// it, among the renamings that give the least prefix, and that prefix
    /// and those renamings depend only on the tuple's first digits.
    @usableFromInline let prefixLength: Int
    /// The least prefix for the digits `prefixDigits` of the current job
    /// (`prefixValid`), and the renamings that give it.
    @usableFromInline var prefixValid = false
    @usableFromInline let prefixDigits: UnsafeMutablePointer<Int>
    @usableFromInline let prefixBest: UnsafeMutablePointer<UInt32>
    @usableFromInline let prefixCandidates: UnsafeMutablePointer<Int32>
    @usableFromInline var prefixCandidateCount = 0

    @inlinable
    init(n: Int, stride: Int, groupSize: Int, inverseFlat: [Int32], rawCache: Bool, rawLimit: Int) {
        self.n = n
        words = (n + 1) / 2
        self.stride = stride
        self.groupSize = groupSize
        inverse = .allocate(capacity: max(1, inverseFlat.count))
        for (i, v) in inverseFlat.enumerated() { inverse[i] = v }
        var firstSources = Array(Set((0..<groupSize).map { Int(inverseFlat[$0 * n]) })).sorted()
        if firstSources.isEmpty { firstSources = [0] }
        sources = .allocate(capacity: firstSources.count)
        for (i, p) in firstSources.enumerated() { sources[i] = p }
        sourceCount = firstSources.count
        prefixLength = Self.closedPrefix(n: n, groupSize: groupSize, inverseFlat: inverseFlat)
        prefixDigits = .allocate(capacity: n)
        prefixDigits.initialize(repeating: 0, count: n)
        prefixBest = .allocate(capacity: n)
        prefixBest.initialize(repeating: 0, count: n)
        prefixCandidates = .allocate(capacity: max(1, groupSize))
        prefixCandidates.initialize(repeating: 0, count: max(1, groupSize))
        self.rawLimit = rawLimit
        self.rawCache = rawCache
        rawTable = KeyTable(words: (n + 1) / 2)
        if rawCache { rawTable.reset(expected: 1024) }
        digits = .allocate(capacity: n)
        digits.initialize(repeating: 0, count: n)
        tuple = .allocate(capacity: n)
        tuple.initialize(repeating: 0, count: n)
        best = .allocate(capacity: n)
        best.initialize(repeating: 0, count: n)
        candidate = .allocate(capacity: n)
        candidate.initialize(repeating: 0, count: n)
        key = .allocate(capacity: (n + 1) / 2)
        key.initialize(repeating: 0, count: (n + 1) / 2)
    }

    /// Frees the scratch space.
    @inlinable
    func release() {
        inverse.deallocate()
        digits.deallocate()
        tuple.deallocate()
        best.deallocate()
        candidate.deallocate()
        key.deallocate()
        sources.deallocate()
        prefixDigits.deallocate()
        prefixBest.deallocate()
        prefixCandidates.deallocate()
    }

    /// The least k in 1 ..< n such that every renaming maps the positions
    /// `0 ..< k` onto themselves, or 0 when there is none.
    @inlinable
    static func closedPrefix(n: Int, groupSize: Int, inverseFlat: [Int32]) -> Int {
        guard groupSize > 0 else { return 0 }
        for k in 1..<max(1, n) {
            var closed = true
            for g in 0..<groupSize where closed {
                for j in 0..<k where Int(inverseFlat[g * n + j]) >= k {
                    closed = false
                    break
                }
            }
            if closed { return k }
        }
        return 0
    }

    /// Forgets the raw successors of the previous round.
    @inlinable
    mutating func startRound() {
        guard rawCache else { return }
        rawTable.reset(expected: 1024)
        rawSeen = RawKeys()
    }

    /// Runs one task over `jobs`; `poll(tuples)` is called every 2^16 tuples
    /// with the tuples built since the last call and answers whether to stop.
    @inlinable
    mutating func run(_ task: ProductTask, of jobs: [ProductJob], poll: (Int) -> Bool) -> ProductOutput {
        var out = ProductOutput()
        var sincePoll = 0
        var stopped = false
        for k in task.jobs where !stopped {
            prefixValid = false
            JobView.with(jobs[k]) { job in
                let range = task.firstDigits ?? 0..<job.counts[0]
                var more = next(job, first: true, firstDigits: range)
                while more {
                    for q in 0..<n { tuple[q] = job.succ[q * stride + digits[q]] }
                    if emit(job) {
                        let keyBuffer = UnsafeBufferPointer(start: key, count: words)
                        out.hashes.append(KeyTable.hash(keyBuffer))
                        out.keys.append(contentsOf: keyBuffer)
                    }
                    out.tuples += 1
                    sincePoll += 1
                    if sincePoll == 1 << 16 {
                        if poll(sincePoll) {
                            stopped = true
                            break
                        }
                        sincePoll = 0
                    }
                    more = next(job, first: false, firstDigits: range)
                }
            }
            out.jobEnds.append(out.hashes.count)
        }
        if !stopped { _ = poll(sincePoll) }
        return out
    }

    /// Puts the canonical form of `tuple` (local indices) into `key`; false
    /// when the raw tuple was canonicalized before in this round (its form
    /// was emitted then).
    @inlinable
    mutating func emit(_ job: JobView) -> Bool {
        let n = self.n
        let words = self.words
        if rawCache && rawSeen.count < rawLimit {
            for w in 0..<words { key[w] = 0 }
            for q in 0..<n { key[q / 2] |= UInt64(job.ids[Int(tuple[q])]) << UInt64(32 * (q % 2)) }
            let fresh = rawTable.insert(UnsafeBufferPointer(start: key, count: words), parent: 0, into: &rawSeen).1
            if !fresh { return false }
        }
        if prefixLength > 0 { return emitSplit(job) }
        let count = groupSize
        let rows = job.rows
        let cur = tuple
        let inv = inverse
        var b = best
        var c = candidate
        // The least renaming begins with the least first value any renaming
        // gives; only the renamings listed for that value are compared.
        var least = UInt32.max
        for s in 0..<sourceCount {
            let p = sources[s]
            least = min(least, job.first[p * stride + digits[p]])
        }
        for j in 0..<n { b[j] = UInt32.max }
        for s in 0..<sourceCount {
            let p = sources[s]
            let d = p * stride + digits[p]
            if job.first[d] != least { continue }
            var a = Int(job.firstStart[d])
            let end = Int(job.firstStart[d + 1])
            while a < end {
                Self.keepLeast(
                    Int(job.firstRenamings[a]), positions: 0..<n, n: n, groupSize: count, rows: rows, tuple: cur,
                    inverse: inv, best: &b, candidate: &c)
                a += 1
            }
        }
        for w in 0..<words { key[w] = 0 }
        for q in 0..<n { key[q / 2] |= UInt64(b[q]) << UInt64(32 * (q % 2)) }
        return true
    }

    /// Compares the image of `tuple` under the g-th renaming with `best` on
    /// `positions`, giving up at the first position where it is greater;
    /// when it is less, it becomes `best` (the buffers are swapped).
    @inlinable @inline(__always)
    static func keepLeast(
        _ g: Int, positions: Range<Int>, n: Int, groupSize: Int, rows: UnsafeBufferPointer<UInt32>,
        tuple: UnsafeMutablePointer<UInt32>, inverse: UnsafeMutablePointer<Int32>,
        best b: inout UnsafeMutablePointer<UInt32>, candidate c: inout UnsafeMutablePointer<UInt32>
    ) {
        let invBase = g * n
        var less = false
        for j in positions {
            let v = rows[Int(tuple[Int(inverse[invBase + j])]) * groupSize + g]
            if !less {
                if v > b[j] { return }
                if v < b[j] { less = true }
            }
            c[j] = v
        }
        if less { swap(&b, &c) }
    }

    /// `emit` when the positions split at `prefixLength`: the least prefix
    /// and the renamings giving it are computed once per prefix digits of
    /// the job, then only the positions after it are compared.
    @inlinable
    mutating func emitSplit(_ job: JobView) -> Bool {
        let n = self.n
        let k = prefixLength
        var same = prefixValid
        if same {
            for j in 0..<k where prefixDigits[j] != digits[j] {
                same = false
                break
            }
        }
        if !same {
            leastPrefix(job)
            for j in 0..<k { prefixDigits[j] = digits[j] }
            prefixValid = true
        }
        let count = groupSize
        let rows = job.rows
        let cur = tuple
        let inv = inverse
        var b = best
        var c = candidate
        for j in k..<n { b[j] = UInt32.max }
        for a in 0..<prefixCandidateCount {
            Self.keepLeast(
                Int(prefixCandidates[a]), positions: k..<n, n: n, groupSize: count, rows: rows, tuple: cur,
                inverse: inv, best: &b, candidate: &c)
        }
        for w in 0..<words { key[w] = 0 }
        for q in 0..<k { key[q / 2] |= UInt64(prefixBest[q]) << UInt64(32 * (q % 2)) }
        for q in k..<n { key[q / 2] |= UInt64(b[q]) << UInt64(32 * (q % 2)) }
        return true
    }

    /// The least image of the current tuple's positions `0 ..< prefixLength`
    /// over the group (`prefixBest`), and every renaming that gives it
    /// (`prefixCandidates`). Position 0 first: only the renamings listed
    /// for the least first value can give the least prefix.
    @inlinable
    mutating func leastPrefix(_ job: JobView) {
        let n = self.n
        let k = prefixLength
        let count = groupSize
        let rows = job.rows
        let inv = inverse
        var least = UInt32.max
        for s in 0..<sourceCount {
            let p = sources[s]
            least = min(least, job.first[p * stride + digits[p]])
        }
        prefixCandidateCount = 0
        for s in 0..<sourceCount {
            let p = sources[s]
            let d = p * stride + digits[p]
            if job.first[d] != least { continue }
            var a = Int(job.firstStart[d])
            let end = Int(job.firstStart[d + 1])
            while a < end {
                let g = Int(job.firstRenamings[a])
                let invBase = g * n
                a += 1
                if prefixCandidateCount == 0 {
                    prefixBest[0] = least
                    for j in 1..<k { prefixBest[j] = rows[Int(tuple[Int(inv[invBase + j])]) * count + g] }
                    prefixCandidates[0] = Int32(g)
                    prefixCandidateCount = 1
                    continue
                }
                var order = 0
                var j = 1
                while j < k {
                    let v = rows[Int(tuple[Int(inv[invBase + j])]) * count + g]
                    if v != prefixBest[j] {
                        order = v < prefixBest[j] ? -1 : 1
                        break
                    }
                    j += 1
                }
                if order > 0 { continue }
                if order < 0 {
                    // A smaller prefix: it replaces the best from position j on.
                    while j < k {
                        prefixBest[j] = rows[Int(tuple[Int(inv[invBase + j])]) * count + g]
                        j += 1
                    }
                    prefixCandidateCount = 0
                }
                prefixCandidates[prefixCandidateCount] = Int32(g)
                prefixCandidateCount += 1
            }
        }
    }

    /// False when some element of the stabilizer closed at position q maps
    /// the prefix `0 … q` of the current tuple to a smaller one.
    @inlinable
    func prefixKept(_ q: Int, _ job: JobView) -> Bool {
        var k = job.start[q]
        let end = job.start[q + 1]
        while k < end {
            let g = job.elements[k]
            var c = 0
            while c <= q {
                let x = job.ids[Int(job.succ[c * stride + digits[c]])]
                let source = Int(inverse[g * n + c])
                let y = job.rows[Int(job.succ[source * stride + digits[source]]) * groupSize + g]
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

    /// Moves `digits` to the next tuple of `job`'s product (first digit in
    /// `firstDigits`) that is not pruned; false when none is left.
    @inlinable
    func next(_ job: JobView, first: Bool, firstDigits: Range<Int>) -> Bool {
        var q: Int
        if first {
            q = 0
            digits[0] = firstDigits.lowerBound
        } else {
            q = n - 1
            digits[q] += 1
        }
        let prune = !job.elements.isEmpty
        while true {
            if digits[q] >= (q == 0 ? firstDigits.upperBound : job.counts[q]) {
                if q == 0 { return false }
                q -= 1
                digits[q] += 1
                continue
            }
            if !prune || prefixKept(q, job) {
                if q == n - 1 { return true }
                q += 1
                digits[q] = 0
            } else {
                digits[q] += 1
            }
        }
    }
}

/// The raw successor keys a worker remembers (only their count and keys
/// matter; `KeyTable` indexes them).
@usableFromInline
struct RawKeys: LayerLike {
    @usableFromInline var keys: [UInt64] = []
    @usableFromInline var count = 0

    @inlinable init() {}

    @inlinable
    mutating func append(_ key: UnsafeBufferPointer<UInt64>, parent: UInt32) {
        keys.append(contentsOf: key)
        count += 1
    }
}

/// A mutex with a condition variable.
@usableFromInline
final class Monitor: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline let condition: UnsafeMutablePointer<pthread_cond_t>

    @inlinable
    init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    @inlinable func lock() { pthread_mutex_lock(mutex) }
    @inlinable func unlock() { pthread_mutex_unlock(mutex) }
    @inlinable func wait() { pthread_cond_wait(condition, mutex) }
    @inlinable func broadcast() { pthread_cond_broadcast(condition) }
}

/// Successor lists of a chunk's parents computed ahead of the stage that
/// builds its jobs, against a snapshot of the local-state table: for each
/// parent, each choice of crashes in order, the n list lengths and then the
/// lists. A parent whose expansion met a local state the snapshot lacks is
/// left to the building stage (`starts` −1), which then interns it in order.
@usableFromInline
struct PreExpansion: Sendable {
    @usableFromInline var lists: [UInt32] = []
    @usableFromInline var starts: [Int] = []

    @inlinable init() {}
}

/// The schedule of one round in four stages over chunks of parents:
/// expanding a chunk's parents against a snapshot of the local-state table
/// (any thread), building its jobs (one thread at a time, in chunk order,
/// since it extends the local-state table: the parents the first stage
/// could not expand, the images of every successor), enumerating and
/// canonicalizing the tasks' tuples (any thread, any task), and inserting
/// each task's output into the next layer as soon as the tasks before it
/// are in (one thread at a time, in chunk and task order), so that the
/// outputs waiting to be inserted stay few even when one chunk has
/// millions of tuples. The layer, its order and the local-state ids are those of
/// running the stages one after the other, whatever the number of threads.
@usableFromInline
final class RoundSchedule: @unchecked Sendable {
    @usableFromInline let monitor = Monitor()
    @usableFromInline var expansions: [PreExpansion?]
    @usableFromInline var chunks: [ProductChunk?]
    @usableFromInline let threads: Int
    /// Chunks started ahead of the last inserted one, at most.
    @usableFromInline let window: Int
    @usableFromInline var nextExpand = 0
    @usableFromInline var nextBuild = 0
    @usableFromInline var nextInsert = 0
    @usableFromInline var building = false
    @usableFromInline var inserting = false
    /// Tasks of built chunks not yet taken by a worker.
    @usableFromInline var available = 0
    @usableFromInline var stopped = false
    @usableFromInline var tuples = 0
    /// States in the next layer once the inserted chunks are in.
    @usableFromInline var insertedStates = 0

    @inlinable
    init(chunks: Int, threads: Int) {
        expansions = Array(repeating: nil, count: chunks)
        self.chunks = Array(repeating: nil, count: chunks)
        self.threads = threads
        window = 2 * threads + 2
    }

    /// Runs the stages on the calling thread until every chunk is inserted
    /// or `stop` says to stop. `insert(task, output, jobs)` returns the
    /// states of the next layer so far; `stop(tuples, inserted chunks, those
    /// states)` is called with the lock held.
    @inlinable
    func work(
        worker: inout ProductWorker,
        expand: (Int) -> PreExpansion,
        build: (Int, PreExpansion) -> ProductChunk,
        insert: (ProductTask, ProductOutput, [ProductJob]) -> Int,
        stop: (Int, Int, Int) -> Bool
    ) {
        monitor.lock()
        defer { monitor.unlock() }
        while !stopped && nextInsert < chunks.count {
            if !inserting, let ready = insertable() {
                let (index, task, jobs) = ready
                if index == nil {
                    // Every task of the chunk is in.
                    chunks[nextInsert] = nil
                    nextInsert += 1
                    monitor.broadcast()
                    continue
                }
                let c = nextInsert
                guard let i = index, let output = chunks[c]?.outputs[i] else {
                    preconditionFailure("Invalid state: a task to insert without output")
                }
                chunks[c]?.outputs[i] = nil
                inserting = true
                monitor.unlock()
                let states = insert(task, output, jobs)
                monitor.lock()
                insertedStates = states
                chunks[c]?.inserted += 1
                inserting = false
                monitor.broadcast()
                continue
            }
            if !building && nextBuild < chunks.count, let expansion = expansions[nextBuild] {
                building = true
                let c = nextBuild
                nextBuild += 1
                expansions[c] = nil
                monitor.unlock()
                let chunk = build(c, expansion)
                monitor.lock()
                chunks[c] = chunk
                available += chunk.tasks.count
                building = false
                monitor.broadcast()
                continue
            }
            let canExpand = nextExpand < chunks.count && nextExpand - nextInsert < window
            if canExpand && (available == 0 || nextExpand - nextBuild < threads) {
                expandNext(expand)
                continue
            }
            if available > 0 {
                var c = nextInsert
                while chunks[c].map({ $0.nextTask == $0.tasks.count }) ?? true { c += 1 }
                let (i, task, jobs): (Int, ProductTask, [ProductJob]) = {
                    guard let chunk = chunks[c] else { preconditionFailure("Invalid state: a task of no chunk") }
                    return (chunk.nextTask, chunk.tasks[chunk.nextTask], chunk.jobs)
                }()
                chunks[c]?.nextTask += 1
                available -= 1
                monitor.unlock()
                let output = worker.run(task, of: jobs) { count in
                    monitor.lock()
                    defer { monitor.unlock() }
                    tuples += count
                    if stop(tuples, nextInsert, insertedStates) { stopped = true }
                    return stopped
                }
                monitor.lock()
                chunks[c]?.outputs[i] = output
                monitor.broadcast()
                continue
            }
            if canExpand {
                expandNext(expand)
                continue
            }
            monitor.wait()
        }
        monitor.broadcast()
    }

    /// What the inserting stage can do next (called with the lock held):
    /// nil when nothing; `(nil, …)` when every task of the next chunk is in;
    /// otherwise the index of its next task, the task and the chunk's jobs.
    @inlinable
    func insertable() -> (Int?, ProductTask, [ProductJob])? {
        guard let c = chunks[nextInsert].map({ ($0.inserted, $0.tasks.count) }) else { return nil }
        if c.0 == c.1 { return (nil, ProductTask(jobs: 0..<0, firstDigits: nil), []) }
        guard let chunk = chunks[nextInsert], chunk.outputs[c.0] != nil else { return nil }
        return (c.0, chunk.tasks[c.0], chunk.jobs)
    }

    /// Expands the next chunk (called and returning with the lock held).
    @inlinable
    func expandNext(_ expand: (Int) -> PreExpansion) {
        let c = nextExpand
        nextExpand += 1
        monitor.unlock()
        let expansion = expand(c)
        monitor.lock()
        expansions[c] = expansion
        monitor.broadcast()
    }
}

/// The local-state table as the building stage last published it, for the
/// expanding stage to read.
@usableFromInline
final class LocalStateSnapshot<State: Hashable>: @unchecked Sendable {
    @usableFromInline let lock = NSLockLite()
    @usableFromInline var ids: [State: UInt32]
    @usableFromInline var states: [State]

    @inlinable
    init(ids: [State: UInt32], states: [State]) {
        self.ids = ids
        self.states = states
    }

    @inlinable
    func publish(ids: [State: UInt32], states: [State]) {
        lock.withLock {
            self.ids = ids
            self.states = states
        }
    }

    @inlinable
    func read() -> (ids: [State: UInt32], states: [State]) {
        lock.withLock { (ids, states) }
    }
}

extension Explorer.FaultySetSearch {
    /// The jobs of `previous`'s parents `parents` in round `r`: each parent
    /// (and, under crash-stop, each choice of crashes) expanded, products
    /// already seen in the round skipped, the stabilizer computed and the
    /// images of every successor under every renaming filled in.
    @inlinable
    mutating func buildChunk(
        _ parents: Range<Int>, of previous: Explorer.Layer, round r: Int, signatures: inout SignatureSet,
        scratch: inout StageScratch, pre: PreExpansion
    ) -> ProductChunk {
        var chunk = ProductChunk()
        let model = explorer.options.faultModel
        let g = groupSize
        for s in parents {
            var offset = pre.starts.count > s - parents.lowerBound ? pre.starts[s - parents.lowerBound] : -1
            var alive = ProcessSet()
            for q in 0..<n {
                scratch.current[q] = UInt32(
                    truncatingIfNeeded: previous.keys[s * words + q / 2] >> UInt64(32 * (q % 2)))
                if scratch.current[q] != crashedID { alive.insert(q) }
            }
            let crashPool = model == .crash ? alive.intersection(faulty).bits : 0
            var crashBits: UInt64 = 0
            repeat {
                let crashing = ProcessSet(bits: crashBits)
                crashBits = (crashBits &- crashPool) & crashPool
                if offset >= 0 {
                    for q in 0..<n { scratch.counts[q] = Int(pre.lists[offset + q]) }
                    offset += n
                    for q in 0..<n {
                        for k in 0..<scratch.counts[q] { scratch.succ[q * stride + k] = pre.lists[offset + k] }
                        offset += scratch.counts[q]
                    }
                } else {
                    expand(
                        scratch.current, round: r, crashing: crashing, partitionFirst: false, succ: &scratch.succ,
                        count: &scratch.counts)
                }
                var product = 1
                for q in 0..<n { product *= scratch.counts[q] }
                transitions += product
                scratch.signature.removeAll(keepingCapacity: true)
                for q in 0..<n {
                    scratch.signature.append(UInt32(scratch.counts[q]))
                    for k in 0..<scratch.counts[q] { scratch.signature.append(scratch.succ[q * stride + k]) }
                }
                if !scratch.signature.withUnsafeBufferPointer({ signatures.insert($0) }) { continue }
                var stabilizer = Stabilizer(n: n)
                self.stabilizer(of: scratch.current, crashing: crashing, into: &stabilizer)
                var ids: [UInt32] = []
                var rows: [UInt32] = []
                var local = [UInt32](repeating: 0, count: n * stride)
                for q in 0..<n {
                    for k in 0..<scratch.counts[q] {
                        let id = scratch.succ[q * stride + k]
                        if scratch.localOf.count <= Int(id) {
                            scratch.localOf.append(
                                contentsOf: repeatElement(-1, count: Int(id) + 1 - scratch.localOf.count))
                        }
                        if scratch.localOf[Int(id)] < 0 {
                            scratch.localOf[Int(id)] = Int32(ids.count)
                            ids.append(id)
                            if id == crashedID {
                                rows.append(contentsOf: repeatElement(crashedID, count: g))
                            } else {
                                for h in 0..<g where images[Int(id) * g + h] == unknownImage { _ = image(id, h) }
                                rows.append(contentsOf: images[(Int(id) * g)..<(Int(id) * g + g)])
                            }
                        }
                        local[q * stride + k] = UInt32(scratch.localOf[Int(id)])
                    }
                }
                for id in ids { scratch.localOf[Int(id)] = -1 }
                // Per successor of a receiver some renaming maps to position
                // 0: its least image under those renamings, and which give it.
                var first = [UInt32](repeating: UInt32.max, count: n * stride)
                var firstStart = [Int32](repeating: 0, count: n * stride + 1)
                var firstRenamings: [Int32] = []
                for q in 0..<n {
                    for k in 0..<stride {
                        let i = q * stride + k
                        firstStart[i] = Int32(firstRenamings.count)
                        guard k < scratch.counts[q] else { continue }
                        let row = Int(local[i]) * g
                        let mark = firstRenamings.count
                        var least = UInt32.max
                        for h in firstBlocks[q] {
                            let v = rows[row + Int(h)]
                            if v < least {
                                least = v
                                firstRenamings.removeSubrange(mark...)
                                firstRenamings.append(h)
                            } else if v == least {
                                firstRenamings.append(h)
                            }
                        }
                        first[i] = least
                    }
                }
                firstStart[n * stride] = Int32(firstRenamings.count)
                chunk.jobs.append(
                    ProductJob(
                        parent: UInt32(s), counts: scratch.counts, succ: local, ids: ids, rows: rows,
                        stabilizer: stabilizer, first: first, firstStart: firstStart, firstRenamings: firstRenamings))
            } while crashBits != 0
        }
        chunk.cut(target: taskTuples)
        return chunk
    }

    /// The successor lists of `previous`'s parents `parents` in round `r`
    /// against a snapshot of the local-state table (see `PreExpansion`).
    @inlinable
    static func preExpand(
        _ parents: Range<Int>, of previous: Explorer.Layer, round r: Int, expander: Explorer.PreExpander,
        snapshot: (ids: [P.State: UInt32], states: [P.State])
    ) -> PreExpansion {
        var out = PreExpansion()
        let stepper = expander.stepper
        let n = stepper.n
        let words = (n + 1) / 2
        let stride = expander.stride
        let crashPoolFaulty = stepper.model == .crash ? stepper.faulty.bits : 0
        for s in parents {
            var alive: UInt64 = 0
            for q in 0..<n {
                expander.current[q] = UInt32(
                    truncatingIfNeeded: previous.keys[s * words + q / 2] >> UInt64(32 * (q % 2)))
                if expander.current[q] != crashedID { alive |= UInt64(1) << UInt64(q) }
            }
            let start = out.lists.count
            let crashPool = alive & crashPoolFaulty
            var crashBits: UInt64 = 0
            var complete = true
            repeat {
                let crashing = ProcessSet(bits: crashBits)
                crashBits = (crashBits &- crashPool) & crashPool
                complete = expand(
                    expander.current, round: r, crashing: crashing, partitionFirst: false, stepper: stepper,
                    stride: stride, scratch: &expander.scratch, succ: &expander.succ, count: &expander.counts,
                    state: { snapshot.states[Int($0) - 1] }, resolve: { snapshot.ids[$0] })
                if !complete { break }
                for q in 0..<n { out.lists.append(UInt32(expander.counts[q])) }
                for q in 0..<n {
                    for k in 0..<expander.counts[q] { out.lists.append(expander.succ[q * stride + k]) }
                }
            } while crashBits != 0
            if complete {
                out.starts.append(start)
            } else {
                out.lists.removeSubrange(start...)
                out.starts.append(-1)
            }
        }
        return out
    }

    /// Breadth-first under full symmetry reduction, each round run by
    /// `RoundSchedule` on `threads` threads; the same layers, counts and
    /// first violations on any number of threads.
    @inlinable
    mutating func runStaged() -> Explorer.FaultySetRecord {
        let rounds = explorer.proto.rounds
        let words = self.words
        var table = KeyTable(words: words)
        var key = initialKey()
        var layer0 = Explorer.Layer()
        layer0.keys = key
        layer0.parents = [0]
        layer0.count = 1
        key.withUnsafeBufferPointer { check($0, round: 0, index: 0, horizon: rounds == 0) }
        var layers = [layer0]
        states = 1
        var largest = 1
        var signatures = SignatureSet()
        var scratch = StageScratch(n: n, stride: stride)
        let threads = max(1, self.threads)
        let workers = (0..<threads).map { _ in
            WorkerBox(
                ProductWorker(
                    n: n, stride: stride, groupSize: groupSize, inverseFlat: inverseFlat, rawCache: useRawCache,
                    rawLimit: Self.rawCacheLimit / threads))
        }
        let expanders = (0..<threads).map { _ in Explorer.PreExpander(stepper: stepper, stride: stride) }
        let snapshot = LocalStateSnapshot(ids: ids, states: localStates)
        var published = localStates.count
        let options = explorer.options
        let faulty = self.faulty
        var r = 1
        while r <= rounds && !shouldStop {
            let previous = layers[r - 1]
            table.reset(expected: previous.count * 4)
            // The building stage expands only what the snapshot could not;
            // each expanding thread's memo starts small and grows with use.
            memos[r].reset(expected: 1024)
            signatures.reset(expected: previous.count)
            for box in workers { box.worker.startRound() }
            for expander in expanders { expander.scratch.memo.reset(expected: min(previous.count, 1 << 16)) }
            var next = Explorer.Layer()
            let horizon = r == rounds
            let chunkParents = self.chunkParents
            let schedule = RoundSchedule(
                chunks: (previous.count + chunkParents - 1) / chunkParents, threads: threads)
            var stopReason: String? = nil
            let roundStart = ContinuousClock.now
            var lastReport = roundStart
            var lastTuples = 0
            var nextLook = 0
            let earlier = states
            let round = r
            withUnsafeMutablePointer(to: &self) { search in
                withUnsafeMutablePointer(to: &signatures) { signatures in
                    withUnsafeMutablePointer(to: &scratch) { scratch in
                        withUnsafeMutablePointer(to: &table) { table in
                            withUnsafeMutablePointer(to: &next) { next in
                                withUnsafeMutablePointer(to: &stopReason) { stopReason in
                                    func parents(_ c: Int) -> Range<Int> {
                                        (c * chunkParents)..<min(previous.count, (c + 1) * chunkParents)
                                    }
                                    let stages = RoundStages(
                                        expand: { w, c in
                                            Self.preExpand(
                                                parents(c), of: previous, round: round, expander: expanders[w],
                                                snapshot: snapshot.read())
                                        },
                                        build: { c, pre in
                                            let chunk = search.pointee.buildChunk(
                                                parents(c), of: previous, round: round, signatures: &signatures.pointee,
                                                scratch: &scratch.pointee, pre: pre)
                                            if search.pointee.localStates.count != published {
                                                published = search.pointee.localStates.count
                                                snapshot.publish(
                                                    ids: search.pointee.ids, states: search.pointee.localStates)
                                            }
                                            return chunk
                                        },
                                        insert: { task, output, jobs in
                                            Self.insert(
                                                task, output, jobs: jobs, words: words, table: &table.pointee,
                                                into: &next.pointee)
                                            return next.pointee.count
                                        },
                                        stop: { tuples, inserted, found in
                                            if tuples < nextLook { return false }
                                            nextLook = tuples + (1 << 16)
                                            let resident = ResourceGuard.residentBytes()
                                            if let reason = ResourceGuard.stopReason(options, resident: resident) {
                                                stopReason.pointee = reason
                                                return true
                                            }
                                            let now = ContinuousClock.now
                                            let elapsed = (now - lastReport).seconds
                                            if elapsed >= 1, let progress = options.progress {
                                                let rate = Double(tuples - lastTuples) / elapsed
                                                lastReport = now
                                                lastTuples = tuples
                                                progress(
                                                    roundProgressLine(
                                                        faulty: faulty, round: round, rounds: rounds,
                                                        expanded: min(previous.count, inserted * chunkParents),
                                                        parents: previous.count, newStates: found, successors: tuples,
                                                        rate: rate, resident: resident,
                                                        elapsed: (now - roundStart).seconds, earlier: earlier))
                                            }
                                            return false
                                        }, workers: workers)
                                    if threads == 1 {
                                        stages.work(0, schedule)
                                    } else {
                                        DispatchQueue.concurrentPerform(iterations: threads) { w in
                                            stages.work(w, schedule)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if let stopReason { self.stopReason = stopReason }
            next.keys.withUnsafeBufferPointer { keys in
                for index in 0..<next.count {
                    check(
                        UnsafeBufferPointer(rebasing: keys[(index * words)..<(index * words + words)]), round: r,
                        index: index, horizon: horizon)
                }
            }
            states += next.count
            largest = max(largest, next.count)
            layers.append(next)
            memos[r] = MemoTable(n: n)
            reportProgress(round: r)
            r += 1
        }
        key = []
        return record(layers: layers, largest: largest)
    }

    /// Inserts one task's output, in order, into the round's table and layer.
    @inlinable
    static func insert(
        _ task: ProductTask, _ output: ProductOutput, jobs: [ProductJob], words: Int, table: inout KeyTable,
        into next: inout Explorer.Layer
    ) {
        var batch = KeyBatch(words: words)
        var start = 0
        for (j, job) in task.jobs.enumerated() {
            let end = j < output.jobEnds.count ? output.jobEnds[j] : output.hashes.count
            let parent = jobs[job].parent
            output.keys.withUnsafeBufferPointer { keys in
                for i in start..<end {
                    batch.add(
                        UnsafeBufferPointer(rebasing: keys[(i * words)..<(i * words + words)]),
                        hash: output.hashes[i], table: table)
                    if batch.isFull { flush(&batch, table: &table, into: &next, parent: parent) }
                }
            }
            flush(&batch, table: &table, into: &next, parent: parent)
            start = end
        }
    }

    /// Inserts the batch's keys into the round's table in order, after
    /// loading the slots and stored keys their probes will read, and calls
    /// `inserted(key, index)` for each new one; empties the batch.
    @inlinable
    static func flush(
        _ batch: inout KeyBatch, table: inout KeyTable, into next: inout Explorer.Layer, parent: UInt32,
        inserted: (UnsafeBufferPointer<UInt64>, Int) -> Void = { _, _ in }
    ) {
        if batch.count == 0 { return }
        let words = batch.words
        // The slots were prefetched when the keys were added; now the keys
        // those slots point to.
        table.slots.withUnsafeBufferPointer { slots in
            next.keys.withUnsafeBufferPointer { keys in
                guard let keyBase = keys.baseAddress else { return }
                for b in 0..<batch.count {
                    let h = batch.hashes[b]
                    let slot = slots[h & table.mask]
                    if slot != 0
                        && slot & 0xFFFF_FFFF_0000_0000 == UInt64(UInt(bitPattern: h)) & 0xFFFF_FFFF_0000_0000
                    {
                        let index = Int(slot & 0xFFFF_FFFF) - 1
                        if (index + 1) * words <= keys.count { pals_prefetch(keyBase + index * words) }
                    }
                }
            }
        }
        batch.keys.withUnsafeBufferPointer { all in
            for b in 0..<batch.count {
                let key = UnsafeBufferPointer(rebasing: all[(b * words)..<(b * words + words)])
                let (index, new) = table.insert(key, hash: batch.hashes[b], parent: parent, into: &next)
                if new { inserted(key, index) }
            }
        }
        batch.count = 0
    }
}

extension Explorer {
    /// One thread's expanding stage: its own memo of `receive` per round and
    /// scratch space.
    @usableFromInline
    final class PreExpander: @unchecked Sendable {
        @usableFromInline let stepper: Stepper
        @usableFromInline let stride: Int
        @usableFromInline var scratch: ExpandScratch
        @usableFromInline var current: [UInt32]
        @usableFromInline var succ: [UInt32]
        @usableFromInline var counts: [Int]

        @inlinable
        init(stepper: Stepper, stride: Int) {
            self.stepper = stepper
            self.stride = stride
            scratch = ExpandScratch(n: stepper.n)
            current = [UInt32](repeating: 0, count: stepper.n)
            succ = [UInt32](repeating: 0, count: stepper.n * stride)
            counts = [Int](repeating: 0, count: stepper.n)
        }
    }
}

/// One thread's worker, shared by reference with the thread that runs it.
@usableFromInline
final class WorkerBox: @unchecked Sendable {
    @usableFromInline var worker: ProductWorker
    @inlinable init(_ worker: ProductWorker) { self.worker = worker }
    deinit { worker.release() }
}

/// The stages of a round as the threads of `RoundSchedule` call them. The
/// closures reach the search's state through pointers: the schedule lets
/// one thread at a time build and one thread at a time insert, the two
/// touch disjoint state, and the expanding stage reads only a published
/// snapshot and its own thread's memo (`expand(w, c)` on thread w).
@usableFromInline
final class RoundStages: @unchecked Sendable {
    @usableFromInline let expand: (Int, Int) -> PreExpansion
    @usableFromInline let build: (Int, PreExpansion) -> ProductChunk
    @usableFromInline let insert: (ProductTask, ProductOutput, [ProductJob]) -> Int
    @usableFromInline let stop: (Int, Int, Int) -> Bool
    @usableFromInline let workers: [WorkerBox]

    @inlinable
    init(
        expand: @escaping (Int, Int) -> PreExpansion, build: @escaping (Int, PreExpansion) -> ProductChunk,
        insert: @escaping (ProductTask, ProductOutput, [ProductJob]) -> Int,
        stop: @escaping (Int, Int, Int) -> Bool, workers: [WorkerBox]
    ) {
        self.expand = expand
        self.build = build
        self.insert = insert
        self.stop = stop
        self.workers = workers
    }

    /// Runs thread `w`'s share of the round.
    @inlinable
    func work(_ w: Int, _ schedule: RoundSchedule) {
        schedule.work(
            worker: &workers[w].worker, expand: { c in self.expand(w, c) }, build: build, insert: insert, stop: stop)
    }
}

/// Scratch space of the stage that builds jobs.
@usableFromInline
struct StageScratch {
    @usableFromInline var current: [UInt32]
    @usableFromInline var succ: [UInt32]
    @usableFromInline var counts: [Int]
    @usableFromInline var signature: [UInt32] = []
    /// `localOf[id]`: the local index of a local-state id in the job being
    /// built, −1 when it has none.
    @usableFromInline var localOf: [Int32] = []

    @inlinable
    init(n: Int, stride: Int) {
        current = [UInt32](repeating: 0, count: n)
        succ = [UInt32](repeating: 0, count: n * stride)
        counts = [Int](repeating: 0, count: n)
    }
}
