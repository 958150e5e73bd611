import Foundation
import PalsCore
import PalsZ3

/// Options of the symbolic bounded model checker.
public struct SymbolicOptions: Sendable {
    /// General omission (default) or crash-stop.
    public var faultModel: FaultModel = .generalOmission
    /// Wall-clock limit of each solver query, in seconds (nil: none). A query
    /// that hits it gives `unknown`, never `holds`.
    public var timeout: Double? = nil
    /// Restrict the faulty set to a subset of {p0 … p(t−1)}. Sound only for
    /// process-symmetric, data-independent protocols (`ProcessSymmetric`) with
    /// distinct inputs; the checker refuses it otherwise.
    public var symmetry: Bool = false
    /// The inputs, one per process (default 0, 1, …, n−1: distinct constants,
    /// which suffice for data-independent protocols).
    public var inputs: [Int]? = nil
    /// The Z3 solver of each query: bit-blasting straight to SAT by default
    /// (`Z3SolverKind.bitBlastSAT`), or Z3's solver for a logic, or its simple solver.
    public var solver: Z3SolverKind = .bitBlastSAT
    /// Shrink counterexamples with `Shrinker.shrink` on the concrete protocol.
    public var shrink: Bool = true
    /// Threads that replay the shrinker's candidates side by side (1: one at
    /// a time). The shrunk counterexample is the same for every value.
    public var shrinkThreads: Int = 1
    /// Stop at the first violated property: later properties are reported
    /// `unchecked` (a resilience table needs one counterexample per cell,
    /// and proving the remaining properties may cost far more than finding it).
    public var stopAtFirstViolation: Bool = false
    /// Called with a progress line (which property, solving or shrinking, for
    /// how long) about ten times a second while a property is checked; the
    /// caller decides which lines to show.
    public var progress: (@Sendable (String) -> Void)? = nil
    /// Polled about ten times a second while a property is checked; once it
    /// returns a reason (an interrupt, a memory budget) the running solver
    /// query is stopped (`Z3_interrupt`) and reported `unknown` with that
    /// reason, as is every later property, and the result carries it as
    /// `stopReason`. A counterexample being shrunk then stays the solver's
    /// (replayed, so still a true violation) and says so in its reason.
    public var stopReason: (@Sendable () -> String?)? = nil

    /// The defaults: general omission, no timeout, a free faulty set, inputs 0, 1, …, n−1, bit-blasting to SAT,
    /// shrinking on, every property queried.
    public init() {}
}

/// One solver statistic (Z3's key and value).
public struct SolverStatistic: Sendable, Equatable {
    /// The statistic's name as Z3 reports it (e.g. `sat conflicts`).
    public var key: String
    /// The statistic's value as Z3 reports it (a count, or an amount of time or memory).
    public var value: Double

    /// A statistic from Z3's key and value.
    public init(key: String, value: Double) {
        self.key = key
        self.value = value
    }
}

/// The verdict on one property.
public struct SymbolicVerdict: Sendable {
    /// The property's name, as the protocol declares it.
    public var name: String
    /// When the property is evaluated: always, at the horizon, or as a `sometimes` witness.
    public var kind: PropertyKind
    /// What the query, and the concrete replay of its model, concluded.
    public var status: Verdict
    /// Why the status is `unknown` or `internalDisagreement`.
    public var reason: String?
    /// For `violated`: the (shrunk) failure pattern of the counterexample; for
    /// `witnessed`: the witness's pattern; for `internalDisagreement`: the
    /// solver's pattern.
    public var pattern: FailurePattern?
    /// The pattern as the solver found it, before shrinking.
    public var solverPattern: FailurePattern?
    /// For `violated`: the round after which the concrete run of `pattern`
    /// fails the property.
    public var violatedAfterRound: Int?
    /// For `violated` and `witnessed`: the decisions of the concrete run of
    /// `pattern` (the counterexample file's form: nil = did not decide).
    public var decisions: [[Int?]?]?
    /// Wall-clock time of this property's query, replay and shrinking.
    public var seconds: Double
    /// Z3's statistics of this property's query.
    public var statistics: [SolverStatistic]
}

/// The result of checking every property of one protocol instance.
public struct SymbolicResult: Sendable {
    /// The number of processes.
    public var n: Int
    /// The largest number of faulty processes admitted.
    public var t: Int
    /// The rounds unrolled: the protocol's R.
    public var rounds: Int
    /// The inputs the run was checked with, `inputs[i]` for `p_i`.
    public var inputs: [Int]
    /// The fault model of the unrolling.
    public var faultModel: FaultModel
    /// Whether the faulty set was restricted to a subset of {p0 … p(t−1)}.
    public var symmetry: Bool
    /// One per property, in the order given.
    public var verdicts: [SymbolicVerdict]
    /// Total wall-clock time (building the formula included).
    public var seconds: Double
    /// Seconds spent building the unrolled formula.
    public var buildSeconds: Double
    /// Z3's statistics summed over all queries (maxima for memory keys), in
    /// order of first appearance.
    public var statistics: [SolverStatistic]
    /// Why the check stopped before deciding every property (`SymbolicOptions.stopReason`), or nil.
    public var stopReason: String? = nil

    /// violated if some property is violated; unknown if some query gave up
    /// or disagreed with the replay; holds otherwise (not-witnessed witnesses
    /// are reported per property but do not change it).
    public var verdict: Verdict { Verdict.combining(verdicts.map(\.status)) }
}

/// The symbolic bounded model checker (DESIGN §4).
///
/// It unrolls the protocol over `Symbolic` for all its rounds, with a faulty
/// bit per process (at most t true), crash variables (monotone, faulty only)
/// and one delivery bit per (round, link), forced true unless the fault model
/// allows dropping it. For each property it asks Z3 for a run that violates
/// it (for a `sometimes` witness: a run that satisfies it):
///
/// - UNSAT: the property holds in every admissible run (`holds`,
///   `notWitnessed`);
/// - SAT: the failure pattern is extracted from the model and replayed
///   through the reference semantics `simulate` on the *concrete* protocol;
///   if the replay does not show the same violation (same round, same
///   decisions), the verdict is `internalDisagreement`, never hidden.
///   Violations are then shrunk with `Shrinker.shrink`;
/// - unknown (timeout, give-up): `unknown` with Z3's reason, never `holds`.
///
/// Engines do not know protocols: the checker is generic over a symbolic
/// instance `P` and its concrete twin `C` (the same generic protocol code over
/// `Symbolic` and `Concrete`), with properties matched by name.
public struct SymbolicChecker<P: StateSelecting, C: RoundProtocol> where P.L == Symbolic, C.L == Concrete {
    /// The protocol instance over `Symbolic`, whose unrolling is queried.
    public let symbolic: P
    /// The same protocol instance over `Concrete`, which replays every model the solver finds.
    public let concrete: C
    /// The properties over the symbolic instance, one query each.
    public let properties: [Property<P>]
    /// The same properties over the concrete instance (same names and order), used by the replay.
    public let concreteProperties: [Property<C>]
    /// How the checker runs.
    public let options: SymbolicOptions
    /// The inputs checked: `options.inputs`, or 0, 1, …, n−1.
    public let inputs: [Int]

    /// - Parameters:
    ///   - symbolic: the instance over `Symbolic` (its `logic` owns the Z3
    ///     context, whose width must fit the inputs: see
    ///     `Symbolic.bits(forValuesBelow:)`).
    ///   - concrete: the same protocol instance over `Concrete`.
    ///   - properties / concreteProperties: the same properties, in the same
    ///     order, for both instances.
    public init(
        symbolic: P, concrete: C, properties: [Property<P>], concreteProperties: [Property<C>],
        options: SymbolicOptions = SymbolicOptions()
    ) throws(PalsError) {
        guard symbolic.n == concrete.n, symbolic.t == concrete.t, symbolic.rounds == concrete.rounds else {
            throw PalsError(
                .invalidArgument,
                "symbolic (n=\(symbolic.n), t=\(symbolic.t), R=\(symbolic.rounds)) and concrete (n=\(concrete.n), t=\(concrete.t), R=\(concrete.rounds)) instances differ"
            )
        }
        guard properties.map(\.name) == concreteProperties.map(\.name),
            properties.map(\.kind) == concreteProperties.map(\.kind)
        else {
            throw PalsError(.invalidArgument, "symbolic and concrete property lists differ")
        }
        let n = symbolic.n
        guard symbolic.t >= 0 && symbolic.t < n else {
            throw PalsError(.invalidArgument, "t = \(symbolic.t) is out of range: need 0 ≤ t < n = \(n)")
        }
        let inputs = options.inputs ?? Array(0..<n)
        guard inputs.count == n else {
            throw PalsError(.invalidArgument, "expected \(n) inputs, got \(inputs.count)")
        }
        for v in inputs where !symbolic.logic.canRepresent(v) {
            throw PalsError(
                .invalidArgument,
                "input \(v) does not fit the symbolic value width (\(symbolic.logic.valueBits) bits; inputs must be 0 ≤ v < \(Symbolic.bottomCode(symbolic.logic.valueBits)))"
            )
        }
        if options.symmetry {
            guard P.self is any ProcessSymmetric.Type, C.self is any ProcessSymmetric.Type else {
                throw PalsError(.invalidArgument, "symmetry reduction needs a process-symmetric protocol")
            }
            guard Set(inputs).count == n else {
                throw PalsError(.invalidArgument, "symmetry reduction needs distinct inputs")
            }
        }
        if let timeout = options.timeout, !(timeout > 0) {
            throw PalsError(.invalidArgument, "timeout must be positive, got \(timeout)")
        }
        self.symbolic = symbolic
        self.concrete = concrete
        self.properties = properties
        self.concreteProperties = concreteProperties
        self.options = options
        self.inputs = inputs
    }

    /// Checks every property. Throws `Z3Error` only when Z3 itself reports an
    /// error (a bug, or an exhausted resource), never for a verdict.
    public func run() throws -> SymbolicResult {
        let start = Stopwatch.now()
        let l = symbolic.logic
        let z = l.context
        let n = symbolic.n
        let t = symbolic.t
        let candidates = options.symmetry ? ProcessSet(0..<t) : ProcessSet.all(n)
        let env = SymbolicEnvironment.free(
            l, n: n, t: t, rounds: symbolic.rounds, model: options.faultModel, faultyCandidates: candidates)
        let run = SymbolicRun(symbolic, inputs: inputs.map { l.value($0) }, environment: env)
        let evaluations = properties.map { run.evaluations(of: $0) }
        try z.throwIfFailed()
        let buildSeconds = Stopwatch.now() - start

        var verdicts: [SymbolicVerdict] = []
        var totals: [SolverStatistic] = []
        var stopReason: String?
        for (k, property) in properties.enumerated() {
            if stopReason == nil, let reason = options.stopReason?() { stopReason = reason }
            if let stopReason {
                verdicts.append(
                    SymbolicVerdict(
                        name: property.name, kind: property.kind, status: .unknown, reason: stopReason, pattern: nil,
                        solverPattern: nil, violatedAfterRound: nil, decisions: nil, seconds: 0, statistics: []))
                continue
            }
            if options.stopAtFirstViolation && verdicts.contains(where: { $0.status == .violated }) {
                verdicts.append(
                    SymbolicVerdict(
                        name: property.name, kind: property.kind, status: .unchecked, reason: nil, pattern: nil,
                        solverPattern: nil, violatedAfterRound: nil, decisions: nil, seconds: 0, statistics: []))
                continue
            }
            let began = Stopwatch.now()
            let watch = QueryWatch(
                label: "symbolic n=\(n) t=\(t): \(property.name) (\(k + 1) of \(properties.count))",
                interrupter: z.interrupter, progress: options.progress, stopReason: options.stopReason)
            var verdict = try query(property, concreteProperties[k], evaluations[k], env: env, run: run, watch: watch)
            watch.finish()
            if let reason = watch.stopped { stopReason = reason }
            verdict.seconds = Stopwatch.now() - began
            verdicts.append(verdict)
            for s in verdict.statistics {
                if let i = totals.firstIndex(where: { $0.key == s.key }) {
                    totals[i].value =
                        s.key.contains("memory") ? max(totals[i].value, s.value) : totals[i].value + s.value
                } else {
                    totals.append(s)
                }
            }
        }
        return SymbolicResult(
            n: n, t: t, rounds: symbolic.rounds, inputs: inputs, faultModel: options.faultModel,
            symmetry: options.symmetry, verdicts: verdicts, seconds: Stopwatch.now() - start,
            buildSeconds: buildSeconds,
            statistics: totals, stopReason: stopReason)
    }

    /// One solver query for one property, with replay and shrinking.
    private func query(
        _ property: Property<P>, _ cproperty: Property<C>, _ evals: [(round: Int, holds: Z3Bool)],
        env: SymbolicEnvironment, run: SymbolicRun<P>, watch: QueryWatch
    ) throws -> SymbolicVerdict {
        let z = symbolic.logic.context
        let witness = property.kind == .sometimes
        // The goal: a run that violates the property (or satisfies the witness).
        let goal = witness ? z.or(evals.map(\.holds)) : z.or(evals.map { z.not($0.holds) })
        var verdict = SymbolicVerdict(
            name: property.name, kind: property.kind, status: .unknown, reason: nil, pattern: nil,
            solverPattern: nil, violatedAfterRound: nil, decisions: nil, seconds: 0, statistics: [])
        let solver = try Z3Solver(z, kind: options.solver)
        if let timeout = options.timeout { try solver.setTimeout(seconds: timeout) }
        for c in env.constraints { try solver.assert(c) }
        try solver.assert(goal)
        watch.begin(QueryWatch.solving)
        let answer = try solver.check()
        watch.begin("replaying the solver's run")
        if let reason = watch.stopped, answer != .unsat {
            // Stopped: an interrupted query answers unknown, and after an
            // interrupt the context is not asked for a model.
            verdict.reason = reason
            return verdict
        }
        verdict.statistics = try solver.statistics().map { SolverStatistic(key: $0.key, value: $0.value) }
        switch answer {
        case .unsat:
            verdict.status = witness ? .notWitnessed : .holds
            return verdict
        case .unknown(let reason):
            verdict.status = .unknown
            verdict.reason = reason
            return verdict
        case .sat:
            break
        }
        let model = try solver.model()
        let pattern = try env.pattern(in: model)
        verdict.solverPattern = pattern
        verdict.pattern = pattern
        let symbolicDecisions = try run.decisions.map { d -> [Int?]? in
            guard try model.bool(d.decided) else { return nil }
            return try d.value.map { v in
                let x = symbolic.logic.decode(try model.bitVector(v))
                return x == Concrete.bottomValue ? nil : x
            }
        }
        // Replay through the reference semantics.
        let trace: Trace<C>
        do {
            trace = try simulate(concrete, inputs: inputs, pattern: pattern, model: options.faultModel)
        } catch {
            verdict.status = .internalDisagreement
            verdict.reason = "the solver's failure pattern is rejected by simulate: \(error)"
            return verdict
        }
        let concreteDecisions = CounterexampleFile.decisions(trace.decisions)
        if concreteDecisions != symbolicDecisions {
            verdict.status = .internalDisagreement
            verdict.reason =
                "decisions differ: symbolic \(render(symbolicDecisions)), simulate \(render(concreteDecisions))"
            return verdict
        }
        if witness {
            guard cproperty.holds(concrete, trace.context(round: concrete.rounds)) else {
                verdict.status = .internalDisagreement
                verdict.reason = "the solver's witness does not satisfy \(property.name) when replayed by simulate"
                return verdict
            }
            verdict.status = .witnessed
            verdict.decisions = concreteDecisions
            return verdict
        }
        var firstRound: Int?
        for e in evals where !(try model.bool(e.holds)) {
            firstRound = e.round
            break
        }
        guard let after = trace.violation(of: cproperty, protocol: concrete) else {
            verdict.status = .internalDisagreement
            verdict.reason = "the solver's counterexample does not violate \(property.name) when replayed by simulate"
            return verdict
        }
        guard after == firstRound else {
            verdict.status = .internalDisagreement
            verdict.reason =
                "the solver's run violates \(property.name) after round \(firstRound.map(String.init) ?? "?"), the replay after round \(after)"
            return verdict
        }
        var final = pattern
        if options.shrink {
            watch.begin("shrinking the counterexample")
            let (proto, model, inputs) = (concrete, options.faultModel, inputs)
            final = Shrinker.normalize(pattern, rounds: proto.rounds)
            let threads = max(1, options.shrinkThreads)
            let fails = UncheckedSendable { (p: FailurePattern) -> Bool in
                Shrinker.violates(proto, cproperty, inputs: inputs, pattern: p, model: model) != nil
            }
            do {
                final = try Shrinker.shrink(
                    final, n: proto.n, t: proto.t, rounds: proto.rounds, model: model, batch: threads
                ) { (batch: [FailurePattern]) throws(ShrinkStopped) -> Int? in
                    if let reason = watch.stopped { throw ShrinkStopped(reason: reason) }
                    return firstFailing(batch, fails.value)
                }
            } catch {
                verdict.reason = "\(error.reason) while shrinking: the solver's counterexample, not the canonical one"
            }
        }
        let finalTrace = try simulate(concrete, inputs: inputs, pattern: final, model: options.faultModel)
        guard let finalAfter = finalTrace.violation(of: cproperty, protocol: concrete) else {
            verdict.status = .internalDisagreement
            verdict.reason = "the shrunk counterexample no longer violates \(property.name)"
            return verdict
        }
        verdict.status = .violated
        verdict.pattern = final
        verdict.violatedAfterRound = finalAfter
        verdict.decisions = CounterexampleFile.decisions(finalTrace.decisions)
        return verdict
    }

    private struct ShrinkStopped: Error {
        var reason: String
    }

    private func render(_ ds: [[Int?]?]) -> String {
        "["
            + ds.map { d in d.map { "[" + $0.map { $0.map(String.init) ?? "⊥" }.joined(separator: ",") + "]" } ?? "-" }
            .joined(separator: " ") + "]"
    }
}

/// Monotonic wall-clock time in seconds since an arbitrary origin.
enum Stopwatch {
    private static let origin = ContinuousClock.now
    static func now() -> Double {
        let d = origin.duration(to: .now).components
        return Double(d.seconds) + Double(d.attoseconds) / 1e18
    }
}

/// Watches one property's check from a thread of its own: about ten times a
/// second it passes a progress line (the property, what the check is doing,
/// for how long) to `progress`, and asks `stopReason`; the first reason it
/// gets interrupts the Z3 context if a query is running and stays in
/// `stopped`, which the checker reads once the query returns and the
/// shrinker's loop polls. `finish()` ends the thread before the checker goes
/// on, so no interrupt reaches a later query.
final class QueryWatch: @unchecked Sendable {
    private let condition = NSCondition()
    private let label: String
    private let interrupter: Z3Interrupter
    private let progress: (@Sendable (String) -> Void)?
    private let stopReason: (@Sendable () -> String?)?
    private var phase = "building"
    private var phaseStart = Stopwatch.now()
    private var reason: String?
    private var done = false
    private var running = false
    /// The phase in which a stop interrupts Z3.
    static let solving = "solving"

    init(
        label: String, interrupter: Z3Interrupter, progress: (@Sendable (String) -> Void)?,
        stopReason: (@Sendable () -> String?)?
    ) {
        self.label = label
        self.interrupter = interrupter
        self.progress = progress
        self.stopReason = stopReason
        guard progress != nil || stopReason != nil else { return }
        running = true
        Thread.detachNewThread { [self] in loop() }
    }

    /// The reason the check was stopped, once it was.
    var stopped: String? {
        condition.lock()
        defer { condition.unlock() }
        return reason
    }

    /// What the check does from now on (for the progress line).
    func begin(_ phase: String) {
        condition.lock()
        self.phase = phase
        phaseStart = Stopwatch.now()
        // A stop that came while the query was being built stops it at once.
        if phase == Self.solving && reason != nil { interrupter.interrupt() }
        condition.unlock()
    }

    /// Ends the watching thread and waits for it.
    func finish() {
        condition.lock()
        done = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        condition.lock()
        while !done {
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
            if done { break }
            let line = "\(label), \(phase) for \(Int(Stopwatch.now() - phaseStart)) s"
            let alreadyStopped = reason != nil
            condition.unlock()
            progress?(line)
            let why = alreadyStopped ? nil : stopReason?()
            condition.lock()
            if let why, reason == nil, !done {
                reason = why
                // Only a running query is interrupted: Z3's cancel flag
                // outlives the query, and the context must still answer for
                // the model of a query that returned before the stop.
                if phase == Self.solving { interrupter.interrupt() }
            }
        }
        running = false
        condition.broadcast()
        condition.unlock()
    }
}

/// A value handed to other threads whose use there is safe although its type
/// does not say so: here the shrinker's replay, a pure function of its
/// argument over value-typed protocols and properties.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The index of the first of `batch` that `fails`: all of them are judged at
/// once, one per thread, and the least failing index is taken, so the answer
/// is the one asking in order would give.
func firstFailing(_ batch: [FailurePattern], _ fails: @escaping (FailurePattern) -> Bool) -> Int? {
    if batch.count == 1 { return fails(batch[0]) ? 0 : nil }
    let judged = JudgedBatch(batch, fails)
    DispatchQueue.concurrentPerform(iterations: batch.count) { i in judged.judge(i) }
    return judged.verdicts.firstIndex(of: true)
}

/// One batch of the shrinker's candidates, each judged on a thread of its own
/// into its own slot (distinct elements of one buffer, no shared writes).
private final class JudgedBatch: @unchecked Sendable {
    let batch: [FailurePattern]
    let fails: (FailurePattern) -> Bool
    private let slots: UnsafeMutableBufferPointer<Bool>

    init(_ batch: [FailurePattern], _ fails: @escaping (FailurePattern) -> Bool) {
        self.batch = batch
        self.fails = fails
        slots = .allocate(capacity: batch.count)
        slots.initialize(repeating: false)
    }

    deinit { slots.deallocate() }

    func judge(_ i: Int) { slots[i] = fails(batch[i]) }

    /// The verdicts, once every `judge` has returned.
    var verdicts: [Bool] { Array(slots) }
}
