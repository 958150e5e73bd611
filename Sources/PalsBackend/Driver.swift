import PalsCore

/// The name a counterexample file gives to a disagreement with the model's
/// decisions (no property of the protocol is violated, but the backend's
/// decisions differ from `simulate`'s).
public let agreesWithModel = "AgreesWithModel"
/// The name of a disagreement with the model's messages (`--strict`).
public let messagesMatchModel = "MessagesMatchModel"

/// What one run against a backend showed.
public struct BackendRunReport: Sendable {
    /// The run's inputs, one per process.
    public var inputs: [Int]
    /// The failure pattern the run was driven with.
    public var pattern: FailurePattern
    /// Per process: nil if it did not decide, else its vector (nil = ⊥).
    public var backendDecisions: [[Int?]?]
    /// The same for `simulate` on the same inputs and pattern.
    public var modelDecisions: [[Int?]?]
    /// The properties violated by the backend's decisions, in the order given.
    public var violated: [String]
    /// Differences from the model: decisions, and messages under `strict`.
    public var disagreements: [String]
    /// True when some process decided differently from the model.
    public var decisionsDiffer: Bool

    /// True when the run shows a bug in the backend.
    public var failed: Bool { !violated.isEmpty || !disagreements.isEmpty }

    /// The name recorded in a counterexample file: the first violated
    /// property, else `AgreesWithModel`, else `MessagesMatchModel`.
    public var failureName: String? {
        if let v = violated.first { return v }
        if decisionsDiffer { return agreesWithModel }
        return disagreements.isEmpty ? nil : messagesMatchModel
    }

    /// Does the run fail in the way named `name` (for shrinking and replay)?
    public func fails(as name: String) -> Bool {
        switch name {
        case agreesWithModel: return decisionsDiffer
        case messagesMatchModel: return !disagreements.isEmpty
        default: return violated.contains(name)
        }
    }
}

/// The model a backend is tested against: a protocol instance, its reference
/// message encoding, and the properties that can be judged from decisions.
public struct BackendModel<C: MessageCoding>: Sendable where C.P: Sendable {
    /// The protocol instance (n, t, rounds) the backend runs.
    public let proto: C.P
    /// The reference JSON encoding of the protocol's messages.
    public let coding: C
    /// The protocol's name in `init` requests (e.g. `uic`).
    public let protocolName: String
    /// Properties evaluated on the backend's decisions. A backend's internal
    /// state is opaque, so only properties that read `decisions`, `inputs`,
    /// `faulty` and `crashed` belong here (for UIC: Termination, Validity,
    /// UniformAgreement, Agreement). Properties of states (UIC's
    /// CorrectNeverHalts) are covered by the comparison with `simulate`.
    public let properties: [Property<C.P>]

    /// A model of `proto`, asked for as `protocolName`, judged by `properties`.
    public init(proto: C.P, coding: C, protocolName: String, properties: [Property<C.P>]) {
        self.proto = proto
        self.coding = coding
        self.protocolName = protocolName
        self.properties = properties
    }
}

/// What a backend says in reply to `hello`.
public struct BackendHello: Sendable {
    /// The backend's name for itself.
    public var name: String
    /// The protocols the backend says it implements (names as in `init` requests).
    public var protocols: [String]
}

/// Drives one backend through runs (DESIGN §6): `init` every process, then
/// per round `send` to every process that has not crashed and `deliver` to
/// it what the failure pattern lets through (`null` when omitted), then
/// `decision` for every process that never crashed, then `end`.
public final class BackendDriver {
    /// The running backend the driver talks to.
    public let connection: BackendConnection
    /// The number of the next run (`run` in requests), from 1.
    public private(set) var nextRun = 1

    /// A driver for `connection`; its first run is run 1.
    public init(connection: BackendConnection) {
        self.connection = connection
    }

    /// Sends `hello` and reads the backend's name and protocols.
    public func hello() throws(BackendError) -> BackendHello {
        let hello = JSON.object([("op", .string("hello"))])
        let reply = try connection.request(hello)
        guard let name = reply["name"]?.stringValue else {
            throw protocolError("the hello reply needs a string \"name\"", reply, hello)
        }
        guard let list = reply["protocols"]?.arrayValue else {
            throw protocolError("the hello reply needs an array \"protocols\"", reply, hello)
        }
        var protocols: [String] = []
        for p in list {
            guard let s = p.stringValue else { throw protocolError("\"protocols\" must hold strings", reply, hello) }
            protocols.append(s)
        }
        return BackendHello(name: name, protocols: protocols)
    }

    /// Runs the backend on (inputs, pattern) and judges it. The pattern must
    /// be admissible for the model (callers validate it); `strict` also
    /// compares every message with the reference encoding.
    public func run<C: MessageCoding>(
        _ model: BackendModel<C>, inputs: [Int], pattern: FailurePattern, strict: Bool
    ) throws(BackendError) -> BackendRunReport {
        let proto = model.proto
        let n = proto.n
        let rounds = proto.rounds
        let trace: Trace<C.P> = simulateValidated(proto, inputs: inputs, pattern: pattern)
        let runID = nextRun
        nextRun += 1
        var crashAt = Array(repeating: Int.max, count: n)
        for c in pattern.crashes { crashAt[c.process] = c.round }
        let dropped = pattern.droppedSenders(n: n, rounds: rounds)
        var disagreements: [String] = []

        // Requests of one step go out together (pipelined); replies are
        // checked in order, each against its own request.
        let inits: [JSON] = (0..<n).map { i in
            .object([
                ("op", .string("init")), ("run", .int(runID)), ("process", .int(i)),
                ("protocol", .string(model.protocolName)), ("n", .int(n)), ("t", .int(proto.t)),
                ("input", .int(inputs[i])),
            ])
        }
        for (request, reply) in zip(inits, try connection.requests(inits)) { try expectOK(reply, request) }
        for r in stride(from: 1, through: rounds, by: 1) {
            let alive = (0..<n).filter { crashAt[$0] > r }
            var sent = Array(repeating: [JSON](), count: n)
            let sends: [JSON] = alive.map { i in
                .object([("op", .string("send")), ("run", .int(runID)), ("process", .int(i)), ("round", .int(r))])
            }
            for (k, reply) in try connection.requests(sends).enumerated() {
                let i = alive[k]
                guard let messages = reply["messages"]?.arrayValue else {
                    throw protocolError("a send reply needs an array \"messages\"", reply, sends[k])
                }
                guard messages.count == n else {
                    throw protocolError(
                        "a send reply must hold n = \(n) messages, got \(messages.count)", reply, sends[k])
                }
                sent[i] = messages
                if strict {
                    for j in 0..<n {
                        let expected = model.coding.encode(trace.messages[r - 1][i][j])
                        if !messages[j].sameValue(as: expected) {
                            disagreements.append(
                                "round \(r) p\(i)→p\(j): sent \(messages[j].compact), the model sends \(expected.compact)"
                            )
                        }
                    }
                }
            }
            let delivers: [JSON] = alive.map { j in
                let delivered: [JSON] = (0..<n).map { i in
                    crashAt[i] > r && !dropped[r - 1][j].contains(i) ? sent[i][j] : .null
                }
                return .object([
                    ("op", .string("deliver")), ("run", .int(runID)), ("process", .int(j)), ("round", .int(r)),
                    ("messages", .array(delivered)),
                ])
            }
            for (request, reply) in zip(delivers, try connection.requests(delivers)) { try expectOK(reply, request) }
        }
        let deciding = (0..<n).filter { crashAt[$0] > rounds + 1 }
        var asks: [JSON] = deciding.map { i in
            .object([("op", .string("decision")), ("run", .int(runID)), ("process", .int(i))])
        }
        asks.append(.object([("op", .string("end")), ("run", .int(runID))]))
        let answers = try connection.requests(asks)
        var decisions: [[Int?]?] = Array(repeating: nil, count: n)
        for (k, i) in deciding.enumerated() {
            switch DecisionCoding.decode(answers[k], n: n) {
            case .success(let d): decisions[i] = d
            case .failure(let problem): throw protocolError(problem.message, answers[k], asks[k])
            }
        }
        try expectOK(answers[deciding.count], asks[deciding.count])

        let modelDecisions = CounterexampleFile.decisions(trace.decisions)
        var decisionsDiffer = false
        for i in 0..<n where decisions[i] != modelDecisions[i] {
            decisionsDiffer = true
            disagreements.append(
                "p\(i) decided \(Self.show(decisions[i])), the model decides \(Self.show(modelDecisions[i]))")
        }
        var context = trace.context(round: rounds)
        context.decisions = decisions.map { DecisionCoding.decision($0, n: n) }
        let violated = model.properties.filter { !$0.holds(proto, context) }.map(\.name)
        return BackendRunReport(
            inputs: inputs, pattern: pattern, backendDecisions: decisions, modelDecisions: modelDecisions,
            violated: violated, disagreements: disagreements, decisionsDiffer: decisionsDiffer)
    }

    /// A decision for reports: `[1, ⊥, 3]` or `nothing`.
    public static func show(_ d: [Int?]?) -> String {
        guard let d else { return "nothing" }
        return "[" + d.map { $0.map(String.init) ?? "⊥" }.joined(separator: ", ") + "]"
    }

    private func expectOK(_ reply: JSON, _ request: JSON) throws(BackendError) {
        guard reply["ok"]?.boolValue == true else { throw protocolError("expected {\"ok\":true}", reply, request) }
    }

    /// A reply of the wrong shape, reported with the request it answered.
    private func protocolError(_ what: String, _ reply: JSON, _ request: JSON) -> BackendError {
        BackendError(
            "protocol error: \(what); the reply was \(BackendConnection.excerpt(reply.compact))",
            request: request.compact, stderr: connection.stderrText)
    }
}
