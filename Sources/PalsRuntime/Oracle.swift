import PalsCore
import PalsModule

/// The oracle's verdict on one run of the runtime.
public struct OracleReport: Sendable {
    public enum Verdict: String, Sendable {
        /// Every module's messages and result equal the model's on the
        /// realized failure pattern.
        case conforms
        /// A module sent a message or produced a result the model does not.
        case disagrees
        /// The run left the model (more than t processes misbehaved, e.g.
        /// frames lost between correct hosts through timeouts): nothing to
        /// compare against. Not a protocol bug, but reported.
        case outsideModel = "outside-model"
    }

    /// Where the runtime and the model first differ.
    public struct Disagreement: Sendable, Equatable, CustomStringConvertible {
        /// The round (R + 1 for results).
        public var round: Int
        public var module: Int
        public var detail: String
        public var description: String { "round \(round), module p\(module): \(detail)" }
    }

    public var verdict: Verdict
    /// The failure pattern as realized (what the modules accepted), on which
    /// the model was replayed.
    public var realized: FailurePattern
    public var disagreement: Disagreement?
    /// Properties of the model violated on the realized run (name, round).
    public var violations: [(property: String, round: Int)]
    /// The model's decisions on the realized run.
    public var modelDecisions: [Decision<Concrete>]
    /// Frames rejected by modules, by verdict (not counting absent ones).
    public var rejectedFrames: [(FrameVerdict, Int)]
    public var notes: [String]

    public var conforms: Bool { verdict == .conforms }
}

/// Replays a run's realized failure pattern through `simulate` and compares
/// every module's frames (opened with the modules' keys) and result with the
/// model's, then checks the properties (DESIGN §5: the checker is the
/// runtime's oracle).
public struct Oracle<C: ModuleCodec> {
    public let model: RuntimeModel<C>
    public let roster: Roster
    private let secrets: [PairSecrets?]

    /// - Parameter keys: the modules' keys (test deployments: the oracle is
    ///   trusted with them to open frames); a module without its key is
    ///   checked through the frames others received from it.
    public init(model: RuntimeModel<C>, roster: Roster, keys: [ModuleKey]) throws(PalsError) {
        self.model = model
        self.roster = roster
        var s = [PairSecrets?](repeating: nil, count: roster.n)
        for k in keys where k.id < roster.n { s[k.id] = try PairSecrets(key: k, roster: roster) }
        self.secrets = s
    }

    public func check(_ run: RunTrace) throws(PalsError) -> OracleReport {
        let proto = model.proto
        let n = proto.n
        let rounds = proto.rounds
        guard run.n == n, run.t == proto.t, run.rounds == rounds, run.instance == model.codec.instanceName else {
            throw PalsError(
                .invalidArgument,
                "the run is of \(run.instance) (n = \(run.n), t = \(run.t)) but the oracle's model is \(model.codec.instanceName)")
        }
        var notes: [String] = []
        // 1. Crash rounds: injected ones from the logs; a host without a log
        //    (killed, never started) or with a log cut short counts as
        //    crashed after the last round in which a frame of it was accepted
        //    or its own log ends.
        func lastAccepted(from i: Int) -> Int {
            var last = 0
            for case let log? in run.logs {
                for r in log.rounds where r.verdicts[i] == .accepted && r.round > last { last = r.round }
            }
            return last
        }
        var crashAt = Array(repeating: Int.max, count: n)
        for i in 0..<n {
            if let log = run.logs[i] {
                if let c = log.crashedBeforeRound {
                    crashAt[i] = c
                } else if log.decision == nil || log.rounds.count < rounds {
                    crashAt[i] = max(log.rounds.count + 1, lastAccepted(from: i) + 1)
                    notes.append("p\(i)'s log stops after round \(log.rounds.count) without a result: counted as crashed at round \(crashAt[i])")
                }
            } else {
                crashAt[i] = lastAccepted(from: i) + 1
                notes.append("p\(i) left no log: counted as crashed at round \(crashAt[i])")
                if crashAt[i] > 2 {
                    return OracleReport(
                        verdict: .outsideModel, realized: FailurePattern(), disagreement: nil, violations: [],
                        modelDecisions: [], rejectedFrames: [],
                        notes: notes + ["p\(i) left no log but its frames were accepted up to round \(crashAt[i] - 1): what it received is unknown"])
                }
            }
        }
        // 2. Drops: a frame between two live modules that the receiver did
        //    not accept. A receiver without a log in that round is assumed
        //    to have received everything (it crashes before it matters).
        var faulty = run.adversary.faulty
        for i in 0..<n where crashAt[i] <= rounds + 1 { faulty.insert(i) }
        var drops: [Link] = []
        var rejected: [FrameVerdict: Int] = [:]
        for r in stride(from: 1, through: rounds, by: 1) {
            for j in 0..<n where crashAt[j] > r {
                guard let log = run.logs[j], r <= log.rounds.count else { continue }
                let verdicts = log.rounds[r - 1].verdicts
                for i in 0..<n where i != j && crashAt[i] > r && verdicts[i] != .accepted {
                    drops.append(Link(round: r, from: i, to: j))
                }
                for v in verdicts where v != .accepted && v != .absent { rejected[v, default: 0] += 1 }
            }
        }
        let unexplained = drops.filter { !faulty.contains($0.from) && !faulty.contains($0.to) }
        if !unexplained.isEmpty {
            let blamed = Self.smallestCover(unexplained, n: n)
            faulty = faulty.union(blamed)
            notes.append(
                "\(unexplained.count) frame(s) lost between processes the adversary left correct (timeouts or the network), first \(unexplained[0]): \(blamed) counted faulty")
        }
        var crashes: [Crash] = []
        for i in 0..<n where crashAt[i] <= rounds + 1 { crashes.append(Crash(process: i, round: crashAt[i])) }
        let realized = FailurePattern(faulty: faulty, crashes: crashes, drops: drops.sorted())
        let rejectedList = FrameVerdict.allCases.compactMap { v in rejected[v].map { (v, $0) } }
        do {
            try realized.validate(n: n, t: proto.t, rounds: rounds)
        } catch {
            return OracleReport(
                verdict: .outsideModel, realized: realized, disagreement: nil, violations: [], modelDecisions: [],
                rejectedFrames: rejectedList, notes: notes + ["the realized failure pattern is outside the model: \(error.message)"])
        }
        // 3. Replay and compare.
        // The inputs the modules ran with (a module may draw part of its
        // input itself, and tells it after the session).
        var inputs = run.inputs
        for i in 0..<n { if let m = run.logs[i]?.moduleInput { inputs[i] = m } }
        let trace = try simulate(proto, inputs: inputs, pattern: realized)
        let format = model.format
        let channels = secrets.map { s in
            s.map { ChannelKeys(secrets: $0, session: run.session, instance: model.codec.instanceName) }
        }
        var disagreement: OracleReport.Disagreement?
        func differ(_ round: Int, _ module: Int, _ detail: String) {
            if disagreement == nil { disagreement = .init(round: round, module: module, detail: detail) }
        }
        for i in 0..<n {
            if let log = run.logs[i], log.input != run.inputs[i] {
                differ(0, i, "the host's log has input \(log.input) but the run's input is \(run.inputs[i])")
            }
        }
        rounds: for r in stride(from: 1, through: rounds, by: 1) {
            for i in 0..<n where crashAt[i] > r {
                for j in 0..<n {
                    let expected = trace.messages[r - 1][i][j]
                    // What p_i sealed for p_j, opened with p_i's key.
                    if let log = run.logs[i], r <= log.rounds.count, let s = channels[i] {
                        let frame = log.rounds[r - 1].sent[j]
                        if frame.count != format.frameSize {
                            differ(r, i, "its frame to p\(j) has \(frame.count) bytes, not the fixed \(format.frameSize)")
                        }
                        compare(frame, keys: s, session: run.session, round: r, sender: i, receiver: j,
                                expected: expected, what: "its frame to p\(j)", differ: differ)
                    }
                    // What p_j accepted from p_i, opened with p_j's key.
                    if i != j, let log = run.logs[j], r <= log.rounds.count, crashAt[j] > r,
                        log.rounds[r - 1].verdicts[i] == .accepted, let s = channels[j]
                    {
                        guard let frame = log.rounds[r - 1].received[i] else {
                            differ(r, j, "accepted a frame from p\(i) that its host never handed it")
                            continue
                        }
                        compare(frame, keys: s, session: run.session, round: r, sender: i, receiver: j,
                                expected: expected, what: "the frame p\(j) accepted from it", differ: differ, blame: i)
                    }
                }
            }
            if disagreement != nil { break rounds }
        }
        for i in 0..<n where crashAt[i] > rounds + 1 {
            guard let log = run.logs[i], let d = log.decision else { continue }
            let m = trace.decisions[i]
            if d.decided != m.decided || (d.decided && d.value != m.value) {
                differ(rounds + 1, i, "result \(render(d)), the model's \(render(m))")
            }
        }
        var violations: [(property: String, round: Int)] = []
        for property in model.properties where property.kind != .sometimes {
            if let r = trace.violation(of: property, protocol: proto) { violations.append((property.name, r)) }
        }
        return OracleReport(
            verdict: disagreement == nil ? .conforms : .disagrees, realized: realized, disagreement: disagreement,
            violations: violations, modelDecisions: trace.decisions, rejectedFrames: rejectedList, notes: notes)
    }

    /// The smallest set of processes touching every link (exhaustive for
    /// n ≤ 16, lowest ids first among equals; greedy by degree beyond).
    static func smallestCover(_ links: [Link], n: Int) -> ProcessSet {
        let edges = links.map { ProcessSet([$0.from, $0.to]) }
        if n <= 16 {
            for size in 1...n {
                for c in ProcessSet.combinations(n: n, k: size) where edges.allSatisfy({ !$0.intersection(c).isEmpty }) {
                    return c
                }
            }
        }
        var cover = ProcessSet()
        var left = edges
        while !left.isEmpty {
            var degree = Array(repeating: 0, count: n)
            for e in left { for p in e { degree[p] += 1 } }
            let best = degree.indices.max { degree[$0] < degree[$1] || (degree[$0] == degree[$1] && $0 > $1) }!
            cover.insert(best)
            left.removeAll { $0.contains(best) }
        }
        return cover
    }

    private func compare(
        _ frame: [UInt8], keys: ChannelKeys, session: SessionID, round: Int, sender: Int, receiver: Int,
        expected: C.P.Message, what: String, differ: (Int, Int, String) -> Void, blame: Int? = nil
    ) {
        let other = keys.me == sender ? receiver : sender
        switch model.format.open(
            frame[...], key: keys.key(with: other), session: session, round: round, sender: sender, receiver: receiver)
        {
        case .failure(let v):
            differ(round, blame ?? sender, "\(what) does not open (\(v))")
        case .success(let bytes):
            guard let m = model.codec.decode(bytes) else {
                differ(round, blame ?? sender, "\(what) holds no protocol message")
                return
            }
            if m != expected {
                differ(
                    round, blame ?? sender,
                    "\(what) carries \(model.codec.describe(m)), the model's is \(model.codec.describe(expected))")
            }
        }
    }

    private func render(_ d: Decision<Concrete>) -> String {
        d.decided ? "[" + d.value.map { $0 == Concrete.bottomValue ? "⊥" : String($0) }.joined(separator: ",") + "]" : "undecided"
    }
}
