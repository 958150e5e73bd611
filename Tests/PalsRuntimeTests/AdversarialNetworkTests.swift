import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import PalsCore
import PalsModule
import PalsRuntime
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Attacks on the hosts' network (issue: "keeps the model's promises on a
/// real network"), over TCP and TLS on loopback: the attacker can connect to
/// every port, replay and inject, and controls up to t hosts. Every correct
/// peer must decide the model's vector.
@Suite("Adversarial network", .serialized, .timeLimit(.minutes(10)))
struct AdversarialNetworkTests {
    /// The vector every correct peer decides when `absent` took no part.
    static func expected(_ inputs: [Int], absent: Set<Int>) -> [Int] {
        inputs.indices.map { absent.contains($0) ? Concrete.bottomValue : inputs[$0] }
    }

    @Test("impersonation: a host without the pinned key (none, or another one claiming p2) never reaches a mailbox")
    func impersonation() throws {
        let d = try Deployment(n: 3, t: 1)
        let c = try LoopbackHosts(d, live: [0, 1])
        defer { c.shutdown() }
        c.connect(timeout: .milliseconds(300))
        // A rogue host claiming to be p2 with a key of its own.
        let rogueKey = HostKey.generate(id: 2)
        var pins = d.hostKeys.map { Optional($0.publicKey) }
        pins[2] = rogueKey.publicKey
        let rogue = try TCPHost(tls: HostTLS(key: rogueKey, pinned: pins), n: 3, group: c.group)
        defer { rogue.shutdown() }
        #expect(rogue.connect(to: c.addresses, timeout: .milliseconds(500)).isEmpty)
        // A TLS client with no certificate at all.
        var noCert = TLSConfiguration.makeClientConfiguration()
        noCert.certificateVerification = .none
        noCert.minimumTLSVersion = .tlsv13
        let context = try NIOSSLContext(configuration: noCert)
        let ch = try ClientBootstrap(group: c.group)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: nil))
                }
            }
            .connect(host: "127.0.0.1", port: c.addresses[0]!.port).wait()
        var b = ch.allocator.buffer(capacity: 64)
        for r in 1...2 { Envelope(kind: .omitted, session: 5, round: r, sender: 1).write(to: &b) }
        ch.writeAndFlush(b, promise: nil)
        try ch.closeFuture.wait()  // the server ends the handshake
        #expect(c.hosts[0]!.connectedPeers == ProcessSet([1]))
        let inputs = [3, 4, 5]
        let trace = try c.run(
            session: 5, inputs: inputs,
            during: {
                for r in 1...2 { rogue.inject(Envelope(kind: .omitted, session: 5, round: r, sender: 2), to: 0) }
            })
        for i in [0, 1] {
            #expect(trace.logs[i]?.decision?.value == Self.expected(inputs, absent: [2]))
            #expect(trace.logs[i]?.droppedEnvelopes == 0, "nothing from the attackers reached p\(i)'s controller")
        }
        #expect(try d.oracle().check(trace).verdict == .conforms)
    }

    @Test("notice injection: a faulty host's omitted/crashed notices about another peer are dropped")
    func noticeInjection() throws {
        let d = try Deployment(n: 3, t: 1)
        let c = try LoopbackHosts(d, live: [0, 1, 2])
        defer { c.shutdown() }
        c.connect()
        let p2 = c.hosts[2]!
        let inputs = [3, 4, 5]
        let trace = try c.run(
            session: 6, inputs: inputs, lead: 200_000_000, only: [0, 1],
            during: {
                for r in 1...2 {
                    p2.inject(Envelope(kind: .omitted, session: 6, round: r, sender: 1), to: 0)
                    p2.inject(Envelope(kind: .crashed, session: 6, round: r, sender: 1), to: 0)
                }
                p2.inject(Envelope(kind: .crashed, session: 6, round: 1, sender: 2), to: 0)
                p2.inject(Envelope(kind: .crashed, session: 6, round: 1, sender: 2), to: 1)
            })
        for i in [0, 1] { #expect(trace.logs[i]?.decision?.value == Self.expected(inputs, absent: [2])) }
        #expect((trace.logs[0]?.droppedEnvelopes ?? 0) == 4, "the four notices claiming p1 are dropped")
        #expect(try d.oracle().check(trace).verdict == .conforms)
    }

    @Test("slot squatting: frames replayed from another session never take a genuine frame's slot")
    func replayedFrames() throws {
        let d = try Deployment(n: 3, t: 1)
        let c = try LoopbackHosts(d, live: [0, 1, 2])
        defer { c.shutdown() }
        c.connect()
        let first = try c.run(session: 7, inputs: [1, 2, 3])
        #expect(try d.oracle().check(first).verdict == .conforms)
        // p1's frames to p0 of session 7, replayed by the faulty p2 into session 8
        // (claiming p1, and as its own), before p1's genuine ones.
        let recorded = (first.logs[1]?.rounds ?? []).map { $0.sent[0] }
        #expect(recorded.count == 2)
        let p2 = c.hosts[2]!
        let inputs = [3, 4, 5]
        let trace = try c.run(
            session: 8, inputs: inputs, lead: 200_000_000, roundLength: 500_000_000, only: [0, 1],
            during: {
                for (k, f) in recorded.enumerated() {
                    p2.inject(Envelope(kind: .frame, session: 8, round: k + 1, sender: 1, payload: f), to: 0)
                    p2.inject(Envelope(kind: .frame, session: 8, round: k + 1, sender: 2, payload: f), to: 0)
                    p2.inject(Envelope(kind: .frame, session: 7, round: k + 1, sender: 2, payload: f), to: 0)
                }
            })
        for i in [0, 1] { #expect(trace.logs[i]?.decision?.value == Self.expected(inputs, absent: [2])) }
        #expect(
            trace.logs[0]?.rounds.allSatisfy { $0.verdicts[1] == .accepted } == true,
            "p1's genuine frames were accepted")
        #expect(trace.logs[0]?.droppedEnvelopes == 6)
        #expect(try d.oracle().check(trace).verdict == .conforms)
    }

    @Test("a junk flood from an authenticated faulty host is dropped, bounded and cut off; the others decide")
    func junkFlood() throws {
        let d = try Deployment(n: 3, t: 1)
        let c = try LoopbackHosts(d, live: [0, 1, 2])
        defer { c.shutdown() }
        c.connect()
        let p2 = c.hosts[2]!
        let megabytes = Int(ProcessInfo.processInfo.environment["PALS_FLOOD_MB"] ?? "") ?? 16
        let inputs = [3, 4, 5]
        let before = residentBytes()
        var peak = before
        let trace = try c.run(
            session: 9, inputs: inputs, lead: 100_000_000, roundLength: 5_000_000_000, only: [0, 1],
            during: {
                let payload = [UInt8](repeating: 0x5A, count: 64 * 1024)
                for k in 0..<(megabytes * 16) {
                    p2.inject(
                        Envelope(kind: .frame, session: UInt64(1000 + k), round: k % 64, sender: 2, payload: payload),
                        to: 0)
                    if k % 64 == 0 { peak = max(peak, residentBytes()) }
                }
            })
        for i in [0, 1] { #expect(trace.logs[i]?.decision?.value == Self.expected(inputs, absent: [2])) }
        #expect(try d.oracle().check(trace).verdict == .conforms)
        #expect(peak - before < 100 << 20, "resident memory grew by \((peak - before) >> 20) MiB")
    }

    @Test("slow partial envelopes from a connected peer delay nobody beyond the deadline")
    func slowPartialEnvelope() throws {
        let d = try Deployment(n: 3, t: 1)
        let c = try LoopbackHosts(d, live: [0, 1, 2])
        defer { c.shutdown() }
        c.connect()
        let inputs = [3, 4, 5]
        let started = Date()
        // p2 is connected but never completes an envelope: p0 and p1 wait
        // for it until each round's deadline, and no longer.
        let trace = try c.run(
            session: 11, inputs: inputs, roundLength: 300_000_000, only: [0, 1],
            during: {
                var whole = ByteBuffer()
                Envelope(kind: .frame, session: 11, round: 1, sender: 2, payload: [UInt8](repeating: 1, count: 200))
                    .write(to: &whole)
                c.hosts[2]!.inject(bytes: whole.readBytes(length: 40) ?? [], to: 0)
                c.hosts[2]!.inject(bytes: whole.readBytes(length: 40) ?? [], to: 1)
            })
        #expect(Date().timeIntervalSince(started) < 5)
        for i in [0, 1] { #expect(trace.logs[i]?.decision?.value == Self.expected(inputs, absent: [2])) }
        #expect(try d.oracle().check(trace).verdict == .conforms)
    }

    @Test("a peer killed at random times: the others decide the same vector and the oracle conforms")
    func killedAtRandom() throws {
        var rng = SplitMix64(seed: 21)
        for k in 0..<6 {
            let d = try Deployment(n: 4, t: 1)
            let c = try LoopbackHosts(d, live: [0, 1, 2, 3])
            c.connect()
            let inputs = [10, 11, 12, 13]
            let victim = rng.below(4)
            // Rounds paced to 40 ms (Δ = 2 s): the kill lands before T0, in
            // round 1 or in round 2.
            let delay = UInt32(rng.below(100_000))  // µs
            let trace = try c.run(
                session: UInt64(20 + k), inputs: inputs, lead: 20_000_000, roundLength: 2_000_000_000,
                minRound: 40_000_000,
                during: {
                    usleep(delay)
                    c.hosts[victim]!.shutdown()
                })
            c.shutdown()
            let report = try d.oracle().check(trace)
            #expect(report.verdict == .conforms, "run \(k): p\(victim) after \(delay) µs: \(report.notes)")
            #expect(report.violations.isEmpty, "run \(k)")
            let decided = (0..<4).filter { $0 != victim }.compactMap { trace.logs[$0]?.decision }
            #expect(decided.count == 3 && decided.allSatisfy { $0.decided && $0 == decided[0] }, "run \(k)")
        }
    }
}

/// This process's resident set size, bytes (Linux /proc/self/statm).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
