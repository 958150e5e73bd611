/// One run of a protocol: the reference semantics every engine, the runtime
/// and every backend must agree with.
public struct Trace<P: RoundProtocol> where P.L == Concrete {
    /// `inputs[i]`: the input of `p_i`.
    public let inputs: [Int]
    /// The failure pattern the run follows.
    public let pattern: FailurePattern
    /// `states[r][i]`: the state of `p_i` after round `r` (`r = 0` initial). A
    /// crashed process keeps the state it had when it crashed.
    public let states: [[P.State]]
    /// `messages[r-1][i][j]`: what `p_i` sent to `p_j` in round `r` (computed
    /// for crashed processes too; see `delivered`).
    public let messages: [[[P.Message]]]
    /// `delivered[r-1][j]`: the senders whose round-`r` message reached `p_j`.
    /// Empty for a process that is crashed in round `r`.
    public let delivered: [[ProcessSet]]
    /// `crashed[r]`: the processes crashed in a round ≤ `r`; index `R + 1`
    /// also holds those that crashed before deciding.
    public let crashed: [ProcessSet]
    /// What each process decided after round R.
    public let decisions: [Decision<Concrete>]

    /// A trace made of the given parts, as `simulate` assembles it; nothing is checked.
    @inlinable
    public init(
        inputs: [Int], pattern: FailurePattern, states: [[P.State]], messages: [[[P.Message]]],
        delivered: [[ProcessSet]], crashed: [ProcessSet], decisions: [Decision<Concrete>]
    ) {
        self.inputs = inputs
        self.pattern = pattern
        self.states = states
        self.messages = messages
        self.delivered = delivered
        self.crashed = crashed
        self.decisions = decisions
    }

    /// The number of rounds.
    public var rounds: Int { messages.count }
}

/// Runs `protocol` on `inputs` under `pattern` and returns the whole trace.
///
/// Semantics (DESIGN §1): in round r every process that has not crashed sends
/// one message to every process; `p_i`'s message to `p_j` arrives unless the
/// link is dropped, `p_i` crashes at a round ≤ r, or `p_j` does. Every process
/// that has not crashed then takes its step on the round's deliveries.
/// After round R every process that never crashed decides.
public func simulate<P: RoundProtocol>(
    _ proto: P, inputs: [Int], pattern: FailurePattern, model: FaultModel = .generalOmission
) throws(PalsError) -> Trace<P> where P.L == Concrete {
    let n = proto.n
    let rounds = proto.rounds
    guard inputs.count == n else {
        throw PalsError(.invalidArgument, "expected \(n) inputs, got \(inputs.count)")
    }
    if let bad = inputs.first(where: { $0 == Concrete.bottomValue }) {
        throw PalsError(.invalidArgument, "input \(bad) is reserved for ⊥")
    }
    try pattern.validate(n: n, t: proto.t, rounds: rounds, model: model)
    return simulateValidated(proto, inputs: inputs, pattern: pattern)
}

/// `simulate` without validation, for engines that construct admissible
/// patterns themselves.
@inlinable
public func simulateValidated<P: RoundProtocol>(
    _ proto: P, inputs: [Int], pattern: FailurePattern
) -> Trace<P> where P.L == Concrete {
    let n = proto.n
    let rounds = proto.rounds
    var crashAt = Array(repeating: Int.max, count: n)
    for c in pattern.crashes { crashAt[c.process] = c.round }
    let dropped = pattern.droppedSenders(n: n, rounds: rounds)
    var current = (0..<n).map { proto.initial(ProcessID($0), input: inputs[$0]) }
    var states = [current]
    var messages: [[[P.Message]]] = []
    var delivered: [[ProcessSet]] = []
    var crashed: [ProcessSet] = [ProcessSet()]
    states.reserveCapacity(rounds + 1)
    for r in stride(from: 1, through: rounds, by: 1) {
        var alive = ProcessSet()
        for i in 0..<n where crashAt[i] > r { alive.insert(i) }
        let sent = (0..<n).map { i in (0..<n).map { j in proto.message(current[i], round: r, to: ProcessID(j)) } }
        var arrivedAt: [ProcessSet] = []
        var next = current
        for j in 0..<n {
            guard alive.contains(j) else {
                arrivedAt.append(ProcessSet())
                continue
            }
            let arrived = alive.subtracting(dropped[r - 1][j])
            arrivedAt.append(arrived)
            let inbox = (0..<n).map { i in
                Delivery<P.Message, Concrete>(arrived: arrived.contains(i), message: sent[i][j])
            }
            next[j] = proto.receive(current[j], round: r, inbox: inbox)
        }
        current = next
        states.append(current)
        messages.append(sent)
        delivered.append(arrivedAt)
        crashed.append(ProcessSet.all(n).subtracting(alive))
    }
    var finalCrashed = ProcessSet()
    for i in 0..<n where crashAt[i] <= rounds + 1 { finalCrashed.insert(i) }
    crashed.append(finalCrashed)
    let decisions = (0..<n).map { i -> Decision<Concrete> in
        if finalCrashed.contains(i) { return Decision.none(n) }
        return proto.decision(current[i])
    }
    return Trace(
        inputs: inputs, pattern: pattern, states: states, messages: messages,
        delivered: delivered, crashed: crashed, decisions: decisions)
}

extension Trace {
    /// The property context after round `r` (`0 … R`).
    public func context(round r: Int) -> PropertyContext<P> {
        let n = inputs.count
        let horizon = r == rounds
        let crashedSet = horizon ? crashed[rounds + 1] : crashed[r]
        let undecided = Decision<Concrete>.none(n)
        return PropertyContext(
            round: r, inputs: inputs,
            faulty: (0..<n).map { pattern.faulty.contains($0) },
            crashed: (0..<n).map { crashedSet.contains($0) },
            states: states[r],
            decisions: horizon ? decisions : Array(repeating: undecided, count: n))
    }

    /// The first round after which `property` fails in this run, or nil.
    /// `always` properties are checked after every round, `atHorizon` ones
    /// after round R; `sometimes` witnesses are never "violated" by one run.
    public func violation(of property: Property<P>, protocol proto: P) -> Int? {
        switch property.kind {
        case .always:
            for r in 0...rounds where !property.holds(proto, context(round: r)) { return r }
            return nil
        case .atHorizon:
            return property.holds(proto, context(round: rounds)) ? nil : rounds
        case .sometimes:
            return nil
        }
    }
}
