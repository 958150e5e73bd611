import PalsCore
import PalsModule

/// The synchronous schedule of one instance (DESIGN §5): every host starts
/// round 1 at `start` (T0) and closes round r at the latest at
/// `start + r × roundLength` (T0 + rΔ) on its own clock; a round may close
/// earlier, once every frame it waits for is in. Times are nanoseconds since
/// the Unix epoch (wall clock), so that hosts in different processes agree.
public struct RoundSchedule: Sendable, Equatable {
    /// T0, nanoseconds since the Unix epoch.
    public var start: Int64
    /// Δ, nanoseconds.
    public var roundLength: Int64

    /// - Parameters:
    ///   - start: T0, nanoseconds since the Unix epoch.
    ///   - roundLength: Δ, nanoseconds (> 0).
    public init(start: Int64, roundLength: Int64) {
        precondition(roundLength > 0, "a round lasts a positive time")
        self.start = start
        self.roundLength = roundLength
    }

    /// T0 + rΔ: when round `round` closes at the latest.
    public func end(ofRound round: Int) -> Int64 { start &+ Int64(round) &* roundLength }
}

/// What a host keeps of one instance at most, and what it drops (DESIGN §5,
/// "Bounded state"): one slot per (peer, round) for the round being
/// collected and the next; every other envelope is dropped and counted.
public struct HostLimits: Sendable, Equatable {
    /// Envelopes a peer may have dropped (other session, outside the window,
    /// duplicates, malformed frames) in one instance before its connection
    /// is closed.
    public var droppedPerPeer: Int
    /// Notes a host keeps for its log.
    public var notes: Int

    /// Limits of one instance at one host; the defaults are `standard`.
    public init(droppedPerPeer: Int = 4096, notes: Int = 64) {
        self.droppedPerPeer = droppedPerPeer
        self.notes = notes
    }

    /// 4096 dropped envelopes per peer, 64 notes.
    public static let standard = HostLimits()
}

/// What a host counted while it ran one instance.
public struct HostCounters: Sendable, Equatable {
    /// Envelopes that filled a slot (frames and omission notices).
    public var stored = 0
    /// Envelopes of another session.
    public var otherSession = 0
    /// Envelopes for a round outside the window (not the round being
    /// collected or the next), other than late frames.
    public var outsideWindow = 0
    /// A second envelope for a slot already filled.
    public var duplicate = 0
    /// Frames of the wrong size or whose cleartext header names another
    /// session, round, sender or receiver.
    public var malformed = 0
    /// Envelopes whose claimed sender is not the authenticated peer.
    public var misattributed = 0
    /// Frames that arrived after their round had closed without them.
    public var late = 0

    /// All counts zero.
    public init() {}

    /// Every envelope dropped.
    public var dropped: Int { otherSession + outsideWindow + duplicate + malformed + misattributed + late }
}

/// The Controller of a host (seed §7, DESIGN §5): a value-type state machine
/// that runs one instance of its security module, and the only place where
/// the adversary's semantics live. Events come in (the start time, peers
/// connecting and closing, envelopes from authenticated peers, round
/// deadlines, the module's answers); actions go out (call the module, send an
/// envelope, arm a deadline, close a connection, finish). The TCP host, the
/// in-memory transport and the tests all drive this one type.
///
/// The adversary (`AdversaryPlan`): a crash of this host's module before
/// round r stops it (ABORT) and tells the others; a drop of a frame this
/// host sends while it is faulty becomes an `omitted` notice; a drop of a
/// frame from a correct sender is applied here, on the way in.
public struct HostController {
    /// A call of the module's APDU interface.
    public enum ModuleCall: Equatable, Sendable {
        /// BEGIN: start a session with this host's input, bound to the instance's name.
        case begin(session: SessionID, input: Int, instance: String)
        /// ROUND OUT r: seal this round's frames, one per process.
        case roundOut(Int)
        /// ROUND IN r: open the frames the host collected, one slot per process (nil: nothing arrived).
        case roundIn(Int, frames: [[UInt8]?])
        /// RESULT: the module's decision after the last round.
        case result
        /// ABORT: stop the session (an injected crash).
        case abort
    }

    /// The module's answer to the last call.
    public enum ModuleAnswer: Equatable, Sendable {
        /// BEGIN done; every frame of the instance has `frameSize` bytes.
        case begun(frameSize: Int)
        /// ROUND OUT's frames, the j-th for p_j.
        case frames([[UInt8]])
        /// ROUND IN's verdicts, one per slot.
        case verdicts([FrameVerdict])
        /// RESULT's decision, and the input the module ran with.
        case result(Decision<Concrete>, input: Int)
        /// ABORT done; the module's input, if it had one.
        case aborted(input: Int?)
        /// The call failed (a refusal, garbage, a dead module).
        case failed(String)
    }

    /// What comes into the controller: the start time, peers connecting and closing, envelopes, deadlines and the
    /// module's answers.
    public enum Event: Equatable, Sendable {
        /// Start the instance: BEGIN the module.
        case begin
        /// T0 has come: round 1 starts.
        case start
        /// An authenticated connection from `peer` is up.
        case peerConnected(Int)
        /// An authenticated connection from `peer` closed.
        case peerClosed(Int)
        /// An envelope from the authenticated peer `from`.
        case envelope(Envelope, from: Int)
        /// T0 + rΔ has come.
        case deadline(round: Int)
        /// The module answered the last `callModule`.
        case moduleAnswered(ModuleAnswer)
    }

    /// What the controller asks its driver to do, in the order given.
    public enum Action: Equatable, Sendable {
        /// Make this call of the module and feed back its answer as `.moduleAnswered`.
        case callModule(ModuleCall)
        /// Send the envelope to host `to` (lost, an omission, if the connection is down).
        case send(Envelope, to: Int)
        /// Deliver `.deadline(round:)` at T0 + rΔ (at once if it has passed).
        case armDeadline(round: Int)
        /// Close every connection from `peer` (it exceeded its limits).
        case closeConnection(peer: Int, reason: String)
        /// The instance is over for this host; `log` is its log.
        case finish(PeerLog)
    }

    enum Phase: Equatable {
        case idle
        case beginning
        case waitingForStart
        case sealing(Int)
        case collecting(Int)
        case opening(Int)
        case finishing
        case aborting
        case done
    }

    enum Slot: Equatable {
        case frame([UInt8])
        case omitted
    }

    /// This host's process id, 0…n-1.
    public let id: Int
    /// The number of processes.
    public let n: Int
    /// The number of rounds R of the instance.
    public let rounds: Int
    /// The instance's session id; envelopes of any other session are dropped.
    public let session: SessionID
    /// The instance name the module is BEGUN with.
    public let instance: String
    /// This host's input.
    public let input: Int
    /// The adversary this host carries out (crashes of its module, drops of its frames).
    public let plan: AdversaryPlan
    /// What this host keeps and drops in this instance.
    public let limits: HostLimits

    private(set) var phase = Phase.idle
    private var startReached = false
    /// The highest round whose deadline has come.
    private var deadlinePassed = 0
    private var frameSize = 0
    /// Authenticated connections per peer.
    private var connections: [Int]
    /// A peer's module is stopped from this round on (its own notice).
    private var crashedFrom: [Int]
    /// The window: slots of round `base` and `base + 1`, one per peer.
    private var base = 1
    private var slots: [[Slot?]]
    /// Per round, the peers whose slot was filled when it closed.
    private var filled: [ProcessSet]
    private var late: [ProcessSet]
    private var droppedBy: [Int]
    private var sent: [[UInt8]] = []
    /// What this host has counted so far in this instance.
    public private(set) var counters = HostCounters()
    /// This host's log of the instance so far; complete once `isFinished`.
    public private(set) var log: PeerLog

    /// - Parameters:
    ///   - connected: peers with an authenticated connection when the instance is set up.
    public init(
        id: Int, n: Int, rounds: Int, session: SessionID, instance: String, input: Int, plan: AdversaryPlan,
        connected: ProcessSet = ProcessSet(), limits: HostLimits = .standard
    ) {
        precondition(n >= 1 && id >= 0 && id < n && rounds >= 0, "Invalid host \(id) of \(n)")
        self.id = id
        self.n = n
        self.rounds = rounds
        self.session = session
        self.instance = instance
        self.input = input
        self.plan = plan
        self.limits = limits
        self.connections = (0..<n).map { connected.contains($0) ? 1 : 0 }
        self.crashedFrom = Array(repeating: Int.max, count: n)
        self.slots = Array(repeating: Array(repeating: nil, count: n), count: 2)
        self.filled = Array(repeating: ProcessSet(), count: rounds + 2)
        self.late = Array(repeating: ProcessSet(), count: rounds + 2)
        self.droppedBy = Array(repeating: 0, count: n)
        self.log = PeerLog(id: id, input: input)
    }

    /// True once the controller has emitted `.finish`.
    public var isFinished: Bool { phase == .done }

    /// The round being sealed, collected or opened (0 before round 1).
    public var currentRound: Int {
        switch phase {
        case .sealing(let r), .collecting(let r), .opening(let r): return r
        case .finishing, .aborting, .done: return rounds + 1
        default: return 0
        }
    }

    /// Peers with an authenticated connection.
    public var connected: ProcessSet { ProcessSet((0..<n).filter { connections[$0] > 0 }) }

    /// Feeds one event; returns the actions to carry out, in order.
    public mutating func process(_ event: Event) -> [Action] {
        var out: [Action] = []
        switch event {
        case .begin:
            guard phase == .idle else { preconditionFailure("Invalid state \(phase) for begin") }
            phase = .beginning
            out.append(.callModule(.begin(session: session, input: input, instance: instance)))
        case .start:
            startReached = true
            if phase == .waitingForStart { startRound(1, &out) }
        case .peerConnected(let p):
            guard p >= 0, p < n, p != id else { return out }
            connections[p] += 1
        case .peerClosed(let p):
            guard p >= 0, p < n, p != id, connections[p] > 0 else { return out }
            connections[p] -= 1
            closeIfComplete(&out)
        case .envelope(let e, let from):
            receive(e, from: from, &out)
        case .deadline(let r):
            deadlinePassed = max(deadlinePassed, r)
            if case .collecting(let c) = phase, c <= r { closeRound(c, &out) }
        case .moduleAnswered(let answer):
            answered(answer, &out)
        }
        return out
    }

    // MARK: - Rounds

    private mutating func startRound(_ r: Int, _ out: inout [Action]) {
        if r > rounds {
            if plan.crashed(id, before: rounds + 1) {
                stop(before: rounds + 1, &out)
            } else {
                phase = .finishing
                out.append(.callModule(.result))
            }
            return
        }
        if plan.crashed(id, before: r) {
            stop(before: r, &out)
            return
        }
        phase = .sealing(r)
        out.append(.callModule(.roundOut(r)))
    }

    /// An injected crash: the module is stopped before `round`.
    private mutating func stop(before round: Int, _ out: inout [Action]) {
        log.crashedBeforeRound = round
        if round <= rounds { tellCrashed(round, &out) }
        phase = .aborting
        out.append(.callModule(.abort))
    }

    private func tellCrashed(_ round: Int, _ out: inout [Action]) {
        for j in 0..<n where j != id {
            out.append(.send(Envelope(kind: .crashed, session: session.value, round: round, sender: id), to: j))
        }
    }

    private mutating func answered(_ answer: ModuleAnswer, _ out: inout [Action]) {
        switch (phase, answer) {
        case (.beginning, .begun(let size)):
            frameSize = size
            phase = .waitingForStart
            if startReached { startRound(1, &out) }
        case (.beginning, .failed(let why)):
            note("module refused BEGIN: \(why)")
            log.crashedBeforeRound = 1
            if rounds >= 1 { tellCrashed(1, &out) }
            finish(&out)
        case (.sealing(let r), .frames(let frames)):
            guard frames.count == n else {
                answered(.failed("ROUND OUT answered \(frames.count) frames for \(n) modules"), &out)
                return
            }
            sent = frames
            for j in 0..<n where j != id {
                if plan.faulty.contains(id) && plan.drops.contains(Link(round: r, from: id, to: j)) {
                    out.append(.send(Envelope(kind: .omitted, session: session.value, round: r, sender: id), to: j))
                } else {
                    out.append(
                        .send(
                            Envelope(kind: .frame, session: session.value, round: r, sender: id, payload: frames[j]),
                            to: j))
                }
            }
            phase = .collecting(r)
            if deadlinePassed >= r {
                closeRound(r, &out)
            } else {
                out.append(.armDeadline(round: r))
                closeIfComplete(&out)
            }
        case (.sealing(let r), .failed(let why)):
            note("module failed in ROUND OUT \(r): \(why)")
            log.crashedBeforeRound = r
            tellCrashed(r, &out)
            finish(&out)
        case (.opening(let r), .verdicts(let verdicts)):
            guard verdicts.count == n else {
                answered(.failed("ROUND IN answered \(verdicts.count) verdicts for \(n) slots"), &out)
                return
            }
            let received = lastReceived
            log.rounds.append(PeerLog.Round(round: r, sent: sent, received: received, verdicts: verdicts))
            startRound(r + 1, &out)
        case (.opening(let r), .failed(let why)):
            note("module failed in ROUND IN \(r): \(why)")
            log.crashedBeforeRound = r + 1
            if r + 1 <= rounds { tellCrashed(r + 1, &out) }
            finish(&out)
        case (.finishing, .result(let d, let input)):
            log.decision = d
            log.moduleInput = input
            finish(&out)
        case (.finishing, .failed(let why)):
            note("module failed in RESULT: \(why)")
            log.crashedBeforeRound = rounds + 1
            finish(&out)
        case (.aborting, .aborted(let input)):
            log.moduleInput = input
            finish(&out)
        case (.aborting, .failed(let why)):
            note("module failed in ABORT: \(why)")
            finish(&out)
        default:
            preconditionFailure("Invalid state \(phase) for module answer \(answer)")
        }
    }

    private var lastReceived: [[UInt8]?] = []

    /// True when every peer this host waits for has filled its slot of `r`.
    private func complete(_ r: Int) -> Bool {
        let k = r - base
        for i in 0..<n where i != id && slots[k][i] == nil {
            if connections[i] > 0 && crashedFrom[i] > r { return false }
        }
        return true
    }

    private mutating func closeIfComplete(_ out: inout [Action]) {
        if case .collecting(let r) = phase, complete(r) { closeRound(r, &out) }
    }

    private mutating func closeRound(_ r: Int, _ out: inout [Action]) {
        precondition(r == base, "Invalid state \(phase): closing round \(r) with window at \(base)")
        var received = [[UInt8]?](repeating: nil, count: n)
        received[id] = sent[id]
        for i in 0..<n where i != id {
            guard let slot = slots[0][i] else { continue }
            filled[r].insert(i)
            guard case .frame(let f) = slot else { continue }
            // The adversary drops a correct sender's frame on the way in.
            let dropByReceiver = !plan.faulty.contains(i) && plan.drops.contains(Link(round: r, from: i, to: id))
            if !dropByReceiver { received[i] = f }
        }
        lastReceived = received
        slots[0] = slots[1]
        slots[1] = Array(repeating: nil, count: n)
        base = r + 1
        phase = .opening(r)
        out.append(.callModule(.roundIn(r, frames: received)))
    }

    private mutating func finish(_ out: inout [Action]) {
        phase = .done
        slots = [Array(repeating: nil, count: n), Array(repeating: nil, count: n)]
        out.append(.finish(log))
    }

    private mutating func note(_ text: String) {
        if log.notes.count < limits.notes { log.notes.append(text) }
    }

    // MARK: - Envelopes

    private mutating func receive(_ e: Envelope, from p: Int, _ out: inout [Action]) {
        guard p >= 0, p < n, p != id, phase != .done else { return }
        guard e.sender == p else { return drop(p, \.misattributed, &out) }
        guard e.session == session.value else { return drop(p, \.otherSession, &out) }
        switch e.kind {
        case .hello:
            return
        case .crashed:
            // Only about the authenticated sender itself.
            guard e.round >= 1 else { return drop(p, \.outsideWindow, &out) }
            if e.round < crashedFrom[p] {
                crashedFrom[p] = e.round
                closeIfComplete(&out)
            }
        case .frame, .omitted:
            let r = e.round
            if r >= 1 && r < base && r <= rounds {
                if e.kind == .frame && !filled[r].contains(p) && !late[r].contains(p) {
                    // Its round closed without it: outside the timing assumption.
                    late[r].insert(p)
                    log.lateFrames.append(PeerLog.LateFrame(round: r, from: p))
                    return drop(p, \.late, &out)
                }
                return drop(p, \.duplicate, &out)
            }
            guard r >= base, r <= base + 1, r <= rounds else { return drop(p, \.outsideWindow, &out) }
            let k = r - base
            guard slots[k][p] == nil else { return drop(p, \.duplicate, &out) }
            if e.kind == .frame {
                guard wellFormed(e.payload, round: r, from: p) else { return drop(p, \.malformed, &out) }
                slots[k][p] = .frame(e.payload)
            } else {
                slots[k][p] = .omitted
            }
            counters.stored += 1
            if k == 0 { closeIfComplete(&out) }
        }
    }

    /// The cheap check a host makes before a frame takes its slot: the fixed
    /// size, and a cleartext header naming this session, the round, the
    /// sender and this host. (The module authenticates the rest; since only
    /// the authenticated sender's host can fill its slot, a frame that
    /// passes and then fails in the module is that sender's own omission.)
    private func wellFormed(_ frame: [UInt8], round: Int, from p: Int) -> Bool {
        guard frameSize > 0, frame.count == frameSize else { return false }
        let header = FrameFormat.header(session: session, round: round, sender: p, receiver: id)
        return frame.prefix(FrameFormat.headerSize).elementsEqual(header)
    }

    private mutating func drop(_ p: Int, _ counter: WritableKeyPath<HostCounters, Int>, _ out: inout [Action]) {
        counters[keyPath: counter] += 1
        droppedBy[p] += 1
        log.droppedEnvelopes += 1
        if droppedBy[p] == limits.droppedPerPeer + 1 {
            note("p\(p) sent more than \(limits.droppedPerPeer) unusable envelopes: connection closed")
            out.append(.closeConnection(peer: p, reason: "more than \(limits.droppedPerPeer) unusable envelopes"))
        }
    }
}
