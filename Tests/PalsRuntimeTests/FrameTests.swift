import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime
import Testing
import TrustedPals

@Suite("Frames: sealed, padded, bound to session, round, sender and receiver", .timeLimit(.minutes(10)))
struct FrameTests {
    let d: Deployment
    let format: FrameFormat

    init() throws {
        d = try Deployment(n: 4, t: 1)
        format = d.model.format
    }

    func keys(_ i: Int, session: UInt64 = 7) throws -> ChannelKeys {
        ChannelKeys(
            secrets: try PairSecrets(key: d.keys[i], roster: d.roster), session: SessionID(session),
            instance: d.model.codec.instanceName)
    }

    func seal(_ payload: [UInt8], round: Int = 1, from i: Int = 1, to j: Int = 2, session: UInt64 = 7) throws -> [UInt8]
    {
        format.seal(
            payload, key: try keys(i, session: session).key(with: j), session: SessionID(session), round: round,
            sender: i, receiver: j)
    }

    func open(_ frame: [UInt8], round: Int = 1, from i: Int = 1, to j: Int = 2, session: UInt64 = 7) throws -> Result<
        ArraySlice<UInt8>, FrameVerdict
    > {
        format.open(
            frame[...], key: try keys(j, session: session).key(with: i), session: SessionID(session), round: round,
            sender: i, receiver: j)
    }

    @Test("a frame opens at its receiver, and every frame has the same size whatever the message")
    func roundTrip() throws {
        for length in [0, 1, 17, format.maxMessageBytes] {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
            let frame = try seal(payload)
            #expect(frame.count == format.frameSize)
            #expect(try open(frame) == .success(payload[...]))
        }
    }

    @Test("forged, altered, replayed, reordered, misrouted, truncated and oversized frames are rejected")
    func rejected() throws {
        let frame = try seal([1, 2, 3], round: 2)
        // A flipped bit anywhere in the body or tag, or in the authenticated header.
        for position in [25, frame.count / 2, frame.count - 1] {
            var f = frame
            f[position] ^= 0x01
            #expect(try open(f, round: 2) == .failure(.forged), "bit flipped at \(position)")
        }
        // Replayed in another round (header as sent, or rewritten to the current round).
        #expect(try open(frame, round: 3) == .failure(.wrongRound))
        var rewritten = frame
        rewritten[15] = 3
        #expect(try open(rewritten, round: 3) == .failure(.forged))
        // Replayed from another session, header as sent or rewritten.
        let old = try seal([1, 2, 3], round: 2, session: 6)
        #expect(try open(old, round: 2) == .failure(.wrongSession))
        var moved = old
        moved.replaceSubrange(4..<12, with: SessionID(7).bytes)
        #expect(try open(moved, round: 2) == .failure(.forged))
        // Delivered in another sender's slot, or to another receiver.
        #expect(try open(frame, round: 2, from: 3, to: 2) == .failure(.misrouted))
        #expect(try open(frame, round: 2, from: 1, to: 0) == .failure(.misrouted))
        // A frame of the same pair in the other direction (nonce differs).
        let back = try seal([1, 2, 3], round: 2, from: 2, to: 1)
        var swapped = back
        swapped.replaceSubrange(16..<20, with: [0, 1, 0, 2])
        #expect(try open(swapped, round: 2) == .failure(.forged))
        // Truncated and oversized.
        #expect(try open(Array(frame.dropLast()), round: 2) == .failure(.wrongSize))
        #expect(try open(frame + [0], round: 2) == .failure(.wrongSize))
        #expect(try open([], round: 2) == .failure(.wrongSize))
        // Garbage of the right size.
        var junk = frame
        for k in 4..<junk.count { junk[k] = UInt8(truncatingIfNeeded: k &* 31) }
        junk.replaceSubrange(4..<20, with: Array(frame[4..<20]))
        #expect(try open(junk, round: 2) == .failure(.forged))
    }

    @Test("in a run, tampered frames count as omissions and the run still conforms")
    func tamperedFramesAreOmissions() throws {
        // p1 is faulty; its host rewrites what it sends in every way above.
        let plan = AdversaryPlan(faulty: ProcessSet([1]))
        var earlier: [Int: [UInt8]] = [:]
        let kinds = ["flip", "truncate", "extend", "replay", "reroute"]
        for (k, kind) in kinds.enumerated() {
            let cluster = try d.cluster(session: UInt64(100 + k), adversary: plan)
            cluster.tamper = { round, from, to, frame in
                guard from == 1 && to != 1 else { return frame }
                switch kind {
                case "flip":
                    var f = frame
                    f[f.count - 3] ^= 0x80
                    return f
                case "truncate": return Array(frame.prefix(frame.count - 5))
                case "extend": return frame + [UInt8](repeating: 0, count: 9)
                case "replay":
                    if round == 1 {
                        earlier[to] = frame
                        return frame
                    }
                    return earlier[to]
                default:
                    return to == 0 ? frame : nil
                }
            }
            let trace = try cluster.run()
            let report = try d.oracle().check(trace)
            #expect(report.verdict == .conforms, "\(kind): \(String(describing: report.disagreement))")
            #expect(report.violations.isEmpty, "\(kind)")
            // A frame of the wrong size or with another round in its header
            // is dropped by the receiving host's check; the rest by the module.
            let dropped = (0..<4).reduce(0) { $0 + cluster.counters(of: $1).malformed }
            let rejected = report.rejectedFrames.reduce(0) { $0 + $1.1 } + dropped
            switch kind {
            case "reroute": #expect(report.realized.drops.count == 4, "\(kind): \(report.realized.drops)")
            case "replay": #expect(rejected == 3, "\(kind)")
            default: #expect(rejected == 6, "\(kind)")
            }
            // Every correct module decides the same vector, with p1's value
            // or ⊥ in p1's place.
            let ds = [0, 2, 3].compactMap { trace.logs[$0]?.decision }
            #expect(ds.count == 3 && ds.allSatisfy { $0 == ds[0] && $0.decided })
        }
    }

    @Test("a frame received from the module of another session or instance is rejected")
    func otherInstance() throws {
        let other = try Deployment(n: 4, t: 1)
        let cluster = try d.cluster(session: 9, adversary: AdversaryPlan(faulty: ProcessSet([2])))
        let stranger = try other.modules()
        let strangerClient = ModuleClient(stranger[2])
        try strangerClient.begin(session: SessionID(9), input: 5, instance: d.model.codec.instanceName)
        let forged = try strangerClient.roundOut(1)
        cluster.tamper = { round, from, to, frame in
            from == 2 && to != 2 && round == 1 ? forged[to] : frame
        }
        let trace = try cluster.run()
        let report = try d.oracle().check(trace)
        #expect(report.verdict == .conforms)
        #expect(report.rejectedFrames.contains { $0.0 == .forged && $0.1 == 3 })
    }

    @Test("every frame a host sees has the same size, whatever the inputs, faults and module states")
    func constantFrameSize() throws {
        var rng = SplitMix64(seed: 11)
        var sizes = Set<Int>()
        for k in 0..<60 {
            let inputs = (0..<4).map { _ in [0, -1, Int.max, Int.min + 1, 123_456_789][rng.below(5)] }
            let plan = AdversaryPlan.random(n: 4, t: 1, rounds: 2, rng: &rng)
            let trace = try d.cluster(session: UInt64(k), inputs: inputs, adversary: plan).run()
            for case let log? in trace.logs {
                for r in log.rounds {
                    for f in r.sent { sizes.insert(f.count) }
                    for case let f? in r.received { sizes.insert(f.count) }
                }
            }
        }
        #expect(sizes == [format.frameSize])
    }
}
