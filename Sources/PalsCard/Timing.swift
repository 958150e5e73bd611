import PalsCore
import PalsModule
import PalsRuntime

#if canImport(Glibc)
    import Glibc
#endif

/// Mean and variance in one pass (Welford).
public struct RunningStats: Sendable, Equatable {
    /// The number of samples.
    public private(set) var count = 0
    /// The mean of the samples (0 before the first).
    public private(set) var mean = 0.0
    /// The largest sample (0 before the first).
    public private(set) var max = 0.0
    private var m2 = 0.0

    /// No samples yet.
    public init() {}

    /// The statistics of the samples `xs`.
    public init<S: Sequence>(_ xs: S) where S.Element == Double {
        for x in xs { add(x) }
    }

    /// Adds the sample `x`.
    public mutating func add(_ x: Double) {
        max = count == 0 ? x : Swift.max(max, x)
        count += 1
        let d = x - mean
        mean += d / Double(count)
        m2 += d * (x - mean)
    }

    /// The sample variance (n − 1 in the denominator); 0 below two samples.
    public var variance: Double { count > 1 ? m2 / Double(count - 1) : 0 }
}

/// Welch's t-statistic of two samples: (mean a − mean b) / √(var a/n a + var b/n b).
/// 0 when both samples are constant and equal; ±∞ when constant and unequal.
public func welchT(_ a: RunningStats, _ b: RunningStats) -> Double {
    let se = (a.variance / Double(max(a.count, 1)) + b.variance / Double(max(b.count, 1))).squareRoot()
    let d = a.mean - b.mean
    if se == 0 { return d == 0 ? 0 : (d > 0 ? .infinity : -.infinity) }
    return d / se
}

func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// A module that answers every command `budget` nanoseconds after it
/// arrived, whatever the work took: it sleeps until shortly before the
/// instant and waits busily for the rest, so the answer leaves at the
/// instant without a core spent spinning. A command whose work takes longer
/// is answered late and counted in `overruns`.
public final class FixedTimeLink: ModuleLink {
    /// The module whose answers are held back.
    public let inner: ModuleLink
    /// Nanoseconds from a command's arrival to its answer.
    public let budget: UInt64
    /// Commands whose work took longer than `budget`, answered late.
    public private(set) var overruns = 0
    /// The part of the wait spent spinning rather than asleep.
    static let spinNanoseconds: UInt64 = 200_000

    /// Holds `inner`'s answer to each command until `budgetNanoseconds` after
    /// the command arrived.
    public init(_ inner: ModuleLink, budgetNanoseconds: UInt64) {
        self.inner = inner
        self.budget = budgetNanoseconds
    }

    /// `inner`'s answer to `command`, returned when the budget has passed (at
    /// once if the work overran it).
    public func transmit(_ command: [UInt8]) throws(ModuleError) -> [UInt8] {
        let due = monotonicNanoseconds() + budget
        let r = try inner.transmit(command)
        let now = monotonicNanoseconds()
        if now > due {
            overruns += 1
            return r
        }
        // A sleep ends late by up to a scheduler tick: it stops 200 µs early.
        if due - now > Self.spinNanoseconds {
            var ts = timespec()
            let nap = due - now - Self.spinNanoseconds
            ts.tv_sec = Int(nap / 1_000_000_000)
            ts.tv_nsec = Int(nap % 1_000_000_000)
            nanosleep(&ts, nil)
        }
        while monotonicNanoseconds() < due {}
        return r
    }
}

/// A host-side link that times every module command it carries, by kind
/// (the instruction, and the round for ROUND OUT and ROUND IN).
final class TimedLink: ModuleLink {
    let inner: ModuleLink
    var record: (String, Double) -> Void = { _, _ in }

    init(_ inner: ModuleLink) { self.inner = inner }

    func transmit(_ command: [UInt8]) throws(ModuleError) -> [UInt8] {
        let start = monotonicNanoseconds()
        let r = try inner.transmit(command)
        let elapsed = Double(monotonicNanoseconds() - start)
        record(Self.kind(command), elapsed)
        return r
    }

    static func kind(_ command: [UInt8]) -> String {
        guard case .success(let c) = CommandAPDU.parse(command), let ins = ModuleInstruction(rawValue: c.ins) else {
            return "other"
        }
        let round = Bytes.read(UInt32.self, from: c.data, at: 0).map { Int($0) } ?? 0
        switch ins {
        case .begin: return "BEGIN"
        case .roundOut: return "ROUND OUT \(round)"
        case .roundIn: return "ROUND IN \(round)"
        case .result: return "RESULT"
        case .abort: return "ABORT"
        }
    }
}

/// The value p0's module draws, set per session.
final class TimingDraw: @unchecked Sendable {
    var value: UInt64 = 0
}

/// One class of a timing experiment: the inputs of the run and the value
/// p0's module draws from its generator (ρ in fair exchange).
public struct TimingClass: Sendable {
    /// The name reports show, e.g. `rho = 1`.
    public var name: String
    /// The hosts' inputs for one session (n of them), drawn from the
    /// experiment's generator.
    public var inputs: @Sendable (inout SplitMix64) -> [Int]
    /// What p0's module's generator returns in every session of this class
    /// (fair exchange draws ρ = 1 + random mod M).
    public var random: UInt64

    /// A class named `name` whose sessions take `inputs` and in which p0's
    /// module draws `random`.
    public init(name: String, random: UInt64 = 0, inputs: @escaping @Sendable (inout SplitMix64) -> [Int]) {
        self.name = name
        self.inputs = inputs
        self.random = random
    }
}

/// The statistic of one kind of command.
public struct TimingRow: Sendable {
    /// The command kind: `BEGIN`, `ROUND OUT r`, `ROUND IN r`, `RESULT`,
    /// `ABORT`, or `other`.
    public var kind: String
    /// The times of this command in the first class's sessions, in nanoseconds.
    public var a: RunningStats
    /// The times of this command in the second class's sessions, in
    /// nanoseconds.
    public var b: RunningStats
    /// APDUs and bytes (both ways, status words included) the card layer
    /// exchanged for one command of this kind, on average over both classes.
    public var apdus: Double = 0
    /// The bytes exchanged for one command of this kind, both ways, status
    /// words included, on average over both classes.
    public var bytes: Double = 0
    /// Welch's t of `a` against `b`; |t| above `TimingReport.threshold` is a
    /// leak.
    public var t: Double { welchT(a, b) }
}

/// The result of `TimingExperiment.run`: per command kind, the times of both
/// classes and their t.
public struct TimingReport: Sendable {
    /// The threshold of dudect: |t| above it is a leak.
    public static let threshold = 4.5
    /// The names of the two classes.
    public var classes: (String, String)
    /// The number of sessions run in each class.
    public var sessionsPerClass: Int
    /// Nanoseconds after its arrival at which p0's module answered each command
    /// (`FixedTimeLink`); nil when it answered as soon as it could.
    public var fixedBudgetNanoseconds: UInt64?
    /// Commands answered after the fixed-time budget ran out (0 without a
    /// budget).
    public var overruns: Int
    /// One row per command kind, in the order the kinds first occurred.
    public var rows: [TimingRow]
    /// The kinds whose |t| is above `threshold`.
    public var leaks: [String] { rows.filter { abs($0.t) > Self.threshold }.map(\.kind) }
}

/// Dudect-style timing of one module as its host sees it (Reparaz, Balasch,
/// Verbauwhede 2017): sessions of two input classes in random order, the
/// time of every command of p0's module measured at the host, through the
/// card layer (applet, chaining, GET RESPONSE), and Welch's t per command
/// kind. The module runs in this process: the measurement is of its
/// computation, free of the reader's noise.
public enum TimingExperiment {
    /// The two classes for a protocol: fair exchange in the fake-rounds
    /// mode, ρ = 1 against ρ = M (p0's module's secret draw); otherwise all
    /// inputs 0 against random inputs.
    public static func standardClasses<C: ModuleCodec>(_ model: RuntimeModel<C>, M: Int?) -> (TimingClass, TimingClass)
    {
        let n = model.n
        if let M, M >= 2 {
            let inputs = model.defaultInputs
            return (
                TimingClass(name: "rho = 1", random: 0) { _ in inputs },
                TimingClass(name: "rho = \(M)", random: UInt64(M - 1)) { _ in inputs }
            )
        }
        return (
            TimingClass(name: "inputs all 0") { _ in Array(repeating: 0, count: n) },
            TimingClass(name: "inputs random") { rng in (0..<n).map { _ in Int(rng.next() % 1_000_000) } }
        )
    }

    /// Runs `sessionsPerClass` sessions of each class, in an order drawn from
    /// `seed`, with every module in this process and p0's behind the card
    /// layer, and times every command of p0's module.
    /// - Parameters:
    ///   - fixedBudgetNanoseconds: when given, p0's module answers each command
    ///     this many nanoseconds after it arrived (`FixedTimeLink`).
    /// - Throws: a `PalsError` when fewer than 2 sessions per class are asked
    ///   for, a class gives other than n inputs, or a session fails.
    public static func run<C: ModuleCodec>(
        model: RuntimeModel<C>, classes: (TimingClass, TimingClass), sessionsPerClass: Int,
        fixedBudgetNanoseconds: UInt64?,
        seed: UInt64
    ) throws(PalsError) -> TimingReport {
        guard sessionsPerClass >= 2 else {
            throw PalsError(.invalidArgument, "at least 2 sessions per class, got \(sessionsPerClass)")
        }
        let n = model.n
        let keys = (0..<n).map { ModuleKey.generate(id: $0) }
        let roster = try Roster(peers: keys.map { Roster.Peer(id: $0.id, publicKey: $0.publicKey, address: nil) })
        // What p0's module draws, set per session.
        let draw = TimingDraw()
        let p0 = try SecurityModule(codec: model.codec, key: keys[0], roster: roster, random: { draw.value })
        var others: [SecurityModule<C>] = []
        for k in keys.dropFirst() { others.append(try SecurityModule(codec: model.codec, key: k, roster: roster)) }
        let fixed = fixedBudgetNanoseconds.map { FixedTimeLink(p0, budgetNanoseconds: $0) }
        let card: CardModuleLink
        do {
            card = try CardModuleLink(channel: AppletChannel(CardApplet(module: fixed ?? p0)))
        } catch {
            throw PalsError(.invalidArgument, "the card layer refused SELECT: \(error.message)")
        }
        let timed = TimedLink(card)
        var stats: [String: (RunningStats, RunningStats)] = [:]
        var order: [String] = []
        var currentClass = 0
        var traffic: [String: (apdus: Int, bytes: Int)] = [:]
        // SELECT is not a module command: counting starts after it.
        var seen = (apdus: card.apdus, bytes: card.bytesSent + card.bytesReceived)
        timed.record = { kind, ns in
            var pair = stats[kind] ?? (RunningStats(), RunningStats())
            if stats[kind] == nil { order.append(kind) }
            let now = (apdus: card.apdus, bytes: card.bytesSent + card.bytesReceived)
            let before = traffic[kind] ?? (0, 0)
            traffic[kind] = (before.apdus + now.apdus - seen.apdus, before.bytes + now.bytes - seen.bytes)
            seen = now
            if currentClass == 0 { pair.0.add(ns) } else { pair.1.add(ns) }
            stats[kind] = pair
        }
        var rng = SplitMix64(seed: seed)
        var left = [sessionsPerClass, sessionsPerClass]
        var session: UInt64 = 1
        let links: [ModuleLink] = [timed] + others
        while left[0] + left[1] > 0 {
            let c = left[0] == 0 ? 1 : left[1] == 0 ? 0 : Int(rng.next() & 1)
            left[c] -= 1
            currentClass = c
            let cls = c == 0 ? classes.0 : classes.1
            draw.value = cls.random
            let inputs = cls.inputs(&rng)
            guard inputs.count == n else {
                throw PalsError(.invalidArgument, "class \(cls.name) gives \(inputs.count) inputs for n = \(n)")
            }
            let cluster = try MemoryCluster(
                model: model, links: links, session: SessionID(session), inputs: inputs, adversary: .none)
            do {
                _ = try cluster.run()
            } catch {
                throw PalsError(.invalidArgument, "a timed session failed: \(error.message)")
            }
            session += 1
        }
        let rows = order.map { kind in
            let (a, b) = stats[kind] ?? (RunningStats(), RunningStats())
            let count = Double(max(1, a.count + b.count))
            let (apdus, bytes) = traffic[kind] ?? (0, 0)
            return TimingRow(kind: kind, a: a, b: b, apdus: Double(apdus) / count, bytes: Double(bytes) / count)
        }
        return TimingReport(
            classes: (classes.0.name, classes.1.name), sessionsPerClass: sessionsPerClass,
            fixedBudgetNanoseconds: fixedBudgetNanoseconds, overruns: fixed?.overruns ?? 0, rows: rows)
    }
}
