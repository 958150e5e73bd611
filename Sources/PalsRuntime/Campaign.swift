import Foundation
import NIOPosix
import PalsCore
import PalsModule

/// How a campaign's runs travel.
public enum Transport: String, Sendable, CaseIterable {
    /// The deterministic in-memory transport (`MemoryCluster`).
    case memory
    /// n hosts in this process, talking TCP over loopback.
    case tcp
}

/// The fault-injection campaign (the paper's experiment): many runs of one
/// instance, each against a random adversary, each checked by the oracle.
public struct CampaignOptions: Sendable {
    /// How many runs to make (≥ 0).
    public var runs: Int
    /// Seeds the adversaries, the inputs, the session ids and the modules' own generators: the same seed
    /// repeats the campaign.
    public var seed: UInt64
    /// Whether the runs travel in memory or over TCP.
    public var transport: Transport
    /// Round timeout of the TCP transport, seconds.
    public var roundTimeout: Double
    /// A fixed adversary for every run instead of random ones.
    public var plan: AdversaryPlan?
    /// Make only this shard's runs (run k belongs to shard k mod K + 1); every run is drawn exactly as in the
    /// whole campaign, so the K shards together make the whole campaign's runs.
    public var shard: Shard?

    /// Options of a campaign; `roundTimeout` is Δ of the TCP transport in seconds.
    public init(
        runs: Int, seed: UInt64, transport: Transport, roundTimeout: Double = 2, plan: AdversaryPlan? = nil,
        shard: Shard? = nil
    ) {
        self.runs = runs
        self.seed = seed
        self.transport = transport
        self.roundTimeout = roundTimeout
        self.plan = plan
        self.shard = shard
    }

    /// How many of the `runs` runs belong to `shard` (all of them without one).
    public var ownRuns: Int {
        shard?.share(of: runs) ?? runs
    }
}

/// A run the oracle did not accept (a disagreement, a violated property, or
/// a run outside the model).
public struct CampaignFailure: Sendable {
    /// The run's index in the campaign, from 0.
    public var run: Int
    /// The run as it happened, for a counterexample file.
    public var trace: RunTrace
    /// What the oracle said about the run.
    public var report: OracleReport
}

/// What a campaign found: counts of failing runs by kind, the faults it injected, timings, and the first failing runs.
public struct CampaignResult: Sendable {
    /// Runs made (with a shard: the shard's runs).
    public var runs = 0
    /// Runs in which a property of the model failed on the realized run.
    public var violations = 0
    /// Per property (in the model's order), the runs that violated it.
    public var violationsByProperty: [(property: String, runs: Int)] = []
    /// Runs in which a module disagreed with the model.
    public var disagreements = 0
    /// Runs whose realized failure pattern left the model.
    public var outsideModel = 0
    /// Wall time of the whole campaign, seconds.
    public var seconds = 0.0
    /// Every round's latency at every host (TCP), seconds.
    public var roundLatencies: [Double] = []
    /// Every run's wall time, seconds.
    public var runTimes: [Double] = []
    /// Frames rejected by modules, by reason.
    public var rejectedFrames: [FrameVerdict: Int] = [:]
    /// Injected: faulty processes, crashes and dropped links, summed over runs.
    public var injectedFaulty = 0
    /// Crashes injected, summed over runs.
    public var injectedCrashes = 0
    /// Dropped links injected, summed over runs.
    public var injectedDrops = 0
    /// Per run, in run order: the faults the adversary injected (faulty
    /// processes, crashes, dropped links).
    public var injectedPerRun: [(faulty: Int, crashes: Int, drops: Int)] = []
    /// The first few failing runs, for counterexample files.
    public var failures: [CampaignFailure] = []
}

/// Runs campaigns of one instance; holds the keys, the modules and (for TCP)
/// the hosts across runs.
public final class Campaign<C: ModuleCodec> {
    /// The instance every run of the campaign runs.
    public let model: RuntimeModel<C>
    /// The modules' keys, p0…p(n-1), generated afresh for this campaign.
    public let keys: [ModuleKey]
    /// The roster of the modules' public keys (no addresses).
    public let roster: Roster
    private let oracle: Oracle<C>

    /// Generates a key per module and the roster, and sets up the oracle with them.
    ///
    /// - Throws: `PalsError` when the roster or the oracle cannot be built from the keys.
    public init(model: RuntimeModel<C>) throws(PalsError) {
        self.model = model
        self.keys = (0..<model.n).map { ModuleKey.generate(id: $0) }
        self.roster = try Roster(peers: keys.map { Roster.Peer(id: $0.id, publicKey: $0.publicKey, address: nil) })
        self.oracle = try Oracle(model: model, roster: roster, keys: keys)
    }

    /// Makes `options.runs` runs, each against a random adversary (or `options.plan`), and checks each with the oracle.
    ///
    /// - Parameter progress: called after each run with the number of runs made so far.
    /// - Throws: `PalsError` for a negative run count, a plan outside the model, hosts that cannot connect over
    ///   loopback, or a run the oracle refuses; `ModuleError` when a module fails in the memory transport.
    public func run(_ options: CampaignOptions, progress: ((Int) -> Void)? = nil) throws -> CampaignResult {
        guard options.runs >= 0 else { throw PalsError(.invalidArgument, "⟪runs⟫ must be ≥ 0") }
        if let plan = options.plan { try plan.pattern.validate(n: model.n, t: model.t, rounds: model.rounds) }
        // Each module's own generator (for inputs it draws itself, such as
        // fair exchange's ρ) is seeded from the campaign's seed and the run's
        // index, so that a campaign is repeatable and a run draws the same
        // whether or not the runs before it are made (shards).
        let generators = keys.map {
            GeneratorBox(seed: Self.moduleSeed(options.seed, module: $0.id, run: 0), module: $0.id)
        }
        let modules = try keys.map { k throws(PalsError) in
            let g = generators[k.id]
            return try SecurityModule(codec: model.codec, key: k, roster: roster, random: { g.next() })
        }
        var byProperty = model.properties.filter { $0.kind != .sometimes }.map { ($0.name, 0) }
        var rng = SplitMix64(seed: options.seed)
        var result = CampaignResult()
        var hosts: [TCPHost] = []
        var group: MultiThreadedEventLoopGroup?
        if options.transport == .tcp {
            let g = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            group = g
            let hostKeys = (0..<model.n).map { HostKey.generate(id: $0) }
            let pins = hostKeys.map { Optional($0.publicKey) }
            for k in hostKeys { hosts.append(try TCPHost(tls: HostTLS(key: k, pinned: pins), n: model.n, group: g)) }
            var addresses: [HostPort?] = []
            for h in hosts {
                let port = try h.listen(on: HostPort(host: "127.0.0.1", port: 0))
                addresses.append(HostPort(host: "127.0.0.1", port: port))
            }
            for h in hosts { h.startConnecting(to: addresses) }
            for h in hosts {
                let got = h.waitForConnections(
                    ProcessSet.all(model.n).subtracting(ProcessSet([h.id])), timeout: .seconds(10))
                guard got.count == model.n - 1 else {
                    for h in hosts { h.shutdown() }
                    try? g.syncShutdownGracefully()
                    throw PalsError(
                        .invalidArgument,
                        "host p\(h.id) could connect to only \(got.count) of \(model.n - 1) peers on loopback")
                }
            }
        }
        defer {
            for h in hosts { h.shutdown() }
            try? group?.syncShutdownGracefully()
        }
        let clients = modules.map { ModuleClient($0) }
        let started = Date()
        for k in 0..<options.runs {
            let plan = options.plan ?? AdversaryPlan.random(n: model.n, t: model.t, rounds: model.rounds, rng: &rng)
            let inputs = model.randomInputs(&rng)
            let session = SessionID(rng.next())
            if let shard = options.shard, !shard.owns(k) { continue }
            for g in generators { g.reseed(Self.moduleSeed(options.seed, module: g.module, run: k)) }
            result.injectedFaulty += plan.faulty.count
            result.injectedCrashes += plan.crashes.count
            result.injectedDrops += plan.drops.count
            result.injectedPerRun.append((plan.faulty.count, plan.crashes.count, plan.drops.count))
            let runStart = Date()
            var trace: RunTrace
            switch options.transport {
            case .memory:
                let cluster = try MemoryCluster(
                    model: model, links: modules, session: session, inputs: inputs, adversary: plan)
                trace = try cluster.run()
            case .tcp:
                trace = try runTCP(
                    hosts: hosts, clients: clients, session: session, inputs: inputs, plan: plan,
                    timeout: options.roundTimeout, latencies: &result.roundLatencies)
            }
            result.runTimes.append(Date().timeIntervalSince(runStart))
            trace.roster = roster.fingerprint
            let report = try oracle.check(trace)
            for (v, c) in report.rejectedFrames { result.rejectedFrames[v, default: 0] += c }
            var failed = false
            switch report.verdict {
            case .conforms: break
            case .disagrees:
                result.disagreements += 1
                failed = true
            case .outsideModel:
                result.outsideModel += 1
                failed = true
            }
            if !report.violations.isEmpty {
                result.violations += 1
                failed = true
                for v in report.violations {
                    if let k = byProperty.firstIndex(where: { $0.0 == v.property }) { byProperty[k].1 += 1 }
                }
            }
            if failed && result.failures.count < 5 {
                result.failures.append(CampaignFailure(run: k, trace: trace, report: report))
            }
            result.runs += 1
            progress?(result.runs)
        }
        result.seconds = Date().timeIntervalSince(started)
        result.violationsByProperty = byProperty.map { (property: $0.0, runs: $0.1) }
        return result
    }

    /// The seed of module `module`'s generator in run `run` of a campaign seeded `seed`.
    static func moduleSeed(_ seed: UInt64, module: Int, run: Int) -> UInt64 {
        var g = SplitMix64(seed: seed &+ 0x5EED &* UInt64(module + 1))
        var h = SplitMix64(seed: g.next() ^ UInt64(run))
        return h.next()
    }

    /// One run over TCP: every host starts the instance with T0 a moment
    /// from now and Δ = `timeout`.
    private func runTCP(
        hosts: [TCPHost], clients: [ModuleClient], session: SessionID, inputs: [Int], plan: AdversaryPlan,
        timeout: Double, latencies: inout [Double]
    ) throws -> RunTrace {
        let n = model.n
        // Every host has BEGUN and waits for envelopes of this session
        // before any host's T0 comes.
        var schedule = RoundSchedule(start: 0, roundLength: Int64(timeout * 1e9))
        let futures = hosts.map { h in
            h.start(
                SessionParameters(
                    session: session, instance: model.codec.instanceName, input: inputs[h.id], rounds: model.rounds,
                    plan: plan, schedule: schedule),
                client: clients[h.id], armStart: false)
        }
        for h in hosts { h.settle() }
        schedule.start = systemWallClock()
        for h in hosts { h.startAt(schedule) }
        var logs: [PeerLog?] = []
        for f in futures {
            let outcome = try f.wait()
            logs.append(outcome.log)
            latencies.append(contentsOf: outcome.latencies)
        }
        var notes: [String] = []
        for h in hosts { notes += h.takeNotes().map { "p\(h.id): \($0)" } }
        return RunTrace(
            protocolName: model.protocolName, variant: model.variant, n: n, t: model.t, rounds: model.rounds,
            instance: model.codec.instanceName, session: session, inputs: inputs, adversary: plan, logs: logs,
            notes: notes)
    }
}

/// A seeded generator a module calls through a closure.
final class GeneratorBox: @unchecked Sendable {
    private var g: SplitMix64
    /// The module whose generator this is (campaigns), or 0.
    let module: Int
    init(seed: UInt64, module: Int = 0) {
        g = SplitMix64(seed: seed)
        self.module = module
    }
    func next() -> UInt64 { g.next() }
    func reseed(_ seed: UInt64) { g = SplitMix64(seed: seed) }
}

/// Hands a value that is used by one thread at a time to another thread.
final class Handoff<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Order statistics for reports.
public enum Stats {
    /// The `q`-quantile (0…1) by the nearest-rank method; 0 for no data.
    public static func quantile(_ xs: [Double], _ q: Double) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        let rank = Int((q * Double(s.count)).rounded(.up))
        return s[min(max(rank, 1), s.count) - 1]
    }
}
