import Crypto
import Foundation
import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime
import Testing
import TrustedPals

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Nonces, authenticated headers and fresh sessions", .timeLimit(.minutes(10)))
struct FreshnessTests {
    @Test("no (key, nonce) pair repeats within a session, and the nonce binds round, sender and receiver")
    func noNonceRepeats() throws {
        var rng = SplitMix64(seed: 5)
        for (n, t) in [(2, 0), (3, 1), (4, 1), (5, 2), (6, 2)] {
            let d = try Deployment(n: n, t: t)
            let modules = try d.modules()
            for k in 0..<8 {
                let plan = AdversaryPlan.random(n: n, t: t, rounds: d.model.rounds, rng: &rng)
                let session = SessionID(rng.next())
                let trace = try MemoryCluster(
                    model: d.model, links: modules, session: session, inputs: d.model.randomInputs(&rng),
                    adversary: plan
                ).run()
                // Every frame any module sealed in the session: its key is
                // the pair's (session, {i, j}), its nonce is read from where
                // the format puts it (round, sender, receiver).
                var used = Set<[UInt8]>()
                var sealed = 0
                for case let log? in trace.logs {
                    for round in log.rounds {
                        for (j, frame) in round.sent.enumerated() {
                            let header = Array(frame[0..<FrameFormat.headerSize])
                            #expect(Array(header[4..<12]) == session.bytes)
                            let r =
                                Int(header[12]) << 24 | Int(header[13]) << 16 | Int(header[14]) << 8 | Int(header[15])
                            let s = Int(header[16]) << 8 | Int(header[17])
                            let q = Int(header[18]) << 8 | Int(header[19])
                            #expect(r == round.round && s == log.id && q == j)
                            let pair = [UInt8(min(s, q)), UInt8(max(s, q))]
                            let nonce = Array(header[12..<20])
                            #expect(
                                used.insert(session.bytes + pair + nonce).inserted,
                                "n=\(n) run \(k): key and nonce reused")
                            sealed += 1
                        }
                    }
                }
                #expect(sealed == trace.logs.reduce(0) { $0 + ($1?.rounds.count ?? 0) } * n)
                // The oracle opened every one of them with exactly that nonce.
                let report = try d.oracle().check(trace)
                #expect(report.verdict == .conforms, "n=\(n) run \(k): \(String(describing: report.disagreement))")
            }
            // A module cannot be made to seal again under a used (key, nonce):
            // ROUND OUT twice, or BEGIN of a used session, is refused.
            let m = modules[0]
            let session = SessionID(rng.next())
            let client = ModuleClient(m)
            try client.begin(session: session, input: 1, instance: d.model.codec.instanceName)
            _ = try client.roundOut(1)
            #expect(throws: ModuleError.self) { _ = try client.roundOut(1) }
            #expect(throws: ModuleError.self) {
                try client.begin(session: session, input: 2, instance: d.model.codec.instanceName)
            }
        }
    }

    @Test("every header bit is authenticated: flipped, the frame never opens, even where the header is read back")
    func headerAuthenticated() throws {
        let d = try Deployment(n: 4, t: 1)
        let format = d.model.format
        let session = SessionID(0x0102_0304_0506_0708)
        let sender = try ChannelKeys(
            secrets: PairSecrets(key: d.keys[1], roster: d.roster), session: session,
            instance: d.model.codec.instanceName)
        let receiver = try ChannelKeys(
            secrets: PairSecrets(key: d.keys[2], roster: d.roster), session: session,
            instance: d.model.codec.instanceName)
        let frame = format.seal(
            [7, 7, 7], key: sender.key(with: 2), session: session, round: 2, sender: 1, receiver: 2)
        #expect(
            format.open(frame[...], key: receiver.key(with: 1), session: session, round: 2, sender: 1, receiver: 2)
                == .success([7, 7, 7][...]))
        for position in 0..<FrameFormat.headerSize {
            for bit in 0..<8 {
                var f = frame
                f[position] ^= UInt8(1 << bit)
                // Opened as the receiver expects it.
                let plain = format.open(
                    f[...], key: receiver.key(with: 1), session: session, round: 2, sender: 1, receiver: 2)
                #expect(throws: FrameVerdict.self, "byte \(position) bit \(bit)") { _ = try plain.get() }
                // Opened as its (altered) header claims, with the pair's key
                // of that session: still refused, by authentication.
                let claimedSession = try SessionID(bytes: Array(f[4..<12]))
                let r = Int(f[12]) << 24 | Int(f[13]) << 16 | Int(f[14]) << 8 | Int(f[15])
                let s = Int(f[16]) << 8 | Int(f[17])
                let q = Int(f[18]) << 8 | Int(f[19])
                let claimed = format.open(
                    f[...], key: receiver.key(with: 1), session: claimedSession, round: r, sender: s, receiver: q)
                #expect(throws: FrameVerdict.self, "byte \(position) bit \(bit) read back") { _ = try claimed.get() }
                // The header is the associated data: the AEAD itself refuses
                // the altered header (also magic, version and kind, which the
                // format checks in clear before).
                let nonce = try ChaChaPoly.Nonce(data: Array(frame[12..<20]) + [0, 0, 0, 0])
                let box = try ChaChaPoly.SealedBox(
                    nonce: nonce, ciphertext: frame[FrameFormat.headerSize..<(frame.count - 16)],
                    tag: frame[(frame.count - 16)...])
                #expect(throws: (any Error).self, "byte \(position) bit \(bit) as associated data") {
                    _ = try ChaChaPoly.open(
                        box, using: receiver.key(with: 1), authenticating: f[0..<FrameFormat.headerSize])
                }
            }
        }
    }

    @Test("a module never begins a session twice, not even after ABORT")
    func sessionOnce() throws {
        let d = try Deployment(n: 3, t: 1)
        let client = ModuleClient(try d.modules()[0])
        let instance = d.model.codec.instanceName
        try client.begin(session: SessionID(1), input: 5, instance: instance)
        try client.abort()
        #expect(throws: ModuleError.self) { try client.begin(session: SessionID(1), input: 5, instance: instance) }
        try client.begin(session: SessionID(2), input: 5, instance: instance)
        let raw = try client.link.transmit(
            CommandAPDU(.begin, data: SessionID(2).bytes + [0, 0, 0, 0, 0, 0, 0, 5] + Array(instance.utf8)).bytes)
        #expect(ResponseAPDU.parse(raw)?.status == .sessionUsed)
    }

    @Test(
        "the record persists beside the key: a module restarted with it refuses an old session; the file is private and no symlink is followed"
    )
    func persistedRecord() throws {
        let d = try Deployment(n: 3, t: 1)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pals-sessions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = FileSessionRecord.path(besideKey: dir.appendingPathComponent("key-0.json").path)
        #expect(path.hasSuffix("key-0.sessions"))
        let instance = d.model.codec.instanceName
        do {
            let m = try SecurityModule(
                codec: d.model.codec, key: d.keys[0], roster: d.roster, sessions: FileSessionRecord(path: path))
            try ModuleClient(m).begin(session: SessionID(42), input: 1, instance: instance)
        }
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        let again = ModuleClient(
            try SecurityModule(
                codec: d.model.codec, key: d.keys[0], roster: d.roster, sessions: FileSessionRecord(path: path)))
        #expect(throws: ModuleError.self) { try again.begin(session: SessionID(42), input: 1, instance: instance) }
        try again.begin(session: SessionID(43), input: 1, instance: instance)
        // A record that is a symbolic link is refused, its target untouched.
        let target = dir.appendingPathComponent("target")
        try Data("x".utf8).write(to: target)
        let link = dir.appendingPathComponent("key-1.sessions").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target.path)
        #expect(throws: PalsError.self) { _ = try FileSessionRecord(path: link) }
        #expect(try Data(contentsOf: target) == Data("x".utf8))
        // A damaged record is an error, not a fresh start.
        let damaged = dir.appendingPathComponent("key-2.sessions").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: damaged))
        #expect(throws: PalsError.self) { _ = try FileSessionRecord(path: damaged) }
    }

    @Test("frames recorded in an earlier instance are refused in a new one, and the old session cannot be begun again")
    func noReplayAcrossInstances() throws {
        let d = try Deployment(n: 4, t: 1)
        let modules = try d.modules()
        let first = try MemoryCluster(
            model: d.model, links: modules, session: SessionID(7), inputs: [10, 11, 12, 13], adversary: .none
        ).run()
        // The same modules cannot run session 7 again: every module refuses
        // BEGIN, and its host logs it as a module stopped before round 1.
        let again = try MemoryCluster(
            model: d.model, links: modules, session: SessionID(7), inputs: [10, 11, 12, 13], adversary: .none)
        let refused = try again.run()
        for log in refused.logs {
            #expect(log?.crashedBeforeRound == 1)
            #expect(log?.decision == nil)
            #expect(log?.notes.contains { $0.contains("module refused BEGIN") } == true)
        }
        // In a new session, p1's host (faulty) replays p1's frames of the
        // first one: the receiving hosts see that their clear headers name
        // session 7 and drop them before their modules (one slot per peer and
        // round is kept only for a frame of this session); each counts as an
        // omission of p1, and no module ever accepts one.
        let second = try MemoryCluster(
            model: d.model, links: try d.modules(), session: SessionID(8), inputs: [20, 21, 22, 23],
            adversary: AdversaryPlan(faulty: ProcessSet([1])))
        second.tamper = { round, from, to, frame in
            from == 1 && to != 1 ? first.logs[1]!.rounds[round - 1].sent[to] : frame
        }
        let trace = try second.run()
        let report = try d.oracle().check(trace)
        #expect(report.verdict == .conforms)
        #expect(report.realized.drops.filter { $0.from == 1 }.count == 6)
        #expect(trace.logs.compactMap { $0?.droppedEnvelopes }.reduce(0, +) == 6)
        for i in [0, 2, 3] {
            for r in trace.logs[i]?.rounds ?? [] { #expect(r.verdicts[1] != .accepted) }
        }
        for i in [0, 2, 3] {
            #expect(trace.logs[i]?.decision == Decision(decided: true, value: [20, Concrete.bottomValue, 22, 23]))
        }
    }
}
