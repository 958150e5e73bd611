import NIOCore
import NIOEmbedded
import NIOSSL
import NIOTLS
import PalsCore
import PalsModule
import PalsRuntime
import Testing

/// The host's I/O side on NIO's embedded event loop: channels in memory,
/// time advanced by hand. p0 runs its real module through `HostCore`; the
/// test plays hosts p1 and p2 with their modules.
@Suite("Host core on an embedded event loop", .timeLimit(.minutes(10)))
struct HostCoreEmbeddedTests {
    static let ms: Int64 = 1_000_000

    final class Bench {
        let d: Deployment
        let clients: [ModuleClient]
        let loop: EmbeddedEventLoop
        let core: HostCore
        var outbound: [EmbeddedChannel?] = [nil, nil, nil]
        var inbound: [EmbeddedChannel?] = [nil, nil, nil]
        let session = SessionID(77)

        init() throws {
            d = try Deployment(n: 3, t: 1)
            clients = try d.modules().map { ModuleClient($0) }
            let loop = EmbeddedEventLoop()
            self.loop = loop
            core = HostCore(id: 0, n: 3, loop: loop, clock: { Int64(loop.now.uptimeNanoseconds) })
            for p in [1, 2] {
                let out = EmbeddedChannel(loop: loop)
                try out.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
                core.outboundReady(out, peer: p)
                outbound[p] = out
                inbound[p] = try connectInbound(as: p)
            }
        }

        /// An inbound connection whose TLS handshake authenticated `peer` (nil: no pinned key).
        func connectInbound(as peer: Int?, handshake: Bool = true) throws -> EmbeddedChannel {
            let ch = EmbeddedChannel(loop: loop)
            try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(EnvelopeDecoder()))
            try ch.pipeline.syncOperations.addHandler(InboundHandler(core: core.bound) { _ in peer })
            try ch.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
            if handshake {
                ch.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
            }
            return ch
        }

        /// Every envelope p0 has written to `p`.
        func sent(to p: Int) throws -> [Envelope] {
            var out: [Envelope] = []
            while var b = try outbound[p]?.readOutbound(as: ByteBuffer.self) {
                while let e = try Envelope.read(from: &b) { out.append(e) }
            }
            return out
        }

        func deliver(_ e: Envelope, from p: Int, on ch: EmbeddedChannel? = nil) throws {
            var b = ByteBuffer()
            e.write(to: &b)
            try (ch ?? inbound[p])?.writeInbound(b)
        }

        func frame(round: Int, from p: Int, to q: Int, _ frames: [[[UInt8]]]) -> Envelope {
            Envelope(kind: .frame, session: session.value, round: round, sender: p, payload: frames[p][q])
        }
    }

    @Test(
        "round 1 starts at T0; a round closes early once every frame is in, else at T0 + rΔ; a frame after that is late"
    )
    func schedule() throws {
        let b = try Bench()
        let instance = b.d.model.codec.instanceName
        let schedule = RoundSchedule(start: 10 * Self.ms, roundLength: 100 * Self.ms)
        let done = b.core.run(
            SessionParameters(
                session: b.session, instance: instance, input: 10, rounds: 2, plan: .none, schedule: schedule),
            client: b.clients[0])
        for p in [1, 2] { try b.clients[p].begin(session: b.session, input: 10 + p, instance: instance) }
        b.loop.advanceTime(by: .milliseconds(9))
        #expect(try b.sent(to: 1).isEmpty, "nothing before T0")
        b.loop.advanceTime(by: .milliseconds(1))
        let r1 = try [[]] + [1, 2].map { try b.clients[$0].roundOut(1) }
        let p0r1 = (try b.sent(to: 1), try b.sent(to: 2))
        #expect(p0r1.0.count == 1 && p0r1.1.count == 1 && p0r1.0[0].round == 1)
        // Only p1's frame comes: the round stays open until T0 + Δ.
        try b.deliver(b.frame(round: 1, from: 1, to: 0, r1), from: 1)
        b.loop.advanceTime(to: .uptimeNanoseconds(UInt64(schedule.end(ofRound: 1) - 1)))
        #expect(try b.sent(to: 1).isEmpty, "round 1 closed before its deadline")
        b.loop.advanceTime(by: .nanoseconds(1))
        let p0r2 = try b.sent(to: 1)
        #expect(p0r2.count == 1 && p0r2[0].round == 2, "round 2 did not start at the end of round 1")
        _ = try b.sent(to: 2)
        // p2's round-1 frame now: late.
        try b.deliver(b.frame(round: 1, from: 2, to: 0, r1), from: 2)
        // Round 2: both frames in, the round closes at once (no time passes).
        for p in [1, 2] {
            var got: [[UInt8]?] = r1.indices.map { r1[$0].isEmpty ? p0r1.0[0].payload : r1[$0][p] }
            if p == 2 { got[0] = p0r1.1[0].payload }
            _ = try b.clients[p].roundIn(1, frames: got)
        }
        let r2 = try [[]] + [1, 2].map { try b.clients[$0].roundOut(2) }
        try b.deliver(b.frame(round: 2, from: 1, to: 0, r2), from: 1)
        try b.deliver(b.frame(round: 2, from: 2, to: 0, r2), from: 2)
        let outcome = try done.wait()
        #expect(outcome.log.rounds.count == 2)
        #expect(
            outcome.log.rounds[0].received[2] == nil
                && outcome.log.rounds[1].verdicts == [.accepted, .accepted, .accepted])
        #expect(outcome.log.lateFrames == [PeerLog.LateFrame(round: 1, from: 2)])
        #expect(outcome.counters.late == 1 && outcome.counters.stored == 3)
        #expect(outcome.log.decision?.decided == true)
        #expect(b.loop.now == .uptimeNanoseconds(UInt64(schedule.end(ofRound: 1))))
        b.core.close()
    }

    @Test("bytes from a connection without a pinned host key never reach the controller; a silent one is closed")
    func unauthenticated() throws {
        let b = try Bench()
        let instance = b.d.model.codec.instanceName
        let schedule = RoundSchedule(start: 0, roundLength: 100 * Self.ms)
        let done = b.core.run(
            SessionParameters(
                session: b.session, instance: instance, input: 10, rounds: 2, plan: .none, schedule: schedule),
            client: b.clients[0])
        let stranger = try b.connectInbound(as: nil)
        #expect(!stranger.isActive, "a connection without a pinned key stays open")
        let silent = try b.connectInbound(as: nil, handshake: false)
        // Before its handshake, an envelope claiming p1's omission closes the connection.
        try? b.deliver(Envelope(kind: .omitted, session: b.session.value, round: 1, sender: 1), from: 1, on: silent)
        #expect(!silent.isActive)
        let lingering = try b.connectInbound(as: nil, handshake: false)
        b.loop.advanceTime(by: .seconds(2))
        #expect(!lingering.isActive, "a connection that never authenticates is closed at the handshake timeout")
        #expect(b.core.inboundPeers == ProcessSet([1, 2]))
        // The instance still runs on the deadlines only.
        b.loop.advanceTime(by: .milliseconds(250))
        let outcome = try done.wait()
        #expect(outcome.counters.stored == 0 && outcome.log.rounds.count == 2)
        #expect(b.core.takeNotes().count >= 2)
        b.core.close()
    }

    @Test("too many inbound connections: the extra ones are refused")
    func inboundLimit() throws {
        let b = try Bench()
        var open: [EmbeddedChannel] = []
        for _ in 0..<20 { open.append(try b.connectInbound(as: nil, handshake: false)) }
        // 2n + 4 = 10 may be open at once; two are p1's and p2's.
        #expect(open.filter(\.isActive).count == 8)
        b.core.close()
    }
}
