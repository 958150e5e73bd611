import PalsCore
import PalsModule

/// n hosts and their modules in one process, over a deterministic in-memory
/// transport: each host is a `HostController`, as over TCP; envelopes are
/// delivered in the order they are sent, and a round's deadline comes when
/// nothing more is in flight. Rounds advance when `step` is called; nothing
/// depends on time. Used by tests and by the memory campaign.
public final class MemoryCluster<C: ModuleCodec> {
    /// The instance the cluster runs.
    public let model: RuntimeModel<C>
    /// The session id of the run.
    public let session: SessionID
    /// The input of each process, p0…p(n-1).
    public let inputs: [Int]
    /// The adversary the hosts carry out.
    public let adversary: AdversaryPlan
    /// Rewrites (or, returning nil, removes) a frame in transit:
    /// `(round, from, to, frame)`. For tests of forged and replayed frames.
    public var tamper: ((Int, Int, Int, [UInt8]) -> [UInt8]?)?

    private let clients: [ModuleClient]
    private var hosts: [HostController]
    private var logs: [PeerLog?]
    private var queue: [(host: Int, event: HostController.Event)] = []
    private var parked: [(host: Int, call: HostController.ModuleCall)] = []
    /// Module calls of later rounds wait until `step` reaches them.
    private var limit = 0
    /// The last round run, 0 before the first `step`.
    public private(set) var round = 0

    /// - Parameter links: one module link per process (in-process modules or pipes).
    public init(
        model: RuntimeModel<C>, links: [ModuleLink], session: SessionID, inputs: [Int], adversary: AdversaryPlan
    ) throws(PalsError) {
        guard links.count == model.n, inputs.count == model.n else {
            throw PalsError(
                .invalidArgument, "need \(model.n) modules and inputs, got \(links.count) and \(inputs.count)")
        }
        try adversary.pattern.validate(n: model.n, t: model.t, rounds: model.rounds)
        self.model = model
        self.session = session
        self.inputs = inputs
        self.adversary = adversary
        self.clients = links.map { ModuleClient($0) }
        let all = ProcessSet.all(model.n)
        self.hosts = (0..<model.n).map { i in
            HostController(
                id: i, n: model.n, rounds: model.rounds, session: session, instance: model.codec.instanceName,
                input: inputs[i], plan: adversary, connected: all.subtracting(ProcessSet([i])))
        }
        self.logs = Array(repeating: nil, count: model.n)
    }

    /// True once every round has run (`finish` is still to come).
    public var isFinished: Bool { round == model.rounds }

    /// What host `i` counted (envelopes stored and dropped).
    public func counters(of i: Int) -> HostCounters { hosts[i].counters }

    /// Starts the session in every module.
    public func begin() throws(ModuleError) {
        for i in 0..<model.n { queue.append((i, .begin)) }
        drain()
    }

    /// Runs one round: every live module seals its frames, the adversary and
    /// `tamper` act, every live module receives (a round's deadline comes
    /// when nothing is in flight any more).
    public func step() throws(ModuleError) {
        precondition(round < model.rounds, "step after the last round")
        let r = round + 1
        limit = r
        if r == 1 {
            for i in 0..<model.n { queue.append((i, .start)) }
        }
        unpark()
        drain()
        for i in 0..<model.n where hosts[i].currentRound == r && !hosts[i].isFinished {
            queue.append((i, .deadline(round: r)))
            drain()
        }
        round = r
    }

    /// After the last round: collects results and returns the run's trace.
    public func finish() throws(ModuleError) -> RunTrace {
        while round < model.rounds { try step() }
        limit = model.rounds + 1
        unpark()
        drain()
        let final = (0..<model.n).map { i in logs[i] ?? hosts[i].log }
        return RunTrace(
            protocolName: model.protocolName, variant: model.variant, n: model.n, t: model.t, rounds: model.rounds,
            instance: model.codec.instanceName, session: session, inputs: inputs, adversary: adversary, logs: final)
    }

    /// `begin`, every round, `finish`.
    public func run() throws(ModuleError) -> RunTrace {
        try begin()
        while !isFinished { try step() }
        return try finish()
    }

    private func unpark() {
        let ready = parked.filter { allowed($0.call) }
        parked.removeAll { allowed($0.call) }
        for p in ready { queue.append((p.host, .moduleAnswered(clients[p.host].answer(p.call)))) }
    }

    private func allowed(_ call: HostController.ModuleCall) -> Bool {
        switch call {
        case .roundOut(let r): return r <= limit
        case .result: return limit > model.rounds
        default: return true
        }
    }

    private func drain() {
        var k = 0
        while k < queue.count {
            let (i, event) = queue[k]
            k += 1
            for action in hosts[i].process(event) { perform(action, at: i) }
        }
        queue.removeAll()
    }

    private func perform(_ action: HostController.Action, at i: Int) {
        switch action {
        case .callModule(let call):
            if allowed(call) {
                queue.append((i, .moduleAnswered(clients[i].answer(call))))
            } else {
                parked.append((i, call))
            }
        case .send(var e, let j):
            if e.kind == .frame, let tamper {
                guard let f = tamper(e.round, i, j, e.payload) else { return }
                e.payload = f
            }
            queue.append((j, .envelope(e, from: i)))
        case .armDeadline, .closeConnection:
            // Deadlines come when nothing is in flight; there are no
            // connections to close in memory.
            break
        case .finish(let log):
            logs[i] = log
        }
    }
}
