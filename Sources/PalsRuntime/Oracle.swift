import PalsCore
import PalsModule

/// The oracle's verdict on one run of the runtime.
public struct OracleReport: Sendable {
    /// Whether the run conforms to the model, disagrees with it, or left it.
    public enum Verdict: String, Sendable {
        /// Every module's messages and result equal the model's on the
        /// realized failure pattern.
        case conforms
        /// A module sent a message or produced a result the model does not.
        case disagrees
        /// Every frame and result equals the model's replay of the run, but
        /// the run left the model: frames were lost between processes the
        /// adversary left correct (timeouts, the network: `lostFrames`),
        /// more than t processes misbehaved, or what a process received is
        /// unknown. The model promises nothing there, so no property is
        /// judged; the loss is a finding, never re-labelled as faults.
        case outsideModel = "outside-model"
    }

    /// Where the runtime and the model first differ.
    public struct Disagreement: Sendable, Equatable, CustomStringConvertible {
        /// The round (R + 1 for results).
        public var round: Int
        /// The process whose module (or, for round 0, whose host's log) differs.
        public var module: Int
        /// What differs, in words.
        public var detail: String
        /// "round r, module pi: detail".
        public var description: String { "round \(round), module p\(module): \(detail)" }
    }

    /// The oracle's conclusion on the run.
    public var verdict: Verdict
    /// The failure pattern as realized (what the modules accepted), on which
    /// the model was replayed.
    public var realized: FailurePattern
    /// The first difference (lowest round, then lowest module); nil unless the verdict is `disagrees`.
    public var disagreement: Disagreement?
    /// Properties of the model violated on the realized run (name, round).
    public var violations: [(property: String, round: Int)]
    /// The model's decisions on the realized run.
    public var modelDecisions: [Decision<Concrete>]
    /// Frames rejected by modules, by verdict (not counting absent ones).
    public var rejectedFrames: [(FrameVerdict, Int)]
    /// How the oracle read the logs (hosts without a log counted as crashed) and why the run left the model.
    public var notes: [String]
    /// Frames lost between two processes the adversary left correct (the
    /// model's channels between correct processes are reliable).
    public var lostFrames: [Link] = []
    /// Frames the oracle opened and compared (sealed, and accepted or
    /// rejected by their receiver).
    public var framesChecked = 0

    /// True if the verdict is `conforms`.
    public var conforms: Bool { verdict == .conforms }

    /// A report with every field given; `lostFrames` and `framesChecked` default to none.
    public init(
        verdict: Verdict, realized: FailurePattern, disagreement: Disagreement?,
        violations: [(property: String, round: Int)], modelDecisions: [Decision<Concrete>],
        rejectedFrames: [(FrameVerdict, Int)], notes: [String], lostFrames: [Link] = [], framesChecked: Int = 0
    ) {
        self.verdict = verdict
        self.realized = realized
        self.disagreement = disagreement
        self.violations = violations
        self.modelDecisions = modelDecisions
        self.rejectedFrames = rejectedFrames
        self.notes = notes
        self.lostFrames = lostFrames
        self.framesChecked = framesChecked
    }
}

/// Replays a run's realized failure pattern through the model and compares
/// every frame of the run — each frame a module sealed, opened with its key,
/// and each frame a host handed a module, opened with the receiver's key and
/// judged as the module must judge it — and every result with the model's,
/// then checks the properties (DESIGN §5: the checker is the runtime's
/// oracle). It says "conforms" only when it opened and compared every frame
/// of the trace: it is given every module's key, and refuses keys of another
/// roster, a roster of another size and a trace of another instance.
public struct Oracle<C: ModuleCodec> {
    /// The instance the oracle replays runs of.
    public let model: RuntimeModel<C>
    /// The deployment the keys are of; a run made with another roster is refused.
    public let roster: Roster
    private let secrets: [PairSecrets]

    /// - Parameter keys: every module's key, one per id of the roster (test
    ///   deployments trust the oracle with them, to open frames).
    /// - Throws: `invalidArgument` naming what is missing or does not fit.
    public init(model: RuntimeModel<C>, roster: Roster, keys: [ModuleKey]) throws(PalsError) {
        guard roster.n == model.n else {
            throw PalsError(
                .invalidArgument,
                "the roster has \(roster.n) peers but the instance \(model.codec.instanceName) has n = \(model.n)")
        }
        var byID = [ModuleKey?](repeating: nil, count: roster.n)
        for k in keys {
            guard k.id >= 0 && k.id < roster.n else {
                throw PalsError(
                    .invalidArgument, "a key of p\(k.id) is not for a peer of the roster (p0…p\(roster.n - 1))")
            }
            guard byID[k.id] == nil else { throw PalsError(.invalidArgument, "two keys of p\(k.id)") }
            byID[k.id] = k
        }
        let missing = byID.indices.filter { byID[$0] == nil }
        guard missing.isEmpty else {
            throw PalsError(
                .invalidArgument,
                "the oracle needs every module's key to open every frame; missing: "
                    + missing.map { "key-\($0).json (p\($0))" }.joined(separator: ", "))
        }
        var s: [PairSecrets] = []
        for case let k? in byID { s.append(try PairSecrets(key: k, roster: roster)) }
        self.model = model
        self.roster = roster
        self.secrets = s
    }

    /// Replays `run` through the model on its realized failure pattern, compares every frame and result, and checks
    /// the properties (only on a run inside the model).
    ///
    /// - Throws: `invalidArgument` when the run is of another instance or roster, or its logs do not fit it (wrong
    ///   id, round count or result length, or an input equal to the value reserved for ⊥).
    public func check(_ run: RunTrace) throws(PalsError) -> OracleReport {
        let proto = model.proto
        let n = proto.n
        let rounds = proto.rounds
        guard run.n == n, run.t == proto.t, run.rounds == rounds, run.instance == model.codec.instanceName else {
            throw PalsError(
                .invalidArgument,
                "the run is of \(run.instance) (n = \(run.n), t = \(run.t)) but the oracle's model is \(model.codec.instanceName)"
            )
        }
        if let fingerprint = run.roster, fingerprint != roster.fingerprint {
            throw PalsError(
                .invalidArgument,
                "the run was made with the roster \(fingerprint.prefix(16))… but the keys given are of the roster \(roster.fingerprint.prefix(16))…: give the run's own keys folder"
            )
        }
        // A decision's length is the protocol's (UIC: n; SMC: F's outputs),
        // the same in every state.
        let length = proto.decision(proto.initial(ProcessID(0), input: 0)).value.count
        for case let log? in run.logs {
            guard log.rounds.count <= rounds else {
                throw PalsError(
                    .invalidArgument, "p\(log.id)'s log has \(log.rounds.count) rounds; the instance has \(rounds)")
            }
            if let c = log.crashedBeforeRound, c > rounds + 1 || log.rounds.count >= c {
                throw PalsError(
                    .invalidArgument,
                    "p\(log.id)'s log says its module stopped before round \(c) but holds \(log.rounds.count) round(s)")
            }
            if log.decision.map({ $0.value.count != length }) == true {
                throw PalsError(.invalidArgument, "p\(log.id)'s result does not have \(length) entries")
            }
        }
        var notes: [String] = []
        // 1. Crash rounds: injected ones from the logs; a host without a log
        //    (killed, never started) or with a log cut short counts as
        //    crashed after the last round in which a frame of it was accepted
        //    or its own log ends.
        func lastAccepted(from i: Int) -> Int {
            var last = 0
            for case let log? in run.logs where log.id != i {
                for r in log.rounds where r.verdicts[i] == .accepted && r.round > last { last = r.round }
            }
            return last
        }
        var crashAt = Array(repeating: Int.max, count: n)
        var receptionsUnknown: [String] = []
        for i in 0..<n {
            if let log = run.logs[i] {
                if let c = log.crashedBeforeRound {
                    crashAt[i] = c
                } else if log.decision == nil || log.rounds.count < rounds {
                    crashAt[i] = max(log.rounds.count + 1, lastAccepted(from: i) + 1)
                    notes.append(
                        "p\(i)'s log stops after round \(log.rounds.count) without a result: counted as crashed at round \(crashAt[i])"
                    )
                }
            } else {
                crashAt[i] = lastAccepted(from: i) + 1
                notes.append("p\(i) left no log: counted as crashed at round \(crashAt[i])")
                if crashAt[i] > 2 {
                    receptionsUnknown.append(
                        "p\(i) left no log but its frames were accepted up to round \(crashAt[i] - 1): what it received is unknown"
                    )
                }
            }
        }
        if !receptionsUnknown.isEmpty {
            return OracleReport(
                verdict: .outsideModel, realized: FailurePattern(), disagreement: nil, violations: [],
                modelDecisions: [], rejectedFrames: [], notes: notes + receptionsUnknown)
        }
        // 2. Drops: a frame between two live modules that the receiver did
        //    not accept. A receiver without a log in that round is assumed
        //    to have received everything (it crashes before it matters).
        let faulty = run.adversary.faulty.union(ProcessSet((0..<n).filter { crashAt[$0] <= rounds + 1 }))
        var drops: [Link] = []
        var rejected: [FrameVerdict: Int] = [:]
        for r in stride(from: 1, through: rounds, by: 1) {
            for j in 0..<n where crashAt[j] > r {
                guard let log = run.logs[j], r <= log.rounds.count else { continue }
                let verdicts = log.rounds[r - 1].verdicts
                for i in 0..<n where i != j && crashAt[i] > r && verdicts[i] != .accepted {
                    drops.append(Link(round: r, from: i, to: j))
                }
                for (i, v) in verdicts.enumerated() where i != j && v != .accepted && v != .absent {
                    rejected[v, default: 0] += 1
                }
            }
        }
        // Frames lost between processes the adversary left correct: the
        // model's channels between them are reliable, so the run left the
        // model. Reported as such, never blamed on a set of processes.
        let lost = drops.filter { !faulty.contains($0.from) && !faulty.contains($0.to) }
        var outside: [String] = []
        if !lost.isEmpty {
            outside.append(
                "\(lost.count) frame(s) lost between processes the adversary left correct (a timeout or the network), first \(lost[0])"
            )
            // Frames that did arrive, after their round had closed: the
            // synchronous-round assumption (specs/runtime.md) did not hold.
            let late = lost.filter { l in
                run.logs[l.to]?.lateFrames.contains { $0.round == l.round && $0.from == l.from } ?? false
            }
            if !late.isEmpty {
                outside.append(
                    "\(late.count) of them arrived after their round had closed, first \(late[0]): outside the timing assumption (Δ ≥ latency + ε)"
                )
            }
        }
        var crashes: [Crash] = []
        for i in 0..<n where crashAt[i] <= rounds + 1 { crashes.append(Crash(process: i, round: crashAt[i])) }
        let realized = FailurePattern(faulty: faulty, crashes: crashes, drops: drops.sorted())
        let rejectedList = FrameVerdict.allCases.compactMap { v in rejected[v].map { (v, $0) } }
        if lost.isEmpty {
            do {
                try realized.validate(n: n, t: proto.t, rounds: rounds)
            } catch {
                outside.append("the realized failure pattern is outside the model: \(error.message)")
            }
        } else if faulty.count > proto.t {
            outside.append("\(faulty.count) processes are faulty or crashed, more than t = \(proto.t)")
        }
        // 3. Replay: the model's run on the realized pattern (also outside
        //    the model: every module must still run the protocol's steps on
        //    what it received, so its frames are still compared).
        // The inputs the modules ran with (a module may draw part of its
        // input itself, and tells it after the session).
        var inputs = run.inputs
        for i in 0..<n { if let m = run.logs[i]?.moduleInput { inputs[i] = m } }
        if let bad = inputs.firstIndex(of: Concrete.bottomValue) {
            throw PalsError(
                .invalidArgument, "p\(bad)'s input in the run is \(Concrete.bottomValue), the value reserved for ⊥")
        }
        let trace = simulateValidated(proto, inputs: inputs, pattern: realized)
        // 4. Compare every frame and result.
        let format = model.format
        let channels = secrets.map {
            ChannelKeys(secrets: $0, session: run.session, instance: model.codec.instanceName)
        }
        var disagreement: OracleReport.Disagreement?
        func differ(_ round: Int, _ module: Int, _ detail: String) {
            if let d = disagreement, (d.round, d.module) <= (round, module) { return }
            disagreement = .init(round: round, module: module, detail: detail)
        }
        var checked = 0
        for i in 0..<n {
            if let log = run.logs[i], log.input != run.inputs[i] {
                differ(0, i, "the host's log has input \(log.input) but the run's input is \(run.inputs[i])")
            }
        }
        rounds: for r in stride(from: 1, through: rounds, by: 1) {
            // What each sealed frame opened to (the pair's two ends share
            // the key: a frame handed over unchanged opens the same way).
            var sealed = [[Result<C.P.Message, FrameVerdict>?]](repeating: Array(repeating: nil, count: n), count: n)
            for i in 0..<n where crashAt[i] > r {
                guard let log = run.logs[i], r <= log.rounds.count else { continue }
                let entry = log.rounds[r - 1]
                // Self-messages are never lost: the module keeps its own.
                if entry.verdicts[i] != .accepted {
                    differ(r, i, "did not receive its own message (verdict \(entry.verdicts[i]))")
                }
                for j in 0..<n {
                    let expected = trace.messages[r - 1][i][j]
                    // What p_i sealed for p_j, opened with p_i's key.
                    let frame = entry.sent[j]
                    checked += 1
                    if frame.count != format.frameSize {
                        differ(r, i, "its frame to p\(j) has \(frame.count) bytes, not the fixed \(format.frameSize)")
                    }
                    let opened = open(frame, keys: channels[i], session: run.session, round: r, sender: i, receiver: j)
                    sealed[i][j] = opened
                    switch opened {
                    case .failure(let v):
                        differ(r, i, "its frame to p\(j) does not open with its key (\(v))")
                    case .success(let m):
                        if m != expected {
                            differ(
                                r, i,
                                "its frame to p\(j) carries \(model.codec.describe(m)), the model's is \(model.codec.describe(expected))"
                            )
                        }
                    }
                }
            }
            // What each live module was handed, judged as the module must
            // judge it: the module's verdict must be the oracle's, and an
            // accepted frame must carry the model's message.
            for j in 0..<n where crashAt[j] > r {
                guard let log = run.logs[j], r <= log.rounds.count else { continue }
                let entry = log.rounds[r - 1]
                for i in 0..<n where i != j {
                    let said = entry.verdicts[i]
                    guard let frame = entry.received[i] else {
                        if said != .absent { differ(r, j, "judged an empty slot from p\(i) \(said)") }
                        continue
                    }
                    checked += 1
                    let opened: Result<C.P.Message, FrameVerdict>
                    if let known = sealed[i][j], let log = run.logs[i], r <= log.rounds.count,
                        log.rounds[r - 1].sent[j] == frame
                    {
                        opened = known
                    } else {
                        opened = open(frame, keys: channels[j], session: run.session, round: r, sender: i, receiver: j)
                    }
                    switch opened {
                    case .failure(let v):
                        if said != v { differ(r, j, "judged the frame from p\(i) \(said), but it is \(v)") }
                    case .success(let m):
                        if said != .accepted {
                            differ(r, j, "rejected the frame from p\(i) (\(said)), but it opens")
                        } else if crashAt[i] > r && m != trace.messages[r - 1][i][j] {
                            differ(
                                r, i,
                                "the frame p\(j) accepted from it carries \(model.codec.describe(m)), the model's is \(model.codec.describe(trace.messages[r - 1][i][j]))"
                            )
                        } else if crashAt[i] <= r {
                            differ(r, j, "accepted a frame from p\(i), whose module had stopped")
                        }
                    }
                }
            }
            if disagreement != nil { break rounds }
        }
        if disagreement == nil {
            for i in 0..<n where crashAt[i] > rounds + 1 {
                guard let log = run.logs[i], let d = log.decision else { continue }
                let m = trace.decisions[i]
                if d.decided != m.decided || (d.decided && d.value != m.value) {
                    differ(rounds + 1, i, "result \(render(d)), the model's \(render(m))")
                }
            }
        }
        var violations: [(property: String, round: Int)] = []
        if outside.isEmpty {
            for property in model.properties where property.kind != .sometimes {
                if let r = trace.violation(of: property, protocol: proto) { violations.append((property.name, r)) }
            }
        }
        let verdict: OracleReport.Verdict =
            disagreement != nil ? .disagrees : outside.isEmpty ? .conforms : .outsideModel
        return OracleReport(
            verdict: verdict, realized: realized, disagreement: disagreement, violations: violations,
            modelDecisions: trace.decisions, rejectedFrames: rejectedList, notes: notes + outside, lostFrames: lost,
            framesChecked: checked)
    }

    /// Opens a frame and decodes its message exactly as a module does.
    private func open(
        _ frame: [UInt8], keys: ChannelKeys, session: SessionID, round: Int, sender: Int, receiver: Int
    ) -> Result<C.P.Message, FrameVerdict> {
        let other = keys.me == sender ? receiver : sender
        switch model.format.open(
            frame[...], key: keys.key(with: other), session: session, round: round, sender: sender, receiver: receiver)
        {
        case .failure(let v): return .failure(v)
        case .success(let bytes):
            guard let m = model.codec.decode(bytes) else { return .failure(.badMessage) }
            return .success(m)
        }
    }

    private func render(_ d: Decision<Concrete>) -> String {
        d.decided
            ? "[" + d.value.map { $0 == Concrete.bottomValue ? "⊥" : String($0) }.joined(separator: ",") + "]"
            : "undecided"
    }
}
