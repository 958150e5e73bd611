import Foundation
import PalsCore
import PalsModule
import PalsRuntime

/// A campaign over real `pals peer` processes on loopback (DESIGN §5: real
/// faults are part of campaigns): every run draws an injected adversary and
/// SIGKILLs up to t peers at random moments, within t faulty processes in
/// all, and the oracle checks the run.
public struct ProcessCampaign {
    /// The protocol the peers run: uic, smc or fair-exchange.
    public var protocolName: String
    /// The options naming the instance again for each `pals peer` (`RuntimeInstance.arguments`).
    public var instanceArguments: [String]
    /// How many runs to make, each with fresh keys, inputs, adversary and kills.
    public var runs: Int
    /// Seeds the adversaries, inputs, victims and kill moments drawn for the runs.
    public var seed: UInt64
    /// A fixed injected adversary, or nil for a random one per run.
    public var plan: AdversaryPlan?
    /// Round length Δ in milliseconds: round r closes at the latest at T0 + rΔ.
    public var roundTimeout: Int
    /// Every round lasts at least this long, milliseconds; 0: no minimum.
    public var minRound: Int
    /// Kills happen uniformly within this many milliseconds of a run's start.
    public var killWindow: Int
    /// The folder for failing runs; nil: a fresh scratch folder, made only when a run fails.
    public var out: String?
    /// Where each peer's module runs: in-process, process or pcsc.
    public var module = "in-process"
    /// Make only this shard's runs (run k belongs to shard k mod K + 1), each drawn as in the whole campaign.
    public var shard: Shard?

    /// How many of the `runs` runs belong to `shard` (all of them without one).
    public var ownRuns: Int {
        shard?.share(of: runs) ?? runs
    }

    /// A failing run among the first ten: its number, what failed, and the files saved for it.
    public struct Failure: Sendable {
        /// The run's number in the campaign, from 0.
        public var run: Int
        /// The finding as `findings` prints it.
        public var finding: String
        /// The files saved for the run (none once five files are saved).
        public var saved: [String]
    }

    /// The counts of a campaign over all its runs.
    public struct Result {
        /// Runs completed.
        public var runs = 0
        /// Peer processes SIGKILLed, over all runs.
        public var killed = 0
        /// Kills not sent because the peer had already finished.
        public var finishedBeforeKill = 0
        /// Runs in which some correct peer (neither faulty nor killed) did
        /// not decide.
        public var undecided = 0
        /// Runs in which the oracle disagrees with the model (a frame or a result differs).
        public var disagreements = 0
        /// Runs the oracle finds outside the model (frames lost between correct peers, more than t misbehaving).
        public var outsideModel = 0
        /// Runs in which some property is violated.
        public var violations = 0
        /// Frames lost between correct peers, over all runs.
        public var lostFrames = 0
        /// Peers that exited abnormally or were ended at a run's limit (killed ones not counted), over all runs.
        public var failedPeers = 0
        /// Wall-clock seconds of the whole campaign.
        public var seconds = 0.0
        /// Wall-clock seconds of each run, in run order.
        public var runTimes: [Double] = []
        /// Files written for failing runs: run traces and counterexample files, for at most five runs.
        public var saved: [String] = []
        /// The first failing runs: run number and what failed.
        public var findings: [String] = []
        /// The first ten failing runs, each with its finding and saved files.
        public var failures: [Failure] = []
    }

    /// Makes the runs of `model` one after another, checks each with the oracle and counts what failed; the
    /// first failing runs are saved with the keys that open them.
    /// - Parameter progress: called with the number of runs done after each run.
    /// - Throws: `PalsError` when a peer cannot start or a log is malformed; `ExitStatus` 128 + the signal when
    ///   interrupted.
    public func run<C: ModuleCodec>(_ model: RuntimeModel<C>, progress: ((Int) -> Void)? = nil) throws -> Result {
        let n = model.n
        var rng = SplitMix64(seed: seed)
        var result = Result()
        let work = try makeTemporaryDirectory()
        let children = try ChildProcesses()
        let cleanup = InterruptCleanup(children: children)
        defer {
            children.endAll()
            try? FileManager.default.removeItem(atPath: work)
            cleanup.cancel()
        }
        let started = Date()
        for k in 0..<runs {
            try cleanup.check()
            let plan = self.plan ?? AdversaryPlan.random(n: n, t: model.t, rounds: model.rounds, rng: &rng)
            let inputs = model.randomInputs(&rng)
            // Up to t victims, keeping the faulty processes within t.
            var victims: [Int] = []
            var faulty = plan.faulty
            let wanted = rng.below(model.t + 1)
            var candidates = Array(0..<n)
            for i in stride(from: n - 1, to: 0, by: -1) { candidates.swapAt(i, rng.below(i + 1)) }
            for p in candidates where victims.count < wanted && faulty.union(ProcessSet([p])).count <= model.t {
                victims.append(p)
                faulty.insert(p)
            }
            let kills = victims.sorted().map {
                PeerProcessRun.Kill(peer: $0, afterMilliseconds: rng.below(killWindow + 1))
            }
            if let shard, !shard.owns(k) { continue }
            let dir = (work as NSString).appendingPathComponent("run-\(k)")
            let runStart = Date()
            let outcome = try PeerProcessRun(
                protocolName: protocolName, instanceArguments: instanceArguments, dir: dir, inputs: inputs, plan: plan,
                roundTimeout: roundTimeout, minRound: minRound, module: module, kills: kills
            ).run(model, children: children)
            try cleanup.check()
            result.runTimes.append(Date().timeIntervalSince(runStart))
            result.killed += outcome.killed.count
            result.finishedBeforeKill += outcome.notKilled.count
            result.failedPeers += outcome.failedPeers.count
            let killedSet = ProcessSet(outcome.killed.map(\.peer))
            let report = try Oracle(model: model, roster: outcome.roster, keys: outcome.keys).check(outcome.trace)
            var problems: [String] = []
            let undecided = (0..<n).filter { i in
                !plan.faulty.contains(i) && !killedSet.contains(i) && outcome.trace.logs[i]?.decision?.decided != true
            }
            if !undecided.isEmpty {
                result.undecided += 1
                problems.append("correct peer(s) \(undecided.map { "p\($0)" }.joined(separator: ", ")) did not decide")
            }
            switch report.verdict {
            case .conforms: break
            case .disagrees:
                result.disagreements += 1
                problems.append("the oracle disagrees at \(report.disagreement.map(String.init(describing:)) ?? "?")")
            case .outsideModel:
                result.outsideModel += 1
                problems.append("outside the model: \(report.notes.last ?? "")")
            }
            if !report.lostFrames.isEmpty { result.lostFrames += report.lostFrames.count }
            if !report.violations.isEmpty {
                result.violations += 1
                problems.append("violated: " + report.violations.map(\.property).joined(separator: ", "))
            }
            if !problems.isEmpty {
                var saved: [String] = []
                if result.saved.count < 5 {
                    // The run's trace with the keys that open it, in a
                    // folder of its own.
                    let keep = ((try out ?? makeTemporaryDirectory(prefix: "pals-campaign")) as NSString)
                        .appendingPathComponent("process-\(outcome.roster.fingerprint.prefix(16))")
                    _ = try writeKeyDirectory(
                        (keep as NSString).appendingPathComponent("keys"), keys: outcome.keys,
                        addresses: Array(repeating: nil, count: n), force: false)
                    saved = try saveFailure(outcome.trace, report, model: model, dir: keep, tag: "-run\(k)")
                    result.saved += saved
                }
                if result.findings.count < 10 {
                    let kills = outcome.killed.map { "p\($0.peer) at \($0.afterMilliseconds) ms" }.joined(
                        separator: ", ")
                    let finding =
                        "run \(k) (kills: \(kills.isEmpty ? "none" : kills)): " + problems.joined(separator: "; ")
                    result.findings.append(finding)
                    result.failures.append(Failure(run: k, finding: finding, saved: saved))
                }
            }
            try? FileManager.default.removeItem(atPath: dir)
            result.runs += 1
            progress?(result.runs)
        }
        result.seconds = Date().timeIntervalSince(started)
        return result
    }
}
