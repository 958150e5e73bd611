import PalsCore
import PalsModule

/// n hosts and their modules in one process, over a deterministic in-memory
/// transport: rounds advance when `step` is called, every frame not dropped
/// by the adversary arrives, nothing depends on time. Used by tests and by
/// the memory campaign.
public final class MemoryCluster<C: ModuleCodec> {
    public let model: RuntimeModel<C>
    public let session: SessionID
    public let inputs: [Int]
    public let adversary: AdversaryPlan
    /// Rewrites (or, returning nil, removes) a frame in transit:
    /// `(round, from, to, frame)`. For tests of forged and replayed frames.
    public var tamper: ((Int, Int, Int, [UInt8]) -> [UInt8]?)?

    private let clients: [ModuleClient]
    private var logs: [PeerLog]
    public private(set) var round = 0

    /// - Parameter links: one module link per process (in-process modules or pipes).
    public init(
        model: RuntimeModel<C>, links: [ModuleLink], session: SessionID, inputs: [Int], adversary: AdversaryPlan
    ) throws(PalsError) {
        guard links.count == model.n, inputs.count == model.n else {
            throw PalsError(.invalidArgument, "need \(model.n) modules and inputs, got \(links.count) and \(inputs.count)")
        }
        try adversary.pattern.validate(n: model.n, t: model.t, rounds: model.rounds)
        self.model = model
        self.session = session
        self.inputs = inputs
        self.adversary = adversary
        self.clients = links.map { ModuleClient($0) }
        self.logs = (0..<model.n).map { PeerLog(id: $0, input: inputs[$0]) }
    }

    public var isFinished: Bool { round == model.rounds }

    /// Starts the session in every module.
    public func begin() throws(ModuleError) {
        for (i, c) in clients.enumerated() where !adversary.crashed(i, before: 1) || true {
            try c.begin(session: session, input: inputs[i], instance: model.codec.instanceName)
        }
    }

    /// Runs one round: every live module seals its frames, the adversary and
    /// `tamper` act, every live module receives.
    public func step() throws(ModuleError) {
        precondition(round < model.rounds, "step after the last round")
        let r = round + 1
        let n = model.n
        var out = [[[UInt8]]?](repeating: nil, count: n)
        for i in 0..<n {
            if adversary.crashed(i, before: r) {
                if logs[i].crashedBeforeRound == nil {
                    logs[i].crashedBeforeRound = r
                    logs[i].moduleInput = try clients[i].abort()
                }
                continue
            }
            out[i] = try clients[i].roundOut(r)
        }
        for j in 0..<n where out[j] != nil {
            var received = [[UInt8]?](repeating: nil, count: n)
            for i in 0..<n {
                guard let frames = out[i] else { continue }
                if i != j && adversary.drops.contains(Link(round: r, from: i, to: j)) { continue }
                var frame: [UInt8]? = frames[j]
                if let tamper { frame = tamper(r, i, j, frames[j]) }
                received[i] = frame
            }
            let verdicts = try clients[j].roundIn(r, frames: received)
            logs[j].rounds.append(PeerLog.Round(round: r, sent: out[j]!, received: received, verdicts: verdicts))
        }
        round = r
    }

    /// After the last round: collects results and returns the run's trace.
    public func finish() throws(ModuleError) -> RunTrace {
        for i in 0..<model.n where !adversary.crashed(i, before: model.rounds + 1) {
            (logs[i].decision, logs[i].moduleInput) = try clients[i].result()
        }
        for i in 0..<model.n where adversary.crashed(i, before: model.rounds + 1) && logs[i].crashedBeforeRound == nil {
            logs[i].crashedBeforeRound = model.rounds + 1
            logs[i].moduleInput = try clients[i].abort()
        }
        return RunTrace(
            protocolName: model.protocolName, variant: model.variant, n: model.n, t: model.t, rounds: model.rounds,
            instance: model.codec.instanceName, session: session, inputs: inputs, adversary: adversary, logs: logs)
    }

    /// `begin`, every round, `finish`.
    public func run() throws(ModuleError) -> RunTrace {
        try begin()
        while !isFinished { try step() }
        return try finish()
    }
}
