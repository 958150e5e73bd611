import PalsCore
import PalsModule

/// What one host saw of its module in one run: per round the frames the
/// module sealed and the frames the host handed it, the module's verdict on
/// each, and the result. Frames are kept as sealed bytes (the host never
/// sees plaintext); the oracle opens them with the modules' keys.
public struct PeerLog: Sendable, Equatable {
    /// One round as the host saw it.
    public struct Round: Sendable, Equatable {
        /// The round, 1…R.
        public var round: Int
        /// The frames the module sealed, the j-th for p_j.
        public var sent: [[UInt8]]
        /// What the host handed the module from each sender (nil = nothing).
        public var received: [[UInt8]?]
        /// The module's verdict on each received slot.
        public var verdicts: [FrameVerdict]

        /// The round `round`: the frames sent, the frames received and the module's verdicts, each indexed by
        /// process.
        public init(round: Int, sent: [[UInt8]], received: [[UInt8]?], verdicts: [FrameVerdict]) {
            self.round = round
            self.sent = sent
            self.received = received
            self.verdicts = verdicts
        }
    }

    /// A frame that arrived after its round had closed without it: the run
    /// left the timing assumption (specs/runtime.md), the frame counted as
    /// an omission.
    public struct LateFrame: Sendable, Equatable {
        /// The round the frame was sent in.
        public var round: Int
        /// The process that sent it.
        public var from: Int

        /// A frame from `from` in round `round`.
        public init(round: Int, from: Int) {
            self.round = round
            self.from = from
        }
    }

    /// The host's process id.
    public var id: Int
    /// The host's input.
    public var input: Int
    /// The input the module ran with (told after the session; differs from
    /// `input` only for inputs the module draws itself).
    public var moduleInput: Int?
    /// The module was stopped (injected crash) before this round.
    public var crashedBeforeRound: Int?
    /// The rounds the module completed, in order (round k at index k − 1).
    public var rounds: [Round]
    /// The module's result, if it produced one.
    public var decision: Decision<Concrete>?
    /// What the host noticed (peers that never connected, module errors…).
    public var notes: [String]
    /// Frames that arrived after their round closed (at most one per
    /// round and sender), in arrival order.
    public var lateFrames: [LateFrame] = []
    /// Envelopes the host dropped without using them (another session,
    /// outside the window, duplicates, malformed, late).
    public var droppedEnvelopes = 0

    /// A log of host `id`; the rest is filled in as the instance runs.
    public init(
        id: Int, input: Int, crashedBeforeRound: Int? = nil, rounds: [Round] = [], decision: Decision<Concrete>? = nil,
        notes: [String] = []
    ) {
        self.id = id
        self.input = input
        self.crashedBeforeRound = crashedBeforeRound
        self.rounds = rounds
        self.decision = decision
        self.notes = notes
    }

    /// The log as a run file holds it: frames in hex, nil slots and missing results as null, verdicts by name.
    public var json: JSON {
        var fields: [(String, JSON)] = [("id", .int(id)), ("input", .int(input))]
        fields.append(("moduleInput", moduleInput.map { .int($0) } ?? .null))
        fields.append(("crashedBeforeRound", crashedBeforeRound.map { .int($0) } ?? .null))
        fields.append(
            (
                "rounds",
                .array(
                    rounds.map { r in
                        .object([
                            ("round", .int(r.round)),
                            ("sent", .array(r.sent.map { .string(Bytes.hex($0)) })),
                            ("received", .array(r.received.map { $0.map { .string(Bytes.hex($0)) } ?? .null })),
                            ("verdicts", .array(r.verdicts.map { .string($0.description) })),
                        ])
                    })
            ))
        fields.append(("decision", decision.map { DecisionJSON.encode($0) } ?? .null))
        fields.append(("notes", .array(notes.map { .string($0) })))
        fields.append(
            ("lateFrames", .array(lateFrames.map { .object([("round", .int($0.round)), ("from", .int($0.from))]) })))
        fields.append(("droppedEnvelopes", .int(droppedEnvelopes)))
        return .object(fields)
    }

    /// Reads a log written by `json`, for an instance of `n` processes.
    ///
    /// - Throws: `malformedFile` naming the host and the field that is missing or invalid.
    public static func parse(_ json: JSON, n: Int) throws(PalsError) -> PeerLog {
        guard let id = json["id"]?.intValue, id >= 0, id < n else {
            throw PalsError(.malformedFile, "peer log: \"id\" must be an integer in 0..<\(n)")
        }
        guard let input = json["input"]?.intValue else {
            throw PalsError(.malformedFile, "peer log p\(id): missing integer \"input\"")
        }
        var log = PeerLog(id: id, input: input)
        if let m = json["moduleInput"], !m.isNull {
            guard let v = m.intValue else {
                throw PalsError(.malformedFile, "peer log p\(id): \"moduleInput\" must be an integer or null")
            }
            log.moduleInput = v
        }
        if let c = json["crashedBeforeRound"], !c.isNull {
            guard let r = c.intValue, r >= 1 else {
                throw PalsError(.malformedFile, "peer log p\(id): \"crashedBeforeRound\" must be a round ≥ 1 or null")
            }
            log.crashedBeforeRound = r
        }
        guard let rounds = json["rounds"]?.arrayValue else {
            throw PalsError(.malformedFile, "peer log p\(id): missing array \"rounds\"")
        }
        for (k, r) in rounds.enumerated() {
            guard r["round"]?.intValue == k + 1 else {
                throw PalsError(.malformedFile, "peer log p\(id): round entry \(k) must have \"round\": \(k + 1)")
            }
            guard let sent = r["sent"]?.arrayValue, sent.count == n,
                let received = r["received"]?.arrayValue, received.count == n,
                let verdicts = r["verdicts"]?.arrayValue, verdicts.count == n
            else {
                throw PalsError(
                    .malformedFile,
                    "peer log p\(id) round \(k + 1): \"sent\", \"received\", \"verdicts\" need \(n) entries each")
            }
            var s: [[UInt8]] = []
            for f in sent {
                guard let h = f.stringValue else {
                    throw PalsError(.malformedFile, "peer log p\(id) round \(k + 1): sent frames are hex strings")
                }
                s.append(try Bytes.fromHex(h, what: "peer log p\(id) round \(k + 1) sent frame"))
            }
            var rc: [[UInt8]?] = []
            for f in received {
                if f.isNull {
                    rc.append(nil)
                } else if let h = f.stringValue {
                    rc.append(try Bytes.fromHex(h, what: "peer log p\(id) round \(k + 1) received frame"))
                } else {
                    throw PalsError(
                        .malformedFile, "peer log p\(id) round \(k + 1): received frames are hex strings or null")
                }
            }
            var v: [FrameVerdict] = []
            for x in verdicts {
                guard let name = x.stringValue,
                    let verdict = FrameVerdict.allCases.first(where: { $0.description == name })
                else {
                    throw PalsError(.malformedFile, "peer log p\(id) round \(k + 1): unknown verdict \(x.compact)")
                }
                v.append(verdict)
            }
            log.rounds.append(Round(round: k + 1, sent: s, received: rc, verdicts: v))
        }
        if let d = json["decision"], !d.isNull {
            log.decision = try DecisionJSON.decode(d, what: "peer log p\(id) decision")
        }
        log.notes = (json["notes"]?.arrayValue ?? []).compactMap(\.stringValue)
        if let late = json["lateFrames"] {
            guard let list = late.arrayValue else {
                throw PalsError(.malformedFile, "peer log p\(id): \"lateFrames\" must be an array")
            }
            for x in list {
                guard let r = x["round"]?.intValue, r >= 1, r <= 64, let from = x["from"]?.intValue, from >= 0, from < n
                else {
                    throw PalsError(
                        .malformedFile, "peer log p\(id): a late frame is {\"round\": 1…64, \"from\": 0…\(n - 1)}")
                }
                log.lateFrames.append(LateFrame(round: r, from: from))
            }
        }
        if let d = json["droppedEnvelopes"] {
            guard let c = d.intValue, c >= 0 else {
                throw PalsError(.malformedFile, "peer log p\(id): \"droppedEnvelopes\" must be an integer ≥ 0")
            }
            log.droppedEnvelopes = c
        }
        return log
    }
}

/// `{"decided":…,"value":[v or null, …]}`.
enum DecisionJSON {
    static func encode(_ d: Decision<Concrete>) -> JSON {
        .object([
            ("decided", .bool(d.decided)),
            ("value", .array(d.value.map { $0 == Concrete.bottomValue ? .null : .int($0) })),
        ])
    }

    static func decode(_ j: JSON, what: String) throws(PalsError) -> Decision<Concrete> {
        guard let decided = j["decided"]?.boolValue, let value = j["value"]?.arrayValue else {
            throw PalsError(.malformedFile, "\(what): needs boolean \"decided\" and array \"value\"")
        }
        var v: [Int] = []
        for x in value {
            if x.isNull {
                v.append(Concrete.bottomValue)
            } else if let i = x.intValue, i != Concrete.bottomValue {
                v.append(i)
            } else {
                throw PalsError(.malformedFile, "\(what): values are integers or null")
            }
        }
        return Decision(decided: decided, value: v)
    }
}

/// One run of the runtime: the instance, the injected adversary, and every
/// host's log (nil for a host that left none: killed, or never started).
/// `pals oracle` replays it. Schema id `trustedpals/run/v1`.
public struct RunTrace: Sendable, Equatable {
    /// The `schema` of a run file.
    public static let schemaID = "trustedpals/run/v1"

    /// The protocol's name in the catalogue.
    public var protocolName: String
    /// The protocol's variant in the catalogue.
    public var variant: String
    /// The number of processes, p0…p(n-1).
    public var n: Int
    /// The most processes the adversary may make faulty.
    public var t: Int
    /// The number of rounds R.
    public var rounds: Int
    /// The instance name the modules were BEGUN with.
    public var instance: String
    /// The run's session id.
    public var session: SessionID
    /// The input each host was given, p0…p(n-1).
    public var inputs: [Int]
    /// The adversary the hosts were told to carry out.
    public var adversary: AdversaryPlan
    /// Each host's log, p0…p(n-1); nil for a host that left none.
    public var logs: [PeerLog?]
    /// What the logs do not say: the hosts' notes on connections, peers killed or exited abnormally.
    public var notes: [String]
    /// The fingerprint of the roster the run was made with
    /// (`Roster.fingerprint`); the oracle refuses keys of another roster.
    public var roster: String?

    /// A run with every field given; `notes` default to none and `roster` to unknown.
    public init(
        protocolName: String, variant: String, n: Int, t: Int, rounds: Int, instance: String, session: SessionID,
        inputs: [Int], adversary: AdversaryPlan, logs: [PeerLog?], notes: [String] = [], roster: String? = nil
    ) {
        self.roster = roster
        self.protocolName = protocolName
        self.variant = variant
        self.n = n
        self.t = t
        self.rounds = rounds
        self.instance = instance
        self.session = session
        self.inputs = inputs
        self.adversary = adversary
        self.logs = logs
        self.notes = notes
    }

    /// The run file: schema, instance, session, roster fingerprint, inputs, adversary, logs and notes.
    public var json: JSON {
        let p = adversary.pattern
        return .object([
            ("schema", .string(Self.schemaID)),
            ("protocol", .string(protocolName)),
            ("variant", .string(variant)),
            ("n", .int(n)),
            ("t", .int(t)),
            ("rounds", .int(rounds)),
            ("instance", .string(instance)),
            ("session", .string(session.description)),
            ("roster", roster.map { .string($0) } ?? .null),
            ("inputs", .array(inputs.map { .int($0) })),
            ("adversary", p.json),
            ("logs", .array(logs.map { $0?.json ?? .null })),
            ("notes", .array(notes.map { .string($0) })),
        ])
    }

    /// The run file as text (pretty-printed JSON).
    public var text: String { json.pretty }

    /// Reads a run file.
    ///
    /// - Throws: `unsupportedSchema` for another schema; `malformedFile` naming the field that is missing or invalid.
    public static func parse(_ text: String) throws(PalsError) -> RunTrace {
        let j = try JSON.parse(text)
        guard j["schema"]?.stringValue == schemaID else {
            throw PalsError(.unsupportedSchema, "run trace: expected \"schema\": \"\(schemaID)\"")
        }
        guard let name = j["protocol"]?.stringValue, let variant = j["variant"]?.stringValue,
            let n = j["n"]?.intValue, let t = j["t"]?.intValue, let rounds = j["rounds"]?.intValue,
            let instance = j["instance"]?.stringValue, let sessionHex = j["session"]?.stringValue
        else {
            throw PalsError(
                .malformedFile,
                "run trace: needs \"protocol\", \"variant\", \"n\", \"t\", \"rounds\", \"instance\", \"session\"")
        }
        guard n >= 1, n <= ProcessSet.maxProcesses, t >= 0, t < n, rounds >= 0, rounds <= 64 else {
            throw PalsError(.malformedFile, "run trace: n = \(n), t = \(t), rounds = \(rounds) out of range")
        }
        let session = try SessionID.parse(sessionHex)
        var roster: String?
        if let r = j["roster"], !r.isNull {
            guard let s = r.stringValue, s.count == 64, s.allSatisfy(\.isHexDigit) else {
                throw PalsError(
                    .malformedFile, "run trace: \"roster\" must be the roster's fingerprint (64 hex digits) or null")
            }
            roster = s.lowercased()
        }
        guard let inputs = j["inputs"]?.arrayValue?.compactMap(\.intValue), inputs.count == n else {
            throw PalsError(.malformedFile, "run trace: \"inputs\" must hold \(n) integers")
        }
        guard let adv = j["adversary"] else { throw PalsError(.malformedFile, "run trace: missing \"adversary\"") }
        let pattern = try FailurePattern(json: adv, what: "run trace adversary")
        guard let logList = j["logs"]?.arrayValue, logList.count == n else {
            throw PalsError(
                .malformedFile, "run trace: \"logs\" must hold \(n) entries (null for a host without a log)")
        }
        var logs: [PeerLog?] = []
        for (k, l) in logList.enumerated() {
            if l.isNull {
                logs.append(nil)
                continue
            }
            let log = try PeerLog.parse(l, n: n)
            guard log.id == k else { throw PalsError(.malformedFile, "run trace: log \(k) has id \(log.id)") }
            logs.append(log)
        }
        return RunTrace(
            protocolName: name, variant: variant, n: n, t: t, rounds: rounds, instance: instance, session: session,
            inputs: inputs, adversary: AdversaryPlan(pattern: pattern), logs: logs,
            notes: (j["notes"]?.arrayValue ?? []).compactMap(\.stringValue), roster: roster)
    }
}
