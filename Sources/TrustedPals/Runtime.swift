import Foundation
import NIOPosix
import PalsCard
import PalsCore
import PalsExplorer
import PalsModule
import PalsProtocols
import PalsRuntime

#if canImport(Glibc)
    import Glibc
#endif

// MARK: - Shared pieces

/// The protocol instance a runtime command runs.
public struct RuntimeInstance {
    /// The number of processes p0…p(n-1).
    public var n: Int
    /// The largest number of faulty processes.
    public var t: Int
    /// The protocol's variant: for uic "standard" or a mutant, for smc the function, for fair-exchange the mode.
    public var variant: String = "standard"
    /// smc: the function F, a registry name or a WebAssembly module PATH.wasm; nil: the one `variant` names.
    public var function: String?
    /// smc with a PATH.wasm function: the fuel of one evaluation of F; nil: the default.
    public var fuel: UInt64?
    /// fair-exchange: deterministic or fake-rounds; nil: the one `variant` names.
    public var mode: String?
    /// fair-exchange with fake rounds: p0's module draws ρ from 1…M and the run has M + 1 rounds; nil: the default.
    public var M: Int?

    /// Parameters with the command line's defaults.
    public init(
        n: Int, t: Int, variant: String = "standard", function: String? = nil, fuel: UInt64? = nil, mode: String? = nil,
        M: Int? = nil
    ) {
        self.n = n
        self.t = t
        self.variant = variant
        self.function = function
        self.fuel = fuel
        self.mode = mode
        self.M = M
    }

    /// The model spec of this instance of `protocolName` (a PATH.wasm function is loaded here).
    /// - Throws: `PalsError` when the options contradict each other or do not apply to the protocol.
    public func spec(_ protocolName: String) throws(PalsError) -> ModelSpec {
        try instanceSpec(
            protocolName, n: n, t: t, variant: variant, function: function, mode: mode, M: M, rounds: nil, fuel: fuel)
    }

    /// The options that name this instance again (for child processes).
    public func arguments(_ protocolName: String) throws(PalsError) -> [String] {
        let s = try spec(protocolName)
        var args = ["--n", "\(n)", "--t", "\(t)"] + (functionChildArguments(s) ?? ["--variant", s.variant])
        if let r = s.rounds, Catalog.entry(named: protocolName)?.roundsAreFakeRounds == true {
            args += ["--M", "\(r - 1)"]
        }
        return args
    }
}

/// A runtime command written once for every protocol the runtime runs.
public protocol RuntimeCommandBody {
    /// Performs the command on the runtime model of its instance and returns
    /// what it shows.
    func execute<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> CommandResult
}

/// A runtime command on an instance named by a protocol and its options
/// (module, peer, cluster, campaign, card, timing): `perform()` builds the
/// instance's runtime model and runs `execute` on it.
public protocol RuntimeInstanceCommand: RuntimeCommandBody {
    /// The protocol: one of `runtimeProtocols`.
    var protocolName: String { get }
    /// The instance's n, t, variant and options.
    var instance: RuntimeInstance { get }
}

extension RuntimeInstanceCommand {
    /// Builds the instance's runtime model and performs the command on it (`execute`).
    public func perform() throws -> CommandResult {
        try withRuntimeModel(try instance.spec(protocolName), RuntimeDispatch(body: self))
    }

    /// Performs the command and prints its output (`perform()`, then `CommandResult.emit()`).
    public func run() throws { try perform().emit() }
}

/// Hands the runtime model that `withRuntimeModel` builds to a command's `execute`.
public struct RuntimeDispatch<Body: RuntimeCommandBody>: RuntimeModelVisitor {
    /// The command to run on the model.
    public let body: Body
    /// Dispatches to `body`.
    public init(body: Body) { self.body = body }
    /// Runs `body.execute` on `model`.
    public func visit<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> CommandResult { try body.execute(model) }
}

/// Reads an adversary file: a failure pattern `{"faulty":…,"crashes":…,"drops":…}`
/// or a counterexample file (its pattern).
public func readAdversary(_ path: String) throws(PalsError) -> AdversaryPlan {
    let text = try readText(path)
    let json = try JSON.parse(text)
    if json["schema"]?.stringValue == CounterexampleFile.schemaID {
        return AdversaryPlan(pattern: try CounterexampleFile.parse(text).pattern)
    }
    if let s = json["schema"]?.stringValue, s == RunTrace.schemaID {
        return try RunTrace.parse(text).adversary
    }
    guard json["faulty"] != nil || json["crashes"] != nil || json["drops"] != nil else {
        throw PalsError(
            .malformedFile,
            "\(path): expected a failure pattern {\"faulty\":[…],\"crashes\":[…],\"drops\":[…]}, a counterexample or a run trace"
        )
    }
    return AdversaryPlan(pattern: try FailurePattern(json: json, what: path))
}

/// A module's result in words: its vector with ⊥ for missing entries (F's result for a user's function),
/// "did not decide", or "no result (crashed)" when nil.
public func renderDecision(_ d: Decision<Concrete>?) -> String {
    guard let d else { return "no result (crashed)" }
    guard d.decided else { return "did not decide" }
    if let user = renderUserResult(d.value) { return "decided F = \(user)" }
    return "decided [" + d.value.map { $0 == Concrete.bottomValue ? "⊥" : String($0) }.joined(separator: ", ") + "]"
}

/// A module's result as JSON, `{"decided":…,"value":[…]}` with null for ⊥; null when the module gave none.
public func decisionJSON(_ d: Decision<Concrete>?) -> JSON {
    guard let d else { return .null }
    return .object([
        ("decided", .bool(d.decided)),
        ("value", .array(d.value.map { $0 == Concrete.bottomValue ? .null : .int($0) })),
    ])
}

/// Reads `DIR/roster.json` and every `DIR/key-<i>.json` present.
public func readKeyDirectory(_ dir: String) throws(PalsError) -> (Roster, [ModuleKey]) {
    let roster = try Roster.parse(try readText((dir as NSString).appendingPathComponent("roster.json")))
    var keys: [ModuleKey] = []
    for i in 0..<roster.n {
        let path = (dir as NSString).appendingPathComponent("key-\(i).json")
        guard FileManager.default.fileExists(atPath: path) else { continue }
        let k = try ModuleKey.parse(try readText(path))
        guard k.id == i else { throw PalsError(.malformedFile, "\(path) holds the key of p\(k.id)") }
        keys.append(k)
    }
    return (roster, keys)
}

/// Writes the key files and the roster of a fresh deployment.
public func writeKeyDirectory(
    _ dir: String, keys: [ModuleKey], hostKeys: [HostKey] = [], addresses: [String?], force: Bool
) throws(PalsError) -> Roster {
    let roster = try Roster(
        peers: keys.map {
            Roster.Peer(
                id: $0.id, publicKey: $0.publicKey, address: addresses[$0.id],
                hostKey: hostKeys.isEmpty ? nil : hostKeys[$0.id].publicKey)
        })
    if !force {
        for k in keys {
            var st = stat()
            let path = (dir as NSString).appendingPathComponent("key-\(k.id).json")
            if lstat(path, &st) == 0 {
                throw PalsError(.invalidArgument, "\(path) exists; refusing to overwrite a key (use ⟪force⟫)")
            }
        }
    }
    for k in keys {
        _ = try writePrivateFile(dir: dir, name: "key-\(k.id).json", text: k.json.pretty + "\n", replace: force)
        // A new key starts with no sessions begun.
        unlink(FileSessionRecord.path(besideKey: (dir as NSString).appendingPathComponent("key-\(k.id).json")))
    }
    for k in hostKeys {
        _ = try writePrivateFile(dir: dir, name: "host-key-\(k.id).json", text: k.json.pretty + "\n", replace: force)
    }
    _ = try writeFile(dir: dir, name: "roster.json", text: roster.json.pretty + "\n")
    return roster
}

/// This executable's path (to start `pals peer` and `pals module` children).
public func selfExecutable() -> String {
    if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
    return CommandLine.arguments[0]
}

/// Milliseconds option → seconds, checked.
public func seconds(ms: Int, _ name: String) throws(PalsError) -> Double {
    guard ms > 0 && ms <= 3_600_000 else {
        throw PalsError(.invalidArgument, "\(name) must be 1…3600000 milliseconds, got \(ms)")
    }
    return Double(ms) / 1000
}

/// Oracle verdict → exit status: 0 conforms with every property, 1 a
/// disagreement or a violated property, 3 a run outside the model.
public func exitStatus(_ r: OracleReport) -> Int32 {
    if r.verdict == .disagrees || !r.violations.isEmpty { return 1 }
    return r.verdict == .outsideModel ? 3 : 0
}

/// The oracle's report as one JSON object: verdict, disagreement, violations, realized pattern, frames
/// checked, lost and rejected frames, notes.
public func reportJSON(_ r: OracleReport) -> JSON {
    .object([
        ("verdict", .string(r.verdict.rawValue)),
        (
            "disagreement",
            r.disagreement.map {
                .object([("round", .int($0.round)), ("module", .int($0.module)), ("detail", .string($0.detail))])
            } ?? .null
        ),
        (
            "violations",
            .array(r.violations.map { .object([("property", .string($0.property)), ("round", .int($0.round))]) })
        ),
        ("realized", r.realized.json),
        ("framesChecked", .int(r.framesChecked)),
        (
            "lostFrames",
            .array(
                r.lostFrames.map { .object([("round", .int($0.round)), ("from", .int($0.from)), ("to", .int($0.to))]) })
        ),
        ("rejectedFrames", .object(r.rejectedFrames.map { ($0.0.description, .int($0.1)) })),
        ("notes", .array(r.notes.map { .string($0) })),
    ])
}

/// The oracle's report as lines of text for the terminal, verdict first.
public func reportLines(_ r: OracleReport) -> [String] {
    var lines: [String] = []
    switch r.verdict {
    case .conforms:
        lines.append(
            "oracle: conforms (every frame and result equals the model's on the realized pattern; \(r.framesChecked) frames opened and compared)"
        )
    case .disagrees: lines.append("oracle: DISAGREES at \(r.disagreement.map { "\($0)" } ?? "an unrecorded point")")
    case .outsideModel: lines.append("oracle: outside the model")
    }
    let p = r.realized
    lines.append(
        "realized pattern: faulty \(p.faulty), \(p.crashes.count) crash(es), \(p.drops.count) dropped frame(s)")
    if !r.rejectedFrames.isEmpty {
        lines.append("rejected frames: " + r.rejectedFrames.map { "\($0.1) \($0.0)" }.joined(separator: ", "))
    }
    for v in r.violations { lines.append("property \(v.property) violated after round \(v.round)") }
    if r.violations.isEmpty && r.verdict != .outsideModel { lines.append("properties: all hold on this run") }
    for note in r.notes { lines.append("note: \(note)") }
    return lines
}

/// Writes what a failing run leaves behind: the run trace (replay with
/// `pals oracle`) and, for a violated property, a counterexample file
/// (replay with `pals replay`). Returns the paths.
public func saveFailure(
    _ trace: RunTrace, _ report: OracleReport, model: RuntimeModel<some ModuleCodec>, dir: String, tag: String
) throws(PalsError) -> [String] {
    var paths: [String] = []
    paths.append(try writeFile(dir: dir, name: "run-\(trace.session)\(tag).json", text: trace.text + "\n"))
    if let v = report.violations.first {
        let decisions = trace.logs.map { log -> [Int?]? in
            guard let d = log?.decision, d.decided else { return nil }
            return d.value.map { $0 == Concrete.bottomValue ? nil : $0 }
        }
        var cx = CounterexampleFile(
            protocolName: model.protocolName, variant: model.variant, n: model.n, t: model.t, rounds: model.rounds,
            inputs: trace.inputs, pattern: report.realized, property: v.property, violatedAfterRound: v.round,
            decisions: decisions, engine: "runtime")
        attachFunction(&cx)
        let name =
            tag.isEmpty
            ? cx.suggestedFileName : cx.suggestedFileName.replacingOccurrences(of: ".json", with: "\(tag).json")
        paths.append(try writeFile(dir: dir, name: name, text: cx.text + "\n"))
    }
    return paths
}

// MARK: - keygen

/// The parameters of `pals keygen` as a value; `run()` performs it.
public struct KeygenRequest {
    /// The number of peers, 1…`ProcessSet.maxProcesses`.
    public var n: Int
    /// The folder to write the keys and the roster into.
    public var out: String
    /// The peers' addresses, comma-separated host:port, n of them; nil: 127.0.0.1 from `basePort` on.
    public var addresses: String?
    /// The first port when `addresses` is nil: p_i listens on `basePort + i`.
    public var basePort: Int = 7400
    /// Whether existing key files may be overwritten.
    public var force: Bool = false

    /// Parameters with the command line's defaults.
    public init(n: Int, out: String, addresses: String? = nil, basePort: Int = 7400, force: Bool = false) {
        self.n = n
        self.out = out
        self.addresses = addresses
        self.basePort = basePort
        self.force = force
    }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Writes n module keys (X25519), n host keys (P-256) and roster.json into `out`.
    /// - Throws: `PalsError` for n out of range, a bad address list, or an existing key file without `force`.
    public func perform() throws -> CommandResult {
        var shown = CommandResult()
        guard n >= 1 && n <= ProcessSet.maxProcesses else {
            throw PalsError(.invalidArgument, "n = \(n) is out of range: need 1 ≤ n ≤ \(ProcessSet.maxProcesses)")
        }
        var list: [String]
        if let addresses {
            list = addresses.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard list.count == n else {
                throw PalsError(.invalidArgument, "⟪addresses⟫ lists \(list.count) addresses for n = \(n)")
            }
            for a in list { _ = try HostPort.parse(a) }
        } else {
            guard basePort >= 1 && basePort <= 65536 - n else {
                throw PalsError(.invalidArgument, "⟪basePort⟫ \(basePort) leaves no room for \(n) ports")
            }
            list = (0..<n).map { "127.0.0.1:\(basePort + $0)" }
        }
        let keys = (0..<n).map { ModuleKey.generate(id: $0) }
        let hostKeys = (0..<n).map { HostKey.generate(id: $0) }
        _ = try writeKeyDirectory(out, keys: keys, hostKeys: hostKeys, addresses: list, force: force)
        shown.line("wrote \(n) module keys, \(n) host keys and roster.json into \(out)")
        return shown
    }
}

// MARK: - module

/// The parameters of `pals module` as a value; `run()` performs it.
public struct ModuleRequest: RuntimeInstanceCommand {
    /// The protocol the module runs: uic, smc or fair-exchange.
    public var protocolName: String
    /// The instance the module runs.
    public var instance: RuntimeInstance
    /// The path of this module's key file.
    public var key: String
    /// The path of the roster file.
    public var roster: String

    /// Parameters with the command line's defaults.
    public init(protocolName: String, instance: RuntimeInstance, key: String, roster: String) {
        self.protocolName = protocolName
        self.instance = instance
        self.key = key
        self.roster = roster
    }

    /// Serves one security module: reads length-prefixed APDUs from standard input and writes each response to
    /// standard output, until the input ends or the host goes away.
    /// - Throws: `PalsError` for an unreadable key or roster, or a malformed APDU stream.
    public func execute<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> CommandResult {
        let k = try ModuleKey.parse(try readText(key))
        let r = try Roster.parse(try readText(roster))
        let module = try SecurityModule(
            codec: model.codec, key: k, roster: r,
            sessions: try FileSessionRecord(path: FileSessionRecord.path(besideKey: key)))
        while true {
            let command: [UInt8]?
            do {
                command = try APDUStream.read(from: 0, timeout: nil)
            } catch {
                throw PalsError(.malformedFile, "APDU stream: \(error.message)")
            }
            guard let command else { return CommandResult() }
            do {
                try APDUStream.write(module.process(command), to: 1)
            } catch {
                return CommandResult()  // the host went away
            }
        }
    }
}

// MARK: - peer

/// The parameters of `pals peer` as a value; `run()` performs it.
public struct PeerRequest: RuntimeInstanceCommand {
    /// The protocol the peer runs: uic, smc or fair-exchange.
    public var protocolName: String
    /// The instance the peer runs; its n must be the roster's.
    public var instance: RuntimeInstance
    /// This peer's id i (it runs p_i), 0…n-1.
    public var id: Int
    /// The path of the roster file (from `pals keygen`).
    public var roster: String
    /// The path of this peer's module key; nil: key-<id>.json beside the roster.
    public var key: String?
    /// The address to listen on, host:port; nil: the roster's address for `id`.
    public var listen: String?
    /// The module's input value; `Concrete.bottomValue` (⊥) is refused.
    public var input: Int
    /// The session id, 16 hex digits, fresh per instance and the same for every peer of it.
    public var session: String
    /// Round length Δ in milliseconds: round r closes at the latest at T0 + rΔ.
    public var roundTimeout: Int = 1000
    /// Without `startAt`: how long the peers have to connect before T0, milliseconds; with `module` pcsc also
    /// how long to wait for a card in the reader.
    public var connectTimeout: Int = 5000
    /// T0, when round 1 starts, in milliseconds since the Unix epoch (the same for every peer); nil: the first
    /// multiple of 10 s at least `connectTimeout` from now.
    public var startAt: Int64?
    /// The path of this host's TLS key; nil: host-key-<id>.json beside the roster.
    public var hostKey: String?
    /// Every round lasts at least this long, milliseconds, below `roundTimeout`; 0: no minimum.
    public var minRound: Int = 0
    /// A failure pattern, counterexample or run trace whose adversary this host applies; nil: none.
    public var adversary: String?
    /// Where to write this peer's log after every round (for `pals oracle`); nil: no log.
    public var log: String?
    /// Where this peer's security module runs.
    public var module: ModulePlacement = .inProcess
    /// Whether to print one JSON object instead of text.
    public var json: Bool = false

    /// Parameters with the command line's defaults.
    public init(
        protocolName: String, instance: RuntimeInstance, id: Int, roster: String, key: String? = nil,
        listen: String? = nil, input: Int, session: String, roundTimeout: Int = 1000, connectTimeout: Int = 5000,
        startAt: Int64? = nil, hostKey: String? = nil, minRound: Int = 0, adversary: String? = nil, log: String? = nil,
        module: ModulePlacement = .inProcess, json: Bool = false
    ) {
        self.protocolName = protocolName
        self.instance = instance
        self.id = id
        self.roster = roster
        self.key = key
        self.listen = listen
        self.input = input
        self.session = session
        self.roundTimeout = roundTimeout
        self.connectTimeout = connectTimeout
        self.startAt = startAt
        self.hostKey = hostKey
        self.minRound = minRound
        self.adversary = adversary
        self.log = log
        self.module = module
        self.json = json
    }

    /// Runs this peer for one instance: connects to the others over mutual TLS, runs every round on the schedule,
    /// writes the log and returns the module's result.
    /// - Throws: `PalsError` for bad input; the result has exit status 3 when the module failed or refused, or gave no result
    ///   without being crashed by the adversary.
    public func execute<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> CommandResult {
        var shown = CommandResult()
        // Started by `pals cluster` or a process campaign: never outlive it.
        ChildProcesses.watchParent()
        let rosterFile = try Roster.parse(try readText(roster))
        guard rosterFile.n == model.n else {
            throw PalsError(.invalidArgument, "the roster has \(rosterFile.n) peers but ⟪n⟫ is \(model.n)")
        }
        guard id >= 0 && id < model.n else {
            throw PalsError(.invalidArgument, "⟪id⟫ \(id) is not a peer of the roster (0…\(model.n - 1))")
        }
        let keyPath =
            key ?? (parentFolder(roster) as NSString).appendingPathComponent("key-\(id).json")
        let myKey = try ModuleKey.parse(try readText(keyPath))
        guard myKey.id == id else {
            throw PalsError(.invalidArgument, "\(keyPath) is the key of p\(myKey.id), not p\(id)")
        }
        let sid = try SessionID.parse(session)
        guard input != Concrete.bottomValue else {
            throw PalsError(.invalidArgument, "input \(input) is reserved for ⊥")
        }
        let plan = try adversary.map { p throws(PalsError) in try readAdversary(p) } ?? .none
        try plan.pattern.validate(n: model.n, t: model.t, rounds: model.rounds)
        let listenAddress: HostPort
        if let listen {
            listenAddress = try HostPort.parse(listen)
        } else if let a = rosterFile.peers[id].address {
            listenAddress = try HostPort.parse(a)
        } else {
            throw PalsError(.invalidArgument, "the roster has no address for p\(id); give ⟪listen⟫")
        }
        let roundSeconds = try seconds(ms: roundTimeout, "⟪roundTimeout⟫")
        let connectSeconds = try seconds(ms: connectTimeout, "⟪connectTimeout⟫")
        guard minRound >= 0 && minRound <= 3_600_000 else {
            throw PalsError(.invalidArgument, "⟪minRound⟫ must be 0…3600000 milliseconds, got \(minRound)")
        }
        if let log { try checkWritable(log, option: "⟪log⟫") }
        let link: ModuleLink
        switch module {
        case .inProcess:
            link = try SecurityModule(
                codec: model.codec, key: myKey, roster: rosterFile,
                sessions: try FileSessionRecord(path: FileSessionRecord.path(besideKey: keyPath)))
        case .process:
            var args = ["module", protocolName] + (try instance.arguments(protocolName))
            args += ["--key", keyPath, "--roster", roster]
            do {
                link = try PipeModule(executable: selfExecutable(), arguments: args)
            } catch {
                throw PalsError(.invalidArgument, error.message)
            }
        case .pcsc(let reader):
            do {
                link = try CardModuleSpec.connect(reader: reader, cardTimeout: connectSeconds)
            } catch {
                throw PalsError(.invalidArgument, "⟪module⟫ \(module.rawValue): \(error.message)")
            }
        }
        let hostKeyPath =
            hostKey
            ?? (parentFolder(roster) as NSString).appendingPathComponent(
                "host-key-\(id).json")
        let myHostKey = try HostKey.parse(try readText(hostKeyPath))
        guard myHostKey.id == id else {
            throw PalsError(.invalidArgument, "\(hostKeyPath) is the host key of p\(myHostKey.id), not p\(id)")
        }
        guard minRound >= 0 && minRound < roundTimeout else {
            throw PalsError(
                .invalidArgument, "⟪minRound⟫ must be 0…\(roundTimeout - 1) (below ⟪roundTimeout⟫), got \(minRound)")
        }
        let now = systemWallClock()
        let start: Int64
        if let startAt {
            guard startAt >= 0 && startAt <= 32_503_680_000_000 else {
                throw PalsError(
                    .invalidArgument,
                    "⟪startAt⟫ must be milliseconds since the Unix epoch (before the year 3000), got \(startAt)")
            }
            start = startAt * 1_000_000
        } else {
            start = PeerRun.defaultStart(now: now, lead: Int64(connectSeconds * 1e9))
        }
        let logPath = log
        let parameters = SessionParameters(
            session: sid, instance: model.codec.instanceName, input: input, rounds: model.rounds, plan: plan,
            schedule: RoundSchedule(start: start, roundLength: Int64(roundSeconds * 1e9)),
            minRound: Int64(minRound) * 1_000_000)
        let peer = PeerRun(
            id: id, roster: rosterFile, hostKey: myHostKey, listen: listenAddress, parameters: parameters,
            onRound: { partial in
                if let logPath { writeLog(partial, notes: [], to: logPath) }
            })
        let (outcome, notes) = try peer.run(client: ModuleClient(link))
        let latencies = outcome.latencies
        var result = outcome.log
        result.notes = notes + result.notes
        if let logPath { writeLog(result, notes: [], to: logPath) }
        if json {
            shown.line(
                JSON.object([
                    ("id", .int(id)), ("result", decisionJSON(result.decision)),
                    ("crashedBeforeRound", result.crashedBeforeRound.map { .int($0) } ?? .null),
                    ("roundSeconds", .array(latencies.map { .double($0) })),
                    ("notes", .array(result.notes.map { .string($0) })),
                ]).compact)
        } else {
            for note in result.notes { shown.line("note: \(note)") }
            shown.line("p\(id) \(renderDecision(result.decision))")
        }
        if result.decision == nil && result.crashedBeforeRound == nil { return shown.ending(3) }
        if result.notes.contains(where: { $0.hasPrefix("module failed") || $0.hasPrefix("module refused") }) {
            return shown.ending(3)
        }
        return shown
    }
}

/// Writes a peer log atomically (a killed peer leaves its last whole log).
public func writeLog(_ log: PeerLog, notes: [String], to path: String) {
    var l = log
    l.notes = notes + l.notes
    let tmp = path + ".tmp"
    guard FileManager.default.createFile(atPath: tmp, contents: Data((l.json.pretty + "\n").utf8)) else { return }
    _ = Glibc.rename(tmp, path)
}

// MARK: - cluster

/// The parameters of `pals cluster` as a value; `run()` performs it.
public struct ClusterRequest: RuntimeInstanceCommand {
    /// The protocol the cluster runs: uic, smc or fair-exchange.
    public var protocolName: String
    /// The instance every peer runs.
    public var instance: RuntimeInstance
    /// The inputs, comma-separated, one per process; nil: the model's default inputs.
    public var inputs: String?
    /// "none", "random" (drawn with `seed`), or the path of a failure pattern, counterexample or run trace.
    public var adversary: String = "none"
    /// The seed of the random adversary.
    public var seed: UInt64 = 1
    /// Round length Δ in milliseconds: round r closes at the latest at T0 + rΔ.
    public var roundTimeout: Int = 1000
    /// Every round lasts at least this long, milliseconds, below `roundTimeout`; 0: no minimum.
    public var minRound: Int = 0
    /// Where each peer's module runs; pcsc: a `pals card` per peer behind a pcscd of the cluster's own.
    public var module: ModulePlacement = .inProcess
    /// The folder for keys, logs, the trace and a failing run's files; nil: a temporary folder, removed at the end.
    public var out: String?
    /// The peer whose process is SIGKILLed during the run; nil: none.
    public var kill: Int?
    /// With `kill`: when, in milliseconds after the peers start, at most the run's limit; nil: 150.
    public var killAfter: Int?
    /// With `kill` and `module` pcsc: kill the peer's card process instead of the peer.
    public var killCard: Bool = false
    /// With `killCard`: stop the card process (SIGSTOP) instead of killing it.
    public var stopCard: Bool = false
    /// Whether to print one JSON object instead of text.
    public var json: Bool = false

    /// Parameters with the command line's defaults.
    public init(
        protocolName: String, instance: RuntimeInstance, inputs: String? = nil, adversary: String = "none",
        seed: UInt64 = 1, roundTimeout: Int = 1000, minRound: Int = 0, module: ModulePlacement = .inProcess,
        out: String? = nil, kill: Int? = nil, killAfter: Int? = nil, killCard: Bool = false, stopCard: Bool = false,
        json: Bool = false
    ) {
        self.protocolName = protocolName
        self.instance = instance
        self.inputs = inputs
        self.adversary = adversary
        self.seed = seed
        self.roundTimeout = roundTimeout
        self.minRound = minRound
        self.module = module
        self.out = out
        self.kill = kill
        self.killAfter = killAfter
        self.killCard = killCard
        self.stopCard = stopCard
        self.json = json
    }

    /// Starts n `pals peer` processes on loopback, runs one instance, checks its trace with the oracle and returns
    /// the results and the verdict.
    /// - Throws: `PalsError` for bad input; the result has exit status 1 for a disagreement or a violated property, 3 when a
    ///   peer failed or the run left the model, 128 + the signal when interrupted.
    public func execute<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> CommandResult {
        var shown = CommandResult()
        let n = model.n
        let inputList =
            try inputs.map { s throws(PalsError) in try parseInts(s, what: "⟪inputs⟫") } ?? model.defaultInputs
        guard inputList.count == n else {
            throw PalsError(.invalidArgument, "⟪inputs⟫ lists \(inputList.count) values for n = \(n)")
        }
        if let bad = inputList.first(where: { $0 == Concrete.bottomValue }) {
            throw PalsError(.invalidArgument, "input \(bad) is reserved for ⊥")
        }
        try checkOutputFolder(out, option: "⟪out⟫")
        try Catalog.checkInputsFit(
            ModelSpec(protocolName: model.protocolName, variant: model.variant, n: n, t: model.t), inputList)
        _ = try seconds(ms: roundTimeout, "⟪roundTimeout⟫")
        guard minRound >= 0 && minRound < roundTimeout else {
            throw PalsError(
                .invalidArgument, "⟪minRound⟫ must be 0…\(roundTimeout - 1) (below ⟪roundTimeout⟫), got \(minRound)")
        }
        if case .pcsc(let reader?) = module {
            throw PalsError(
                .invalidArgument, "⟪module⟫ pcsc:\(reader): a cluster starts its own virtual cards; give pcsc")
        }
        guard !killCard || module == .pcsc(reader: nil) else {
            throw PalsError(.invalidArgument, "⟪killCard⟫ needs ⟪module⟫ pcsc")
        }
        guard !killCard || kill != nil else { throw PalsError(.invalidArgument, "⟪killCard⟫ needs ⟪kill⟫") }
        guard !stopCard || killCard else { throw PalsError(.invalidArgument, "⟪stopCard⟫ needs ⟪killCard⟫") }
        let limit = PeerProcessRun.limitMilliseconds(
            rounds: model.rounds, roundTimeout: roundTimeout, minRound: minRound)
        if let kill {
            guard kill >= 0 && kill < n else {
                throw PalsError(.invalidArgument, "⟪kill⟫ \(kill) is not a peer (0…\(n - 1))")
            }
            let after = killAfter ?? 150
            guard after >= 0 && after <= limit else {
                throw PalsError(
                    .invalidArgument, "⟪killAfter⟫ must be 0…\(limit) milliseconds (the run's limit), got \(after)")
            }
        } else if killAfter != nil {
            throw PalsError(.invalidArgument, "⟪killAfter⟫ needs ⟪kill⟫")
        }
        let plan: AdversaryPlan
        switch adversary {
        case "none": plan = .none
        case "random":
            var rng = SplitMix64(seed: seed)
            plan = AdversaryPlan.random(n: n, t: model.t, rounds: model.rounds, rng: &rng)
        default: plan = try readAdversary(adversary)
        }
        try plan.pattern.validate(n: n, t: model.t, rounds: model.rounds)
        let temporary = out == nil
        let dir = try out ?? makeTemporaryDirectory()
        let children = try ChildProcesses()
        let cleanup = InterruptCleanup(children: children)
        defer {
            children.endAll()
            if temporary { try? FileManager.default.removeItem(atPath: dir) }
            cleanup.cancel()
        }
        let killAt = killAfter ?? 150
        let outcome = try PeerProcessRun(
            protocolName: protocolName, instanceArguments: try instance.arguments(protocolName), dir: dir,
            inputs: inputList,
            plan: plan, roundTimeout: roundTimeout, minRound: minRound, module: module.rawValue,
            kills: kill.map {
                [PeerProcessRun.Kill(peer: $0, afterMilliseconds: killAt, card: killCard, stop: stopCard)]
            } ?? []
        ).run(model, children: children)
        try cleanup.check()
        var trace = outcome.trace
        trace.notes = functionNotes(model.protocolName, model.variant) + trace.notes
        let (roster, keys, failedPeers) = (outcome.roster, outcome.keys, outcome.failedPeers)
        let logs = trace.logs
        let session = trace.session
        let tracePath: String? = temporary ? nil : try writeFile(dir: dir, name: "trace.json", text: trace.text + "\n")
        let report = try Oracle(model: model, roster: roster, keys: keys).check(trace)
        var saved: [String] = []
        if exitStatus(report) == 1 && !temporary {
            saved = try saveFailure(trace, report, model: model, dir: dir, tag: "")
        }
        let frameSize = model.format.frameSize
        if json {
            shown.line(
                JSON.object([
                    ("protocol", .string(model.protocolName)), ("n", .int(n)), ("t", .int(model.t)),
                    ("session", .string(session.description)), ("frameSize", .int(frameSize)),
                    ("adversary", plan.pattern.json),
                    ("results", .array(logs.map { decisionJSON($0?.decision) })),
                    ("oracle", reportJSON(report)), ("trace", tracePath.map { .string($0) } ?? .null),
                    (
                        "killed",
                        .array(
                            outcome.killed.map {
                                .object([("peer", .int($0.peer)), ("afterMilliseconds", .int($0.afterMilliseconds))])
                            })
                    ),
                    ("failedPeers", .array(failedPeers.map { .int($0) })),
                    ("lateFrames", .int(logs.reduce(0) { $0 + ($1?.lateFrames.count ?? 0) })),
                    ("saved", .array(saved.map { .string($0) })),
                ]).compact)
        } else {
            shown.line(
                "\(model.codec.instanceName): \(n) peer processes on loopback, session \(session), frames of \(frameSize) bytes (ChaCha20-Poly1305, padded)"
            )
            if plan != .none {
                shown.line(
                    "adversary: faulty \(plan.faulty), \(plan.crashes.count) crash(es), \(plan.drops.count) dropped link(s)"
                )
            }
            for (i, log) in logs.enumerated() {
                shown.line("p\(i) (input \(inputList[i])): \(renderDecision(log?.decision))")
            }
            for (i, log) in logs.enumerated() {
                for note in log?.notes ?? [] { shown.line("p\(i): \(note)") }
            }
            for i in failedPeers { shown.line("peer p\(i) exited abnormally") }
            for k in outcome.killed { shown.line("\(k.who) was \(k.action) \(k.afterMilliseconds) ms after the start") }
            for k in outcome.notKilled {
                shown.line(
                    "peer p\(k.peer) had already decided or exited (status \(k.status)) at the kill time: not killed")
            }
            let late = logs.reduce(0) { $0 + ($1?.lateFrames.count ?? 0) }
            if late > 0 {
                shown.line("late frames: \(late) (arrived after their round closed: outside the timing assumption)")
            }
            for line in reportLines(report) { shown.line(line) }
            shown.line(
                tracePath.map { "trace: \($0)" }
                    ?? "trace: not kept (the keys are removed with the temporary folder; give --out to keep them)")
            for s in saved { shown.line("saved: \(s)") }
        }
        let status = exitStatus(report)
        if status != 0 { return shown.ending(status) }
        if !failedPeers.isEmpty && plan.crashes.isEmpty { return shown.ending(3) }
        return shown
    }
}

/// A new, empty folder under the system's temporary folder, named `prefix-XXXXXX`.
public func makeTemporaryDirectory(prefix: String = "pals-cluster") throws(PalsError) -> String {
    var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("\(prefix)-XXXXXX").utf8CString)
    guard let p = mkdtemp(&template) else { throw PalsError(.invalidArgument, "cannot create a temporary folder") }
    return String(cString: p)
}

/// `count` TCP ports that were free on 127.0.0.1 a moment ago.
public func freePorts(_ count: Int) throws(PalsError) -> [Int] {
    var fds: [Int32] = []
    var ports: [Int] = []
    defer { for fd in fds { close(fd) } }
    for _ in 0..<count {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PalsError(.invalidArgument, "cannot open a socket") }
        fds.append(fd)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw PalsError(.invalidArgument, "cannot find a free port on 127.0.0.1") }
        ports.append(Int(UInt16(bigEndian: addr.sin_port)))
    }
    return ports
}

// MARK: - campaign

/// The parameters of `pals campaign` as a value; `run()` performs it.
public struct CampaignRequest: RuntimeInstanceCommand {
    /// The protocol the campaign runs: uic, smc or fair-exchange.
    public var protocolName: String
    /// The instance of every run.
    public var instance: RuntimeInstance
    /// The number of runs: 1…10000000, at most 100000 with the process transport.
    public var runs: Int = 1000
    /// The seed of the random adversaries and inputs.
    public var seed: UInt64 = 1
    /// How each run is carried out: in memory, over loopback TCP, or by `pals peer` processes.
    public var transport: CampaignTransport = .memory
    /// Process transport: kills fall uniformly within this many milliseconds of a run's start, 0…60000; nil: 300.
    public var killWindow: Int?
    /// Process transport: every round lasts at least this long, milliseconds, 0…60000; nil: 0.
    public var minRound: Int?
    /// "random" (a random adversary per run), "none", or the path of a failure pattern or counterexample used
    /// in every run.
    public var adversary: String = "random"
    /// Round length Δ in milliseconds (tcp and process transports).
    public var roundTimeout: Int = 2000
    /// The folder for failing runs; nil: a fresh scratch folder, made only when a run fails.
    public var out: String?
    /// Whether to print one JSON object instead of text.
    public var json: Bool = false
    /// A file for a self-contained HTML report (memory and tcp transports); nil: none.
    public var html: String?
    /// Transport process: where each peer's module runs (default in-process).
    public var module: ModulePlacement?
    /// With JSON output: make only shard "I/K" of the runs (run k when k mod K = I − 1), each drawn as in the
    /// whole campaign; `pals merge` combines the K outputs. nil: every run.
    public var shard: String?

    /// Parameters with the command line's defaults.
    public init(
        protocolName: String, instance: RuntimeInstance, runs: Int = 1000, seed: UInt64 = 1,
        transport: CampaignTransport = .memory, killWindow: Int? = nil, minRound: Int? = nil,
        adversary: String = "random", roundTimeout: Int = 2000, out: String? = nil, json: Bool = false,
        html: String? = nil, module: ModulePlacement? = nil, shard: String? = nil
    ) {
        self.shard = shard
        self.protocolName = protocolName
        self.instance = instance
        self.runs = runs
        self.seed = seed
        self.transport = transport
        self.killWindow = killWindow
        self.minRound = minRound
        self.adversary = adversary
        self.roundTimeout = roundTimeout
        self.out = out
        self.json = json
        self.html = html
        self.module = module
    }

    /// Makes the runs, each checked by the oracle, saves the failing ones with their keys and returns the counts
    /// (fair-exchange: with the exact worst-case unfairness beside the measured rate).
    /// - Throws: `PalsError` for bad input; the result has exit status 1 when some run violates a property, disagrees with the
    ///   model or leaves it.
    public func execute<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> CommandResult {
        var shown = CommandResult()
        guard runs >= 1 && runs <= 10_000_000 else {
            throw PalsError(.invalidArgument, "⟪runs⟫ must be 1…10000000, got \(runs)")
        }
        let shard = try parseShardOption(self.shard, json: json, html: html)
        try checkWritable(html)
        try checkOutputFolder(out, option: "⟪out⟫")
        if let module {
            guard transport == .process else {
                throw PalsError(.invalidArgument, "⟪module⟫ applies to ⟪transport⟫ process")
            }
            if case .pcsc(let reader?) = module {
                throw PalsError(
                    .invalidArgument, "⟪module⟫ pcsc:\(reader): a campaign starts its own virtual cards; give pcsc")
            }
        }
        if transport == .process {
            guard html == nil else {
                throw PalsError(.invalidArgument, "⟪html⟫ applies to the memory and tcp transports")
            }
            return try processCampaign(model, shard: shard)
        }
        guard killWindow == nil && minRound == nil else {
            throw PalsError(.invalidArgument, "⟪killWindow⟫ and ⟪minRound⟫ apply to ⟪transport⟫ process")
        }
        let tr: Transport = transport == .tcp ? .tcp : .memory
        let plan = try campaignAdversary(adversary)
        let options = CampaignOptions(
            runs: runs, seed: seed, transport: tr, roundTimeout: try seconds(ms: roundTimeout, "⟪roundTimeout⟫"),
            plan: plan, shard: shard)
        let campaign = try Campaign(model: model)
        let r = try campaign.run(options, progress: campaignProgress(runs: options.ownRuns))
        // Fair exchange: the measured rate of unfair runs next to the exact
        // worst case over every failure pattern.
        var bound: FairnessReport?
        if model.protocolName == FairExchangeEntry.name {
            let spec = ModelSpec(
                protocolName: FairExchangeEntry.name, variant: model.variant, n: model.n, t: model.t,
                rounds: model.rounds)
            bound =
                try model.variant == "deterministic" && model.n > 4
                ? symbolicFairness(spec: spec) : computeFairness(spec: spec, threads: 2)
        }
        let unfair = r.violationsByProperty.first { $0.property == "Fairness" }?.runs
        // Each campaign's failing runs and the keys that open them go into a
        // folder of their own, named by the campaign's roster: a later
        // campaign into the same --out never overwrites them.
        var saved: [String] = []
        var failures: [ShardMerge.CampaignFailureShard] = []
        if !r.failures.isEmpty {
            let dir = ((try out ?? makeTemporaryDirectory(prefix: "pals-campaign")) as NSString).appendingPathComponent(
                "campaign-\(campaign.roster.fingerprint.prefix(16))")
            _ = try writeKeyDirectory(
                (dir as NSString).appendingPathComponent("keys"), keys: campaign.keys,
                addresses: Array(repeating: nil, count: model.n), force: false)
            for f in r.failures {
                let files = try saveFailure(f.trace, f.report, model: model, dir: dir, tag: "-run\(f.run)")
                saved += files
                failures.append(ShardMerge.CampaignFailureShard(run: f.run, finding: nil, saved: files))
            }
        }
        let rate = r.seconds > 0 ? Double(r.runs) / r.seconds : 0
        let lat = r.roundLatencies.map { $0 * 1e6 }
        let inst = r.runTimes.map { $0 * 1e6 }
        if json {
            var document = JSON.object([
                ("protocol", .string(model.protocolName)), ("n", .int(model.n)), ("t", .int(model.t)),
                ("transport", .string(tr.rawValue)), ("seed", .unsigned(seed)),
                ("adversary", .string(plan == nil ? "random" : adversary)),
                ("runs", .int(r.runs)), ("violations", .int(r.violations)),
                ("disagreements", .int(r.disagreements)), ("outsideModel", .int(r.outsideModel)),
                ("seconds", .double((r.seconds * 1000).rounded() / 1000)),
                ("runsPerSecond", .double(rate.rounded())),
                ("frameSize", .int(model.format.frameSize)),
                (
                    "roundMicroseconds",
                    .object([
                        ("median", .double(Stats.quantile(lat, 0.5).rounded())),
                        ("p99", .double(Stats.quantile(lat, 0.99).rounded())),
                    ])
                ),
                (
                    "runMicroseconds",
                    .object([
                        ("median", .double(Stats.quantile(inst, 0.5).rounded())),
                        ("p99", .double(Stats.quantile(inst, 0.99).rounded())),
                    ])
                ),
                (
                    "injected",
                    .object([
                        ("faulty", .int(r.injectedFaulty)), ("crashes", .int(r.injectedCrashes)),
                        ("drops", .int(r.injectedDrops)),
                    ])
                ),
                (
                    "rejectedFrames",
                    .object(
                        FrameVerdict.allCases.compactMap { v in
                            r.rejectedFrames[v].map { (v.description, .int($0)) }
                        })
                ),
                (
                    "violationsByProperty",
                    .object(r.violationsByProperty.map { ($0.property, .int($0.runs)) })
                ),
                ("unfairRuns", unfair.map { .int($0) } ?? .null),
                ("unfairRate", unfair.map { .double(Double($0) / Double(max(1, r.runs))) } ?? .null),
                ("worstCaseUnfairness", bound.map { .string($0.probability.description) } ?? .null),
                ("saved", .array(saved.map { .string($0) })),
            ])
            if let shard {
                document = ShardMerge.attach(
                    document,
                    ShardMerge.campaignSection(
                        shard, run: try shardRun(instance: model.codec.instanceName, plan: plan), failures: failures,
                        rejectedOrder: FrameVerdict.allCases.map(\.description),
                        samples: [
                            ("roundMicroseconds", lat.map { $0.rounded() }),
                            ("runMicroseconds", inst.map { $0.rounded() }),
                        ]))
            }
            shown.line(document.compact)
        } else {
            shown.line(
                "\(model.codec.instanceName), \(tr.rawValue) transport, seed \(seed), \(plan == nil ? "random adversary" : "adversary \(adversary)")"
            )
            shown.line(
                "runs: \(r.runs)   violations: \(r.violations)   disagreements: \(r.disagreements)   outside model: \(r.outsideModel)"
            )
            let violated = r.violationsByProperty.filter { $0.runs > 0 }
            if !violated.isEmpty {
                shown.line(
                    "violated: " + violated.map { "\($0.property) in \($0.runs) run(s)" }.joined(separator: ", "))
            }
            if let unfair, let bound {
                let rate = Double(unfair) / Double(max(1, r.runs))
                shown.line(
                    "unfair runs: \(unfair) of \(r.runs) (\(String(format: "%.4f", rate))); exact worst case over every failure pattern: \(bound.probability)"
                )
            }
            shown.line(
                "time: \(fmt(r.seconds)) s   (\(Int(rate.rounded())) runs/s)   frame size \(model.format.frameSize) bytes"
            )
            if tr == .tcp {
                shown.line(
                    "round latency: median \(Int(Stats.quantile(lat, 0.5))) µs, p99 \(Int(Stats.quantile(lat, 0.99))) µs"
                )
            }
            shown.line(
                "run time: median \(Int(Stats.quantile(inst, 0.5))) µs, p99 \(Int(Stats.quantile(inst, 0.99))) µs")
            shown.line(
                "injected: \(r.injectedFaulty) faulty processes, \(r.injectedCrashes) crashes, \(r.injectedDrops) dropped links"
            )
            for s in saved { shown.line("saved: \(s)") }
        }
        if let html {
            var facts = [
                "\(model.codec.instanceName), \(tr.rawValue) transport, seed \(seed), \(plan == nil ? "random adversary" : "adversary \(adversary)")"
            ]
            if let unfair, let bound {
                facts.append(
                    "unfair runs: \(unfair) of \(r.runs); exact worst case over every failure pattern: \(bound.probability)"
                )
            }
            facts += saved.map { "saved: \($0)" }
            try writeHTML(
                campaignHTML(
                    title: "pals campaign \(model.protocolName) n=\(model.n) t=\(model.t)", facts: facts, result: r),
                to: html)
        }
        if r.violations + r.disagreements + r.outsideModel > 0 { return shown.ending(1) }
        return shown
    }
}

extension CampaignRequest {
    /// A sharded campaign's identity: every option that decides its runs, the instance's name (F's digest
    /// included) and the adversary file's pattern (not only its path).
    func shardRun(instance name: String, plan: AdversaryPlan?) throws(PalsError) -> JSON {
        .object([
            ("protocol", .string(protocolName)), ("instanceName", .string(name)),
            ("plan", plan.map { $0.pattern.json } ?? .null),
            ("instance", .array(try instance.arguments(protocolName).map { .string($0) })),
            ("runs", .int(runs)), ("seed", .unsigned(seed)), ("transport", .string(transport.rawValue)),
            ("adversary", .string(adversary)), ("roundTimeout", .int(roundTimeout)),
            ("killWindow", killWindow.map { .int($0) } ?? .null), ("minRound", minRound.map { .int($0) } ?? .null),
            ("module", module.map { .string($0.rawValue) } ?? .null),
        ])
    }

    /// `--transport process`: real peer processes and real kills.
    /// `adversary`: "random" (nil: a random adversary per run), "none" (no
    /// failures, as for a cluster) or a file used in every run.
    func campaignAdversary(_ adversary: String) throws(PalsError) -> AdversaryPlan? {
        switch adversary {
        case "random": return nil
        case "none": return AdversaryPlan.none
        default: return try readAdversary(adversary)
        }
    }

    /// The campaign over `pals peer` processes (`ProcessCampaign`): checks its options, makes the runs with real
    /// kills and returns the counts and findings.
    /// - Throws: `PalsError` for bad input; the result has exit status 1 when a correct peer did not decide or a run failed
    ///   the oracle.
    public func processCampaign<C: ModuleCodec>(_ model: RuntimeModel<C>, shard: Shard? = nil) throws -> CommandResult {
        var shown = CommandResult()
        guard runs <= 100_000 else {
            throw PalsError(.invalidArgument, "⟪runs⟫ must be 1…100000 with ⟪transport⟫ process, got \(runs)")
        }
        let window = killWindow ?? 300
        guard window >= 0 && window <= 60_000 else {
            throw PalsError(.invalidArgument, "⟪killWindow⟫ must be 0…60000 milliseconds, got \(window)")
        }
        let minimum = minRound ?? 0
        guard minimum >= 0 && minimum <= 60_000 else {
            throw PalsError(.invalidArgument, "⟪minRound⟫ must be 0…60000 milliseconds, got \(minimum)")
        }
        _ = try seconds(ms: roundTimeout, "⟪roundTimeout⟫")
        let plan = try campaignAdversary(adversary)
        if let plan { try plan.pattern.validate(n: model.n, t: model.t, rounds: model.rounds) }
        let campaign = ProcessCampaign(
            protocolName: protocolName, instanceArguments: try instance.arguments(protocolName), runs: runs, seed: seed,
            plan: plan, roundTimeout: roundTimeout, minRound: minimum, killWindow: window, out: out,
            module: module?.rawValue ?? "in-process", shard: shard)
        let r = try campaign.run(model, progress: campaignProgress(runs: campaign.ownRuns))
        let times = r.runTimes.map { $0 * 1000 }
        if json {
            var document = JSON.object([
                ("protocol", .string(model.protocolName)), ("n", .int(model.n)), ("t", .int(model.t)),
                ("transport", .string("process")), ("seed", .unsigned(seed)),
                ("runs", .int(r.runs)), ("killed", .int(r.killed)),
                ("finishedBeforeKill", .int(r.finishedBeforeKill)),
                ("undecidedRuns", .int(r.undecided)), ("disagreements", .int(r.disagreements)),
                ("outsideModel", .int(r.outsideModel)), ("violations", .int(r.violations)),
                ("lostFrames", .int(r.lostFrames)), ("failedPeers", .int(r.failedPeers)),
                ("seconds", .double((r.seconds * 1000).rounded() / 1000)),
                (
                    "runMilliseconds",
                    .object([
                        ("median", .double(Stats.quantile(times, 0.5).rounded())),
                        ("p99", .double(Stats.quantile(times, 0.99).rounded())),
                    ])
                ),
                ("findings", .array(r.findings.map { .string($0) })),
                ("saved", .array(r.saved.map { .string($0) })),
            ])
            if let shard {
                document = ShardMerge.attach(
                    document,
                    ShardMerge.campaignSection(
                        shard, run: try shardRun(instance: model.codec.instanceName, plan: plan),
                        failures: r.failures.map { .init(run: $0.run, finding: $0.finding, saved: $0.saved) },
                        rejectedOrder: [], samples: [("runMilliseconds", times.map { $0.rounded() })]))
            }
            shown.line(document.compact)
        } else {
            shown.line(
                "\(model.codec.instanceName), \(model.n) peer processes per run, seed \(seed), up to t = \(model.t) SIGKILLed per run within \(window) ms"
            )
            shown.line(
                "runs: \(r.runs)   killed: \(r.killed) (\(r.finishedBeforeKill) had finished first)   runs where a correct peer did not decide: \(r.undecided)"
            )
            shown.line(
                "disagreements: \(r.disagreements)   outside model: \(r.outsideModel) (\(r.lostFrames) frame(s) lost between correct peers)   violations: \(r.violations)"
            )
            shown.line(
                "time: \(fmt(r.seconds)) s   run time: median \(Int(Stats.quantile(times, 0.5))) ms, p99 \(Int(Stats.quantile(times, 0.99))) ms"
            )
            for f in r.findings { shown.line("finding: \(f)") }
            for s in r.saved { shown.line("saved: \(s)") }
        }
        if r.undecided + r.disagreements + r.outsideModel + r.violations > 0 { return shown.ending(1) }
        return shown
    }
}

// MARK: - oracle

/// The parameters of `pals oracle` as a value; `run()` performs it.
public struct OracleRequest: RuntimeCommandBody {
    /// The path of the run trace (trustedpals/run/v1), e.g. OUT/trace.json of `pals cluster`.
    public var trace: String
    /// The folder with roster.json and key-<i>.json; nil: keys/ beside the trace.
    public var keys: String?
    /// The folder for a counterexample file when a property is violated; nil: none is written.
    public var out: String?
    /// Whether to print one JSON object instead of text.
    public var json: Bool = false
    /// smc with a user's F: the .wasm module (nil: the path the trace records); refused unless its SHA-256 is the
    /// trace's.
    public var function: String?

    /// Parameters with the command line's defaults.
    public init(trace: String, keys: String? = nil, out: String? = nil, json: Bool = false, function: String? = nil) {
        self.trace = trace
        self.keys = keys
        self.out = out
        self.json = json
        self.function = function
    }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Reads the trace, loads a recorded user F and checks the run on the trace's runtime model (`execute`).
    public func perform() throws -> CommandResult {
        let run = try RunTrace.parse(try readText(trace))
        try loadRecordedFunction(
            variant: run.variant, recorded: recordedFunctionPath(run.notes), given: function, file: trace)
        return try withRuntimeModel(
            ModelSpec(protocolName: run.protocolName, variant: run.variant, n: run.n, t: run.t, rounds: run.rounds),
            RuntimeDispatch(body: self))
    }

    /// Replays the trace through the model with the keys that open its frames, returns the verdict and, with
    /// `out`, saves a counterexample file for a violated property.
    /// - Throws: `PalsError` for unreadable or mismatched files; the result has exit status 1 for a disagreement or a violated
    ///   property, 3 for a run outside the model.
    public func execute<C: ModuleCodec>(_ model: RuntimeModel<C>) throws -> CommandResult {
        var shown = CommandResult()
        let run = try RunTrace.parse(try readText(trace))
        let dir = keys ?? (parentFolder(trace) as NSString).appendingPathComponent("keys")
        let (roster, keyList) = try readKeyDirectory(dir)
        guard model.codec.instanceName == run.instance else {
            throw PalsError(
                .malformedFile, "\(trace): instance \"\(run.instance)\" is not \"\(model.codec.instanceName)\"")
        }
        let report = try Oracle(model: model, roster: roster, keys: keyList).check(run)
        var saved: [String] = []
        if let out, !report.violations.isEmpty { saved = try saveFailure(run, report, model: model, dir: out, tag: "") }
        if json {
            var j = reportJSON(report)
            if case .object(var fields) = j {
                fields.append(("saved", .array(saved.map { .string($0) })))
                j = .object(fields)
            }
            shown.line(j.compact)
        } else {
            for (i, log) in run.logs.enumerated() { shown.line("p\(i): \(renderDecision(log?.decision))") }
            for line in reportLines(report) { shown.line(line) }
            for s in saved { shown.line("saved: \(s)") }
        }
        let status = exitStatus(report)
        if status != 0 { return shown.ending(status) }
        return shown
    }
}

/// Where a peer's security module runs.
public enum ModulePlacement: RawRepresentable, Sendable, Equatable {
    /// In the peer's own process.
    case inProcess
    /// In a `pals module` child process, over a pipe.
    case process
    /// A smart card reached through PC/SC (`pals card` behind pcscd, or a
    /// real card): the reader of that name, or the first reader with a card.
    case pcsc(reader: String?)

    /// The command line's spellings.
    public static let spellings = ["in-process", "process", "pcsc", "pcsc:READER"]

    /// The placement a command-line spelling names (see `spellings`); nil for any other string.
    public init?(rawValue: String) {
        switch rawValue {
        case "in-process": self = .inProcess
        case "process": self = .process
        default:
            guard let reader = CardModuleSpec.reader(rawValue) else { return nil }
            self = .pcsc(reader: reader)
        }
    }

    /// The command-line spelling: in-process, process, pcsc or pcsc:READER.
    public var rawValue: String {
        switch self {
        case .inProcess: "in-process"
        case .process: "process"
        case .pcsc(let reader): reader.map { "pcsc:\($0)" } ?? "pcsc"
        }
    }
}

/// How a campaign runs its instances.
public enum CampaignTransport: String, CaseIterable, Sendable {
    /// The deterministic in-memory transport, in this process.
    case memory
    /// n hosts in this process over loopback TCP.
    case tcp
    /// n `pals peer` processes per run, up to t of them killed at random moments.
    case process
}

/// Progress of a campaign on standard error (`progressReporter`): runs done,
/// the rate, an estimate of the time left.
func campaignProgress(runs: Int) -> (Int) -> Void {
    let report = progressReporter()
    let start = ContinuousClock.now
    return { done in
        let elapsed = (ContinuousClock.now - start) / .seconds(1)
        guard done > 0, elapsed > 0 else { return }
        let rate = Double(done) / elapsed
        report(
            "\(done) of \(runs) runs, \(String(format: "%.1f", rate)) runs/s, about \(Int((Double(runs - done) / rate).rounded())) s left"
        )
    }
}
