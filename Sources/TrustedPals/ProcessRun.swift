import Foundation
import PalsCard
import PalsCore
import PalsModule
import PalsRuntime

#if canImport(Glibc)
    import Glibc
#endif

/// One instance run by n `pals peer` processes on loopback (`pals cluster`,
/// and each run of `pals campaign --transport process`).
public struct PeerProcessRun {
    /// A real fault: SIGKILL to a peer's process group at a moment.
    public struct Kill {
        /// The peer p_i whose process group (or card process, with `card`) gets the signal.
        public var peer: Int
        /// When, in milliseconds after the peers start (in `Outcome.killed`: when the signal was sent).
        public var afterMilliseconds: Int
        /// With `--module pcsc`: kill the peer's card process instead.
        public var card = false
        /// With `card`: stop the card process (SIGSTOP) instead of killing it.
        public var stop = false
        var signal: Int32 { stop ? SIGSTOP : SIGKILL }
        var who: String { "\(card ? "the card of " : "")peer p\(peer)" }
        var action: String { stop ? "stopped (SIGSTOP)" : "killed (SIGKILL)" }
    }

    /// The protocol the peers run: uic, smc or fair-exchange.
    public var protocolName: String
    /// The options naming the instance again (`RuntimeInstanceOptions.arguments`).
    public var instanceArguments: [String]
    /// Folder for the keys, logs and the trace.
    public var dir: String
    /// The inputs, one per peer.
    public var inputs: [Int]
    /// The injected adversary that every peer's host applies.
    public var plan: AdversaryPlan
    /// Round length Δ in milliseconds: round r closes at the latest at T0 + rΔ.
    public var roundTimeout: Int
    /// Every round lasts at least this long, milliseconds; 0: no minimum.
    public var minRound: Int
    /// Where each peer's module runs: in-process, process, or pcsc (a `pals card` per peer behind a pcscd of its
    /// own).
    public var module: String
    /// The real faults to inject, in any order.
    public var kills: [Kill]

    /// What a run left behind: its trace, the keys that open it, and the real faults as they happened.
    public struct Outcome {
        /// The run trace assembled from the peers' logs (nil for a peer that left none).
        public var trace: RunTrace
        /// The run's roster: fresh keys and loopback addresses.
        public var roster: Roster
        /// The module keys, which open the trace's frames for the oracle.
        public var keys: [ModuleKey]
        /// Peers killed, with the moment (ms after the start).
        public var killed: [Kill]
        /// Kills not sent because the peer had already decided or exited,
        /// with its exit status (0 while it still runs).
        public var notKilled: [(peer: Int, status: Int32)]
        /// Peers that exited abnormally or had to be ended at the deadline
        /// (not counting killed ones).
        public var failedPeers: [Int]
    }

    /// The longest a run may take: connecting, every round at its timeout
    /// and minimum length, and slack for a loaded machine (milliseconds).
    public static func limitMilliseconds(rounds: Int, roundTimeout: Int, minRound: Int) -> Int {
        15_000 + rounds * (roundTimeout + minRound)
    }

    /// Generates fresh keys, starts n `pals peer` processes (and their cards) under `children`, injects the
    /// kills, waits at most `limitMilliseconds` and assembles the trace from the peers' logs.
    /// - Throws: `PalsError` when a process cannot start or a log is malformed.
    public func run<C: ModuleCodec>(_ model: RuntimeModel<C>, children: ChildProcesses) throws -> Outcome {
        let n = model.n
        let keyDir = (dir as NSString).appendingPathComponent("keys")
        let ports = try freePorts(n)
        let keys = (0..<n).map { ModuleKey.generate(id: $0) }
        let hostKeys = (0..<n).map { HostKey.generate(id: $0) }
        let roster = try writeKeyDirectory(
            keyDir, keys: keys, hostKeys: hostKeys, addresses: ports.map { "127.0.0.1:\($0)" }, force: true)
        // Every peer starts round 1 at the same T0, late enough for all of
        // them to start and connect.
        let startAt = clusterStartTime(n: n)
        let adversaryPath = try writeFile(dir: dir, name: "adversary.json", text: plan.pattern.json.pretty + "\n")
        let session = SessionID.random()
        let exe = selfExecutable()
        // Smart cards: a `pals card` process per peer, each in the virtual
        // reader of a pcscd of its own.
        var peerModules = Array(repeating: module, count: n)
        var peerEnvironment = Array(repeating: [String: String](), count: n)
        var cardIndex: [Int] = []
        var daemons: [PrivatePCSCD] = []
        defer {
            // A stopped card is continued first, so that it is not left stopped
            // should the kill fail.
            for k in cardIndex { children.signal(k, SIGCONT) }
            for k in cardIndex { children.signal(k, SIGKILL) }
            _ = children.waitAll(cardIndex, until: Date().addingTimeInterval(5))
            for d in daemons { d.stop() }
        }
        if module == "pcsc" {
            daemons = try PrivatePCSCD.start(count: n, directory: (dir as NSString).appendingPathComponent("pcsc"))
            for (i, d) in daemons.enumerated() {
                cardIndex.append(
                    try children.spawn(
                        exe,
                        ["card", protocolName] + instanceArguments + [
                            "--key", (keyDir as NSString).appendingPathComponent("key-\(i).json"),
                            "--roster", (keyDir as NSString).appendingPathComponent("roster.json"),
                            "--reader-port", "\(d.port)",
                        ]))
                peerModules[i] = "pcsc:\(d.readerName)"
                peerEnvironment[i] = [PrivatePCSCD.socketVariable: d.socketPath]
            }
        }
        var logPaths: [String] = []
        var index: [Int] = []
        let start = Date()
        for i in 0..<n {
            let logPath = (dir as NSString).appendingPathComponent("peer-\(i).json")
            unlink(logPath)
            logPaths.append(logPath)
            let arguments =
                ["peer", protocolName] + instanceArguments + [
                    "--id", "\(i)", "--roster", (keyDir as NSString).appendingPathComponent("roster.json"),
                    "--input", "\(inputs[i])", "--session", session.description,
                    "--round-timeout", "\(roundTimeout)", "--min-round", "\(minRound)", "--adversary", adversaryPath,
                    "--log", logPath, "--module", peerModules[i], "--json", "--start-at", "\(startAt)",
                ]
            do {
                index.append(try children.spawn(exe, arguments, environment: peerEnvironment[i]))
            } catch {
                children.endAll()
                throw error
            }
        }
        // Real faults, in time order, each only at a child still running.
        var killed: [Kill] = []
        var notKilled: [(peer: Int, status: Int32)] = []
        for k in kills.sorted(by: { ($0.afterMilliseconds, $0.peer) < ($1.afterMilliseconds, $1.peer) }) {
            let due = start.addingTimeInterval(Double(k.afterMilliseconds) / 1000)
            while Date() < due && children.isRunning(index[k.peer]) { usleep(1000) }
            // A peer whose module already gave its result is not killed (it
            // would be reported killed although it had decided).
            if let text = try? readText(logPaths[k.peer]), let j = try? JSON.parse(text),
                let log = try? PeerLog.parse(j, n: n), log.decision != nil
            {
                notKilled.append((k.peer, children.exitStatus(index[k.peer]) ?? 0))
                continue
            }
            if children.signal(k.card ? cardIndex[k.peer] : index[k.peer], k.signal) {
                killed.append(
                    Kill(
                        peer: k.peer, afterMilliseconds: Int(Date().timeIntervalSince(start) * 1000), card: k.card,
                        stop: k.stop))
            } else {
                notKilled.append((k.peer, children.exitStatus(index[k.peer]) ?? -1))
            }
        }
        let limit = Self.limitMilliseconds(rounds: model.rounds, roundTimeout: roundTimeout, minRound: minRound)
        let untilStart = max(0, Double(startAt) / 1000 - Date().timeIntervalSince1970)
        let finished = children.waitAll(index, until: start.addingTimeInterval(untilStart + Double(limit) / 1000))
        var failedPeers: [Int] = []
        if !finished {
            for i in 0..<n where children.isRunning(index[i]) { failedPeers.append(i) }
            for i in failedPeers { children.signal(index[i], SIGKILL) }
            _ = children.waitAll(index, until: Date().addingTimeInterval(5))
        }
        let killedSet = Set(killed.map(\.peer))
        for i in 0..<n where !killedSet.contains(i) && !failedPeers.contains(i) && children.exitStatus(index[i]) != 0 {
            failedPeers.append(i)
        }
        failedPeers.sort()
        var logs: [PeerLog?] = []
        for path in logPaths {
            if let text = try? readText(path), let j = try? JSON.parse(text) {
                logs.append(try PeerLog.parse(j, n: n))
            } else {
                logs.append(nil)
            }
        }
        var notes = failedPeers.map { "peer p\($0) exited abnormally" }
        notes += killed.map { "\($0.who) \($0.action) after \($0.afterMilliseconds) ms" }
        notes += notKilled.map {
            "peer p\($0.peer) had already decided or exited (status \($0.status)) when it was to be killed: not killed"
        }
        let trace = RunTrace(
            protocolName: model.protocolName, variant: model.variant, n: n, t: model.t, rounds: model.rounds,
            instance: model.codec.instanceName, session: session, inputs: inputs, adversary: plan, logs: logs,
            notes: notes, roster: roster.fingerprint)
        return Outcome(
            trace: trace, roster: roster, keys: keys, killed: killed, notKilled: notKilled, failedPeers: failedPeers)
    }
}
