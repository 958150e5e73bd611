import PalsCore
import PalsModule
import PalsRuntime
import Testing

/// The host controller driven by hand, event by event: no module, no
/// network, no clock. Frames are synthetic (a well-formed header and
/// padding): the controller never opens them.
@Suite("Host controller, event by event", .timeLimit(.minutes(10)))
struct HostControllerTests {
    typealias HC = HostController
    static let session = SessionID(0xABCD)
    static let size = FrameFormat.headerSize + 4

    static func frame(round: Int, from: Int, to: Int, session: SessionID = session, fill: UInt8 = 0) -> [UInt8] {
        FrameFormat.header(session: session, round: round, sender: from, receiver: to) + [fill, fill, fill, fill]
    }

    static func envelope(_ kind: Envelope.Kind, round: Int, from: Int, to: Int, session: SessionID = session)
        -> Envelope
    {
        Envelope(
            kind: kind, session: session.value, round: round, sender: from,
            payload: kind == .frame ? frame(round: round, from: from, to: to, session: session) : [])
    }

    /// A controller for p0 of n = 3, R = 2, connected to p1 and p2, started.
    static func started(plan: AdversaryPlan = .none, connected: ProcessSet = ProcessSet([1, 2]), me: Int = 0) -> HC {
        var c = HC(
            id: me, n: 3, rounds: 2, session: session, instance: "toy", input: 7, plan: plan, connected: connected)
        #expect(c.process(.begin) == [.callModule(.begin(session: session, input: 7, instance: "toy"))])
        #expect(c.process(.moduleAnswered(.begun(frameSize: size))) == [])
        #expect(c.process(.start) == [.callModule(.roundOut(1))])
        return c
    }

    static func ownFrames(round: Int, me: Int = 0) -> [[UInt8]] {
        (0..<3).map { frame(round: round, from: me, to: $0) }
    }

    @Test("a failure-free round: frames out, every frame in closes the round before its deadline")
    func failureFree() {
        var c = Self.started()
        let out = c.process(.moduleAnswered(.frames(Self.ownFrames(round: 1))))
        #expect(
            out.contains(
                .send(
                    Envelope(
                        kind: .frame, session: Self.session.value, round: 1, sender: 0,
                        payload: Self.frame(round: 1, from: 0, to: 1)), to: 1)))
        #expect(out.contains(.armDeadline(round: 1)))
        #expect(out.filter { if case .send = $0 { return true } else { return false } }.count == 2)
        #expect(c.process(.envelope(Self.envelope(.frame, round: 1, from: 1, to: 0), from: 1)) == [])
        let closed = c.process(.envelope(Self.envelope(.frame, round: 1, from: 2, to: 0), from: 2))
        #expect(
            closed == [
                .callModule(
                    .roundIn(
                        1,
                        frames: [
                            Self.frame(round: 1, from: 0, to: 0), Self.frame(round: 1, from: 1, to: 0),
                            Self.frame(round: 1, from: 2, to: 0),
                        ]))
            ])
        #expect(
            c.process(.moduleAnswered(.verdicts(Array(repeating: .accepted, count: 3)))) == [.callModule(.roundOut(2))])
        _ = c.process(.moduleAnswered(.frames(Self.ownFrames(round: 2))))
        _ = c.process(.envelope(Self.envelope(.frame, round: 2, from: 1, to: 0), from: 1))
        _ = c.process(.envelope(Self.envelope(.frame, round: 2, from: 2, to: 0), from: 2))
        #expect(c.process(.moduleAnswered(.verdicts(Array(repeating: .accepted, count: 3)))) == [.callModule(.result)])
        let d = Decision<Concrete>(decided: true, value: [1, 2, 3])
        let fin = c.process(.moduleAnswered(.result(d, input: 7)))
        guard case .finish(let log)? = fin.first else {
            Issue.record("no finish: \(fin)")
            return
        }
        #expect(log.decision == d && log.rounds.count == 2 && log.lateFrames.isEmpty && log.droppedEnvelopes == 0)
        #expect(c.isFinished && c.counters.stored == 4)
    }

    @Test("a missing frame: the round closes at its deadline, not before; the frame arriving afterwards is late")
    func deadlineAndLate() {
        var c = Self.started()
        _ = c.process(.moduleAnswered(.frames(Self.ownFrames(round: 1))))
        #expect(c.process(.envelope(Self.envelope(.frame, round: 1, from: 1, to: 0), from: 1)) == [])
        #expect(c.process(.deadline(round: 0)) == [])
        let out = c.process(.deadline(round: 1))
        #expect(
            out == [
                .callModule(
                    .roundIn(
                        1, frames: [Self.frame(round: 1, from: 0, to: 0), Self.frame(round: 1, from: 1, to: 0), nil]))
            ])
        #expect(c.process(.envelope(Self.envelope(.frame, round: 1, from: 2, to: 0), from: 2)) == [])
        #expect(c.counters.late == 1)
        #expect(c.log.lateFrames == [PeerLog.LateFrame(round: 1, from: 2)])
        // A duplicate of a frame that was in time is not late.
        _ = c.process(.envelope(Self.envelope(.frame, round: 1, from: 1, to: 0), from: 1))
        #expect(c.counters.late == 1 && c.counters.duplicate == 1)
    }

    @Test("a peer that is not connected is not waited for; one that closes stops being waited for")
    func connectedPeersOnly() {
        var c = Self.started(connected: ProcessSet([1]))
        _ = c.process(.moduleAnswered(.frames(Self.ownFrames(round: 1))))
        let out = c.process(.envelope(Self.envelope(.frame, round: 1, from: 1, to: 0), from: 1))
        #expect(out.count == 1)
        _ = c.process(.moduleAnswered(.verdicts(Array(repeating: .accepted, count: 3))))
        _ = c.process(.moduleAnswered(.frames(Self.ownFrames(round: 2))))
        #expect(c.process(.peerClosed(1)).count == 1, "p1 closed: nobody left to wait for")
    }

    @Test("the deadline of a round that passed while the module sealed closes it at once")
    func deadlineBeforeFrames() {
        var c = Self.started()
        #expect(c.process(.deadline(round: 1)) == [])
        let out = c.process(.moduleAnswered(.frames(Self.ownFrames(round: 1))))
        #expect(!out.contains(.armDeadline(round: 1)))
        #expect(out.last == .callModule(.roundIn(1, frames: [Self.frame(round: 1, from: 0, to: 0), nil, nil])))
    }

    @Test("notices only speak for the authenticated sender; claimed senders are dropped")
    func noticeInjection() {
        var c = Self.started()
        _ = c.process(.moduleAnswered(.frames(Self.ownFrames(round: 1))))
        // p2 claims p1's omission and p1's crash: both dropped.
        #expect(
            c.process(.envelope(Envelope(kind: .omitted, session: Self.session.value, round: 1, sender: 1), from: 2))
                == [])
        #expect(
            c.process(.envelope(Envelope(kind: .crashed, session: Self.session.value, round: 1, sender: 1), from: 2))
                == [])
        #expect(c.counters.misattributed == 2)
        // p2's crash notice about itself: not waited for any more.
        #expect(
            c.process(.envelope(Envelope(kind: .crashed, session: Self.session.value, round: 1, sender: 2), from: 2))
                == [])
        let out = c.process(.envelope(Self.envelope(.frame, round: 1, from: 1, to: 0), from: 1))
        #expect(
            out == [
                .callModule(
                    .roundIn(
                        1, frames: [Self.frame(round: 1, from: 0, to: 0), Self.frame(round: 1, from: 1, to: 0), nil]))
            ])
    }

    @Test("frames from another session, another round or for another receiver never take the genuine frame's slot")
    func slotSquatting() {
        var c = Self.started()
        _ = c.process(.moduleAnswered(.frames(Self.ownFrames(round: 1))))
        let other = SessionID(0x1234)
        // Another session's envelope, and this session's envelope carrying a
        // frame recorded in another session, in round 2, or for p2.
        _ = c.process(.envelope(Self.envelope(.frame, round: 1, from: 1, to: 0, session: other), from: 1))
        for f in [
            Self.frame(round: 1, from: 1, to: 0, session: other), Self.frame(round: 2, from: 1, to: 0),
            Self.frame(round: 1, from: 1, to: 2), Array(Self.frame(round: 1, from: 1, to: 0).prefix(10)),
        ] {
            _ = c.process(
                .envelope(Envelope(kind: .frame, session: Self.session.value, round: 1, sender: 1, payload: f), from: 1)
            )
        }
        #expect(c.counters.otherSession == 1 && c.counters.malformed == 4 && c.counters.stored == 0)
        _ = c.process(.envelope(Self.envelope(.frame, round: 1, from: 1, to: 0), from: 1))
        let out = c.process(.envelope(Self.envelope(.frame, round: 1, from: 2, to: 0), from: 2))
        #expect(
            out == [
                .callModule(
                    .roundIn(
                        1,
                        frames: [
                            Self.frame(round: 1, from: 0, to: 0), Self.frame(round: 1, from: 1, to: 0),
                            Self.frame(round: 1, from: 2, to: 0),
                        ]))
            ])
    }

    @Test("a flood of envelopes outside the window is dropped and counted; the peer's connection is closed once")
    func flood() {
        var c = HC(
            id: 0, n: 3, rounds: 2, session: Self.session, instance: "toy", input: 7, plan: .none,
            connected: ProcessSet([1, 2]), limits: HostLimits(droppedPerPeer: 100))
        _ = c.process(.begin)
        _ = c.process(.moduleAnswered(.begun(frameSize: Self.size)))
        var closes = 0
        for k in 0..<10_000 {
            let e = Envelope(
                kind: .frame, session: UInt64(k), round: k % 70, sender: 2,
                payload: [UInt8](repeating: 1, count: Self.size))
            closes +=
                c.process(.envelope(e, from: 2)).filter {
                    if case .closeConnection(peer: 2, _) = $0 { return true } else { return false }
                }.count
            let w = Envelope(
                kind: .frame, session: Self.session.value, round: 3 + k % 60, sender: 2,
                payload: Self.frame(round: 3, from: 2, to: 0))
            _ = c.process(.envelope(w, from: 2))
        }
        #expect(closes == 1)
        #expect(c.counters.stored == 0 && c.counters.dropped == 20_000 && c.log.droppedEnvelopes == 20_000)
        #expect(c.log.notes.count == 1)
        // Round 2 is in the window before round 1 starts; p2's slot of it is taken once.
        _ = c.process(.envelope(Self.envelope(.frame, round: 2, from: 2, to: 0), from: 2))
        #expect(c.counters.stored == 1)
    }

    @Test(
        "the adversary: a faulty sender's dropped frame becomes its omission notice; a correct sender's is dropped on the way in"
    )
    func adversary() {
        let plan = AdversaryPlan(
            faulty: ProcessSet([0]), drops: [Link(round: 1, from: 0, to: 2), Link(round: 1, from: 1, to: 0)])
        var c = Self.started(plan: plan)
        let out = c.process(.moduleAnswered(.frames(Self.ownFrames(round: 1))))
        #expect(out.contains(.send(Envelope(kind: .omitted, session: Self.session.value, round: 1, sender: 0), to: 2)))
        _ = c.process(.envelope(Self.envelope(.frame, round: 1, from: 1, to: 0), from: 1))
        // p0 is faulty: a drop of p1 → p0 is p0's own receive omission.
        let closed = c.process(.envelope(Self.envelope(.omitted, round: 1, from: 2, to: 0), from: 2))
        #expect(closed == [.callModule(.roundIn(1, frames: [Self.frame(round: 1, from: 0, to: 0), nil, nil]))])
    }

    @Test("an injected crash stops the module before its round and tells every peer")
    func crash() {
        var c = Self.started(plan: AdversaryPlan(faulty: ProcessSet([0]), crashes: [Crash(process: 0, round: 2)]))
        _ = c.process(.moduleAnswered(.frames(Self.ownFrames(round: 1))))
        _ = c.process(.deadline(round: 1))
        let out = c.process(.moduleAnswered(.verdicts(Array(repeating: .accepted, count: 3))))
        #expect(
            out == [
                .send(Envelope(kind: .crashed, session: Self.session.value, round: 2, sender: 0), to: 1),
                .send(Envelope(kind: .crashed, session: Self.session.value, round: 2, sender: 0), to: 2),
                .callModule(.abort),
            ])
        guard case .finish(let log)? = c.process(.moduleAnswered(.aborted(input: 7))).first else {
            Issue.record("no finish")
            return
        }
        #expect(log.crashedBeforeRound == 2 && log.moduleInput == 7 && log.decision == nil)
    }

    @Test("a module that fails in ROUND OUT is a crash at that round")
    func moduleFailure() {
        var c = Self.started()
        let out = c.process(.moduleAnswered(.failed("dead")))
        guard case .finish(let log)? = out.last else {
            Issue.record("no finish: \(out)")
            return
        }
        #expect(log.crashedBeforeRound == 1 && log.notes.first?.contains("ROUND OUT 1") == true)
        #expect(c.process(.envelope(Self.envelope(.frame, round: 1, from: 1, to: 0), from: 1)) == [])
    }
}
