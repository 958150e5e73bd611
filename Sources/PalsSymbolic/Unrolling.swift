import PalsCore
import PalsZ3

/// The environment of one symbolic run: which processes are faulty, when they
/// crash, which messages arrive, and the constraints that make exactly the
/// admissible failure patterns of a fault model satisfy them.
public struct SymbolicEnvironment {
    /// The number of processes.
    public let n: Int
    /// The rounds R the environment covers.
    public let rounds: Int
    /// `faulty[i]`: `p_i` is in the faulty set.
    public var faulty: [Z3Bool]
    /// `crashedBy[r][i]`: `p_i` crashed at a round ≤ r, for r = 0 … R + 1
    /// (`crashedBy[0]` is all false). Monotone in r.
    public var crashedBy: [[Z3Bool]]
    /// `delivered[r-1][i][j]`: the round-r link p_i → p_j is not dropped
    /// (crashes are accounted for separately). Self-links are `true`.
    public var delivered: [[[Z3Bool]]]
    /// What every admissible assignment satisfies.
    public var constraints: [Z3Bool]

    /// Free variables for every failure pattern of `model` with at most `t`
    /// faulty processes.
    ///
    /// - Parameter faultyCandidates: the processes that may be faulty (all of
    ///   them in general; `0 ..< t` under symmetry reduction, sound for
    ///   process-symmetric, data-independent protocols because a faulty process
    ///   may behave correctly).
    public static func free(
        _ logic: Symbolic, n: Int, t: Int, rounds: Int, model: FaultModel, faultyCandidates: ProcessSet
    ) -> SymbolicEnvironment {
        let z = logic.context
        let faulty: [Z3Bool] = (0..<n).map { i in
            faultyCandidates.contains(i) ? z.freshBool("faulty_p\(i)") : z.falseTerm
        }
        var constraints: [Z3Bool] = [z.atMost(t, faulty)]
        var crashedBy: [[Z3Bool]] = [Array(repeating: z.falseTerm, count: n)]
        for r in stride(from: 1, through: rounds + 1, by: 1) {
            var row: [Z3Bool] = []
            for i in 0..<n {
                guard faulty[i].constant != false else {
                    row.append(z.falseTerm)
                    continue
                }
                let c = z.freshBool("crashed_p\(i)_by_r\(r)")
                // Monotone: once crashed, crashed for good.
                constraints.append(z.or([z.not(crashedBy[r - 1][i]), c]))
                row.append(c)
            }
            crashedBy.append(row)
        }
        // Only faulty processes crash (monotonicity carries it to earlier rounds).
        for i in 0..<n { constraints.append(z.or([z.not(crashedBy[rounds + 1][i]), faulty[i]])) }
        var delivered: [[[Z3Bool]]] = []
        for r in stride(from: 1, through: rounds, by: 1) {
            var byFrom: [[Z3Bool]] = []
            for i in 0..<n {
                var row: [Z3Bool] = []
                for j in 0..<n {
                    if i == j {
                        row.append(z.trueTerm)
                        continue
                    }
                    // A link may be dropped only if an endpoint is faulty …
                    var mayDrop = z.or([faulty[i], faulty[j]])
                    if model == .crash {
                        // … and under crash-stop only in the round right
                        // before the sender's crash.
                        mayDrop = z.and([crashedBy[r + 1][i], z.not(crashedBy[r][i])])
                    }
                    if mayDrop.constant == false {
                        row.append(z.trueTerm)
                        continue
                    }
                    let d = z.freshBool("delivered_r\(r)_p\(i)_p\(j)")
                    constraints.append(z.or([d, mayDrop]))
                    row.append(d)
                }
                byFrom.append(row)
            }
            delivered.append(byFrom)
        }
        return SymbolicEnvironment(
            n: n, rounds: rounds, faulty: faulty, crashedBy: crashedBy, delivered: delivered,
            constraints: constraints)
    }

    /// The environment of one concrete failure pattern: every bit a constant.
    public static func fixed(_ logic: Symbolic, n: Int, rounds: Int, pattern: FailurePattern) -> SymbolicEnvironment {
        let z = logic.context
        let faulty = (0..<n).map { z.bool(pattern.faulty.contains($0)) }
        let crashedBy = (0...(rounds + 1)).map { r in
            (0..<n).map { i in z.bool((pattern.crashRound(of: i) ?? Int.max) <= r) }
        }
        let dropped = pattern.droppedSenders(n: n, rounds: rounds)
        let delivered = stride(from: 1, through: rounds, by: 1).map { r in
            (0..<n).map { i in (0..<n).map { j in z.bool(i == j || !dropped[r - 1][j].contains(i)) } }
        }
        return SymbolicEnvironment(
            n: n, rounds: rounds, faulty: faulty, crashedBy: crashedBy, delivered: delivered, constraints: [])
    }

    /// The failure pattern a model assigns, normalized: links that a crash
    /// already silences are left out.
    public func pattern(in m: Z3Model) throws -> FailurePattern {
        var faultySet = ProcessSet()
        for i in 0..<n where try m.bool(faulty[i]) { faultySet.insert(i) }
        var crashes: [Crash] = []
        var crashAt = Array(repeating: Int.max, count: n)
        for i in 0..<n {
            for r in stride(from: 1, through: rounds + 1, by: 1) where try m.bool(crashedBy[r][i]) {
                crashes.append(Crash(process: i, round: r))
                crashAt[i] = r
                break
            }
        }
        var drops: [Link] = []
        for r in stride(from: 1, through: rounds, by: 1) {
            for i in 0..<n {
                for j in 0..<n where i != j && crashAt[i] > r && crashAt[j] > r {
                    if try !m.bool(delivered[r - 1][i][j]) { drops.append(Link(round: r, from: i, to: j)) }
                }
            }
        }
        return FailurePattern(faulty: faultySet, crashes: crashes, drops: drops)
    }
}

/// One run of a protocol over `Symbolic`, unrolled for all its rounds in an
/// environment: the same generic protocol code `simulate` runs, with the same
/// semantics (DESIGN §1): p_i's round-r message reaches p_j iff the link is
/// not dropped and neither has crashed by round r; a crashed process keeps its
/// state and never decides (the protocol's `StateSelecting.select` keeps it
/// under a symbolic crash condition).
public struct SymbolicRun<P: StateSelecting> where P.L == Symbolic {
    /// The protocol instance over `Symbolic`.
    public let proto: P
    /// The environment (faulty set, crashes, deliveries) the run is unrolled in.
    public let environment: SymbolicEnvironment
    /// The inputs, `inputs[i]` for `p_i`: numerals or free variables.
    public let inputs: [Z3BitVector]
    /// `states[r][i]`: the state of p_i after round r (r = 0: initial).
    public let states: [[P.State]]
    /// The decisions after round R (a crashed process has not decided and has
    /// an all-⊥ vector, as in `simulate`).
    public let decisions: [Decision<Symbolic>]

    /// Unrolls `proto` from `inputs` for all its rounds in `env`.
    /// - Precondition: n inputs, and `env` built for the protocol's n and R.
    public init(
        _ proto: P, inputs: [Z3BitVector], environment env: SymbolicEnvironment
    ) {
        let n = proto.n
        let rounds = proto.rounds
        let l = proto.logic
        precondition(inputs.count == n && env.n == n && env.rounds == rounds, "environment does not fit the protocol")
        var current = (0..<n).map { proto.initial(ProcessID($0), input: inputs[$0]) }
        var states = [current]
        for r in stride(from: 1, through: rounds, by: 1) {
            let alive = env.crashedBy[r].map { l.not($0) }
            let sent = (0..<n).map { i in (0..<n).map { j in proto.message(current[i], round: r, to: ProcessID(j)) } }
            var next = current
            for j in 0..<n where alive[j].constant != false {
                let inbox = (0..<n).map { i in
                    Delivery<P.Message, Symbolic>(
                        arrived: l.all([env.delivered[r - 1][i][j], alive[i], alive[j]]), message: sent[i][j])
                }
                let stepped = proto.receive(current[j], round: r, inbox: inbox)
                next[j] = alive[j].constant == true ? stepped : proto.select(alive[j], stepped, current[j])
            }
            current = next
            states.append(current)
        }
        let finalCrashed = env.crashedBy[rounds + 1]
        let decisions = (0..<n).map { i -> Decision<Symbolic> in
            let d = proto.decision(current[i])
            let gone = finalCrashed[i]
            return Decision(
                decided: l.and(l.not(gone), d.decided),
                value: d.value.map { l.select(gone, l.bottom, $0) })
        }
        self.proto = proto
        self.environment = env
        self.inputs = inputs
        self.states = states
        self.decisions = decisions
    }

    /// The property context after round `r` (0 … R), exactly as
    /// `Trace.context(round:)` builds it for a concrete run.
    public func context(round r: Int) -> PropertyContext<P> {
        let n = proto.n
        let l = proto.logic
        let horizon = r == proto.rounds
        let undecided = Decision<Symbolic>(decided: l.no, value: Array(repeating: l.bottom, count: n))
        return PropertyContext(
            round: r, inputs: inputs, faulty: environment.faulty,
            crashed: horizon ? environment.crashedBy[proto.rounds + 1] : environment.crashedBy[r],
            states: states[r],
            decisions: horizon ? decisions : Array(repeating: undecided, count: n))
    }

    /// `holds(r)` for every round r at which a property of `kind` is
    /// evaluated: 0 … R for `always`, R for `atHorizon` and `sometimes`.
    public func evaluations(of property: Property<P>) -> [(round: Int, holds: Z3Bool)] {
        let rounds: [Int] = property.kind == .always ? Array(0...proto.rounds) : [proto.rounds]
        return rounds.map { r in (r, property.holds(proto, context(round: r))) }
    }
}
