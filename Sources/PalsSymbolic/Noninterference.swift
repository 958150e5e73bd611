import PalsCore
import PalsZ3

/// A solver witness of interference: one failure pattern and two input
/// vectors that agree on the faulty processes, under which some faulty host
/// observes something different in some round.
public struct InterferenceWitness: Sendable {
    /// The failure pattern shared by both runs.
    public var pattern: FailurePattern
    /// The first run's inputs: the constants the check was given, `inputsA[i]` for `p_i`.
    public var inputsA: [Int]
    /// The second run's inputs from the solver's model; equal to `inputsA` at every faulty process.
    public var inputsB: [Int]
}

/// The outcome of `SymbolicNoninterference.run`.
public enum NoninterferenceVerdict: Sendable {
    /// UNSAT: for every admissible pattern and every pair of inputs allowed
    /// by the constraint, every faulty host observes the same.
    case holds
    /// SAT: two runs whose faulty hosts' observations differ, as the solver found them.
    case violated(InterferenceWitness)
    /// The solver gave up (timeout or incompleteness): nothing is claimed.
    case unknown(reason: String)
}

/// Noninterference by self-composition (seed §5, Definition 3, DESIGN §3):
/// two copies of a run of the same protocol over `Symbolic`, in one shared
/// environment (faulty set, crashes, lost messages); the first copy's inputs
/// are constants, the second's are free variables equal to the first's at
/// every faulty process and otherwise constrained only by `allowed`. The
/// query asks for a faulty host and a round in which the hosts' observations
/// (`HostObservation`) of the two copies differ.
public struct SymbolicNoninterference<P: StateSelecting & Observable> where P.L == Symbolic {
    /// The protocol instance over `Symbolic`, unrolled twice.
    public let proto: P
    /// The largest number of faulty processes admitted: the protocol's t.
    public let t: Int
    /// The first copy's inputs, `inputs[i]` for `p_i` (n values, none ⊥).
    public let inputs: [Int]
    /// Wall-clock limit of the solver query, in seconds (nil: none); hitting it gives `unknown`.
    public let timeout: Double?
    /// Extra constraints on the second copy's inputs (e.g. a range); the
    /// faulty processes' inputs are equal in both copies regardless.
    public let allowed: (Symbolic, _ faulty: [Z3Bool], _ b: [Z3BitVector]) -> Z3Bool

    /// A check of `proto` with the first copy's `inputs` and the second copy's inputs constrained by
    /// `allowed(logic, faulty, b)`; nothing is built until `run()`.
    public init(
        _ proto: P, inputs: [Int], timeout: Double? = nil,
        allowed: @escaping (Symbolic, [Z3Bool], [Z3BitVector]) -> Z3Bool
    ) {
        self.proto = proto
        self.t = proto.t
        self.inputs = inputs
        self.timeout = timeout
        self.allowed = allowed
    }

    /// Builds both unrolled runs and asks Z3 for a faulty host and a round whose observations differ.
    /// - Returns: `holds` on UNSAT, `violated` with the model's pattern and inputs on SAT, `unknown` when
    ///   the solver gives up.
    /// - Throws: `Z3Error` only when Z3 itself reports an error, never for a verdict.
    public func run() throws -> NoninterferenceVerdict {
        let l = proto.logic
        let z = l.context
        let n = proto.n
        let env = SymbolicEnvironment.free(
            l, n: n, t: t, rounds: proto.rounds, model: .generalOmission, faultyCandidates: ProcessSet.all(n))
        let a = inputs.map { l.value($0) }
        var b: [Z3BitVector] = []
        var constraints = env.constraints
        for i in 0..<n {
            let v = Z3BitVector(try z.constant("input_b_p\(i)", sort: z.bitVectorSort(l.valueBits)))
            b.append(v)
            constraints.append(l.not(l.isBottom(v)))
            constraints.append(l.implies(env.faulty[i], l.equal(v, a[i])))
        }
        constraints.append(allowed(l, env.faulty, b))
        let runA = SymbolicRun(proto, inputs: a, environment: env)
        let runB = SymbolicRun(proto, inputs: b, environment: env)
        var differs: [Z3Bool] = []
        for r in stride(from: 1, through: proto.rounds, by: 1) {
            let alive = env.crashedBy[r].map { l.not($0) }
            for h in 0..<n {
                let oa = HostObservation.of(
                    proto, host: h, round: r, before: runA.states[r - 1], after: runA.states[r][h], alive: alive)
                let ob = HostObservation.of(
                    proto, host: h, round: r, before: runB.states[r - 1], after: runB.states[r][h], alive: alive)
                differs.append(l.and(env.faulty[h], l.not(oa.same(as: ob, logic: l))))
            }
        }
        try z.throwIfFailed()
        let solver = try Z3Solver(z, logic: "QF_FD")
        if let timeout { try solver.setTimeout(seconds: timeout) }
        for c in constraints { try solver.assert(c) }
        try solver.assert(l.any(differs))
        switch try solver.check() {
        case .unsat:
            return .holds
        case .unknown(let reason):
            return .unknown(reason: reason)
        case .sat:
            let m = try solver.model()
            let pattern = try env.pattern(in: m)
            let inputsB = try b.map { l.decode(try m.bitVector($0)) }
            return .violated(InterferenceWitness(pattern: pattern, inputsA: inputs, inputsB: inputsB))
        }
    }
}
