import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime
import Testing
import TrustedPals

/// The oracle is itself tested: runtime mutants (modules that deviate from
/// the specified protocol) must each be caught at the first round and module
/// where the deviation shows, and nothing the oracle did not check may pass.
@Suite("Oracle: runtime mutants are caught where they first show", .timeLimit(.minutes(10)))
struct OracleMutantTests {
    /// The first (round, module) where the mutant's run differs from the
    /// model's on `pattern`: a live module's message, or a result; nil when
    /// the two runs are the same. Every module of the run is a mutant.
    func firstDifference(
        _ d: Deployment, mutants: [Int], variant: UIC<Concrete>.Variant, fault: MutantUIC.Fault, inputs: [Int],
        pattern: FailurePattern
    ) throws -> (round: Int, module: Int)? {
        let spec = d.model.proto
        let mutantBase = UIC(logic: Concrete(), n: spec.n, t: spec.t, variant: variant, rounds: spec.rounds)
        let deviating = MutantUIC(base: mutantBase, fault: fault)
        let model = try simulate(spec, inputs: inputs, pattern: pattern)
        let bad = try simulate(deviating, inputs: inputs, pattern: pattern)
        var crashAt = Array(repeating: Int.max, count: spec.n)
        for c in pattern.crashes { crashAt[c.process] = c.round }
        for r in 1...spec.rounds {
            for i in 0..<spec.n where crashAt[i] > r && mutants.contains(i) {
                for j in 0..<spec.n where bad.messages[r - 1][i][j] != model.messages[r - 1][i][j] {
                    return (r, i)
                }
            }
        }
        for i in 0..<spec.n where crashAt[i] > spec.rounds + 1 && mutants.contains(i) {
            if bad.decisions[i] != model.decisions[i] { return (spec.rounds + 1, i) }
        }
        return nil
    }

    @Test(
        "modules running a mutant UIC while the oracle replays the specified one are caught at the first round and module",
        arguments: [UIC<Concrete>.Variant.noIntersection, .noTrustCheck, .noHalting, .mergeAllReceived])
    func mutantProtocols(variant: UIC<Concrete>.Variant) throws {
        var caught = 0
        for (n, t) in [(3, 1), (4, 1), (5, 2)] {
            let d = try Deployment(n: n, t: t)
            let oracle = try d.oracle()
            var rng = SplitMix64(seed: 11 &* UInt64(n))
            for k in 0..<150 {
                let plan = AdversaryPlan.random(n: n, t: t, rounds: d.model.rounds, rng: &rng)
                let inputs = (0..<n).map { 10 + $0 }
                let cluster = try MemoryCluster(
                    model: d.model, links: try d.modules(mutants: Array(0..<n), variant: variant),
                    session: SessionID(UInt64(k)), inputs: inputs, adversary: plan)
                let report = try oracle.check(try cluster.run())
                let expected = try firstDifference(
                    d, mutants: Array(0..<n), variant: variant, fault: .none, inputs: inputs, pattern: plan.pattern)
                if let expected {
                    caught += 1
                    #expect(report.verdict == .disagrees, "\(variant) n=\(n) run \(k): \(report.verdict)")
                    #expect(
                        report.disagreement.map { ($0.round, $0.module) == expected } == true,
                        "\(variant) n=\(n) run \(k): expected \(expected), got \(String(describing: report.disagreement))"
                    )
                } else {
                    #expect(
                        report.verdict == .conforms,
                        "\(variant) n=\(n) run \(k): \(String(describing: report.disagreement))")
                }
            }
        }
        #expect(caught > 0, "\(variant) never deviated: the test shows nothing")
    }

    @Test("a module that seals a stale message is caught at that round and module")
    func staleMessage() throws {
        let d = try Deployment(n: 4, t: 1)
        for (round, to) in [(2, 0), (2, 3), (2, 1)] {
            let cluster = try MemoryCluster(
                model: d.model, links: try d.modules(mutants: [1], fault: .stale(round: round, to: to)),
                session: SessionID(UInt64(round * 10 + to)), inputs: [10, 11, 12, 13], adversary: .none)
            let report = try d.oracle().check(try cluster.run())
            #expect(report.verdict == .disagrees)
            #expect(
                report.disagreement?.round == round && report.disagreement?.module == 1,
                "\(String(describing: report.disagreement))")
        }
    }

    @Test(
        "an altered message is caught even where no module accepts it: a dropped link, a crashed receiver, the self-message"
    )
    func alteredMessage() throws {
        let d = try Deployment(n: 4, t: 1)
        // p1 is faulty and its frame to p2 in round 1 is dropped: only the
        // frame p1's module sealed shows the alteration.
        let cases: [(AdversaryPlan, MutantUIC.Fault, String)] = [
            (
                AdversaryPlan(faulty: ProcessSet([1]), drops: [Link(round: 1, from: 1, to: 2)]),
                .altered(round: 1, to: 2), "dropped link"
            ),
            (
                AdversaryPlan(faulty: ProcessSet([3]), crashes: [Crash(process: 3, round: 1)]),
                .altered(round: 1, to: 3), "crashed receiver"
            ),
            (.none, .altered(round: 1, to: 1), "self-message"),
            (.none, .altered(round: 2, to: 0), "accepted frame"),
        ]
        for (k, (plan, fault, what)) in cases.enumerated() {
            let cluster = try MemoryCluster(
                model: d.model, links: try d.modules(mutants: [1], fault: fault), session: SessionID(UInt64(50 + k)),
                inputs: [10, 11, 12, 13], adversary: plan)
            let report = try d.oracle().check(try cluster.run())
            guard case .altered(let round, _) = fault else { continue }
            #expect(report.verdict == .disagrees, "\(what)")
            #expect(
                report.disagreement?.round == round && report.disagreement?.module == 1,
                "\(what): \(String(describing: report.disagreement))")
        }
    }

    @Test("a deviating module whose host left no log is caught through the frames others accepted from it")
    func deviationWithoutLog() throws {
        let d = try Deployment(n: 4, t: 1)
        // p1 alters its round-1 message to p0, then stops; its log is lost
        // (a killed peer): only p0's log shows what p1 sealed.
        let plan = AdversaryPlan(faulty: ProcessSet([1]), crashes: [Crash(process: 1, round: 2)])
        let cluster = try MemoryCluster(
            model: d.model, links: try d.modules(mutants: [1], fault: .altered(round: 1, to: 0)),
            session: SessionID(55),
            inputs: [10, 11, 12, 13], adversary: plan)
        var trace = try cluster.run()
        trace.logs[1] = nil
        let report = try d.oracle().check(trace)
        #expect(report.verdict == .disagrees)
        #expect(
            report.disagreement?.round == 1 && report.disagreement?.module == 1,
            "\(String(describing: report.disagreement))")
        // The faithful module in the same situation conforms.
        let faithful = try MemoryCluster(
            model: d.model, links: try d.modules(mutants: []), session: SessionID(56), inputs: [10, 11, 12, 13],
            adversary: plan)
        var clean = try faithful.run()
        clean.logs[1] = nil
        #expect(try d.oracle().check(clean).verdict == .conforms)
    }

    @Test("a host that withholds or replaces its module's own frame changes nothing: the module keeps its own message")
    func ownFrameWithheld() throws {
        let d = try Deployment(n: 4, t: 1)
        for (k, replace) in [false, true].enumerated() {
            let cluster = try d.cluster(session: UInt64(60 + k))
            var earlier: [UInt8] = []
            cluster.tamper = { _, from, to, frame in
                guard from == to else { return frame }
                if !replace { return nil }
                defer { earlier = frame }
                return earlier.isEmpty ? frame.map { $0 ^ 0x5A } : earlier
            }
            let trace = try cluster.run()
            let report = try d.oracle().check(trace)
            #expect(report.verdict == .conforms, "\(String(describing: report.disagreement))")
            #expect(report.realized.drops.isEmpty)
            for i in 0..<4 {
                #expect(trace.logs[i]?.decision == Decision(decided: true, value: [10, 11, 12, 13]))
                #expect(trace.logs[i]?.rounds.allSatisfy { $0.verdicts[i] == .accepted } == true)
            }
        }
    }

    @Test("a log where a module lost its own message, accepted a forgery or rejected a genuine frame disagrees there")
    func judgedFrames() throws {
        let d = try Deployment(n: 4, t: 1)
        let trace = try d.cluster(session: 70).run()
        #expect(try d.oracle().check(trace).verdict == .conforms)
        // p2 lost its own message in round 2.
        var lostOwn = trace
        lostOwn.logs[2]!.rounds[1].verdicts[2] = .absent
        var r = try d.oracle().check(lostOwn)
        #expect(r.verdict == .disagrees && r.disagreement?.round == 2 && r.disagreement?.module == 2)
        // p3 accepted a forged frame from p0 in round 1.
        var forged = trace
        forged.logs[3]!.rounds[0].received[0]![30] ^= 1
        r = try d.oracle().check(forged)
        #expect(
            r.verdict == .disagrees && r.disagreement?.round == 1 && r.disagreement?.module == 3,
            "\(String(describing: r.disagreement))")
        // p1 rejected p0's genuine frame in round 2.
        var rejected = trace
        rejected.logs[1]!.rounds[1].verdicts[0] = .forged
        r = try d.oracle().check(rejected)
        #expect(
            r.verdict == .disagrees && r.disagreement?.round == 2 && r.disagreement?.module == 1,
            "\(String(describing: r.disagreement))")
        // p0's sealed frame to p3 in round 1 was replaced in the log by p0's
        // frame to p2: it carries another receiver.
        var swapped = trace
        swapped.logs[0]!.rounds[0].sent[3] = trace.logs[0]!.rounds[0].sent[2]
        r = try d.oracle().check(swapped)
        #expect(r.verdict == .disagrees && r.disagreement?.round == 1 && r.disagreement?.module == 0)
    }

    @Test("frames lost between correct processes are a finding: outside the model, nobody blamed, no property judged")
    func lostBetweenCorrect() throws {
        let d = try Deployment(n: 4, t: 1)
        let cluster = try d.cluster(session: 80)
        cluster.tamper = { round, from, to, frame in round == 1 && from == 0 && to == 1 ? nil : frame }
        let report = try d.oracle().check(try cluster.run())
        #expect(report.verdict == .outsideModel)
        #expect(report.lostFrames == [Link(round: 1, from: 0, to: 1)])
        #expect(report.realized.faulty.isEmpty)
        #expect(report.violations.isEmpty)
        #expect(report.disagreement == nil)
        #expect(report.notes.contains { $0.contains("lost between processes the adversary left correct") })
        // Lost between a faulty and a correct process: within the model.
        let inModel = try d.cluster(session: 81, adversary: AdversaryPlan(faulty: ProcessSet([0])))
        inModel.tamper = { round, from, to, frame in round == 1 && from == 0 && to == 1 ? nil : frame }
        let ok = try d.oracle().check(try inModel.run())
        #expect(
            ok.verdict == .conforms && ok.lostFrames.isEmpty && ok.realized.drops == [Link(round: 1, from: 0, to: 1)])
    }

    @Test(
        "a frame between correct processes that came after its round closed is reported outside the timing assumption")
    func lateFrameIsOutsideTheTimingAssumption() throws {
        let d = try Deployment(n: 4, t: 1)
        let cluster = try d.cluster(session: 82)
        cluster.tamper = { round, from, to, frame in round == 2 && from == 3 && to == 2 ? nil : frame }
        var trace = try cluster.run()
        // Without the record of a late arrival: lost, but not said to be late.
        let lost = try d.oracle().check(trace)
        #expect(lost.verdict == .outsideModel)
        #expect(!lost.notes.contains { $0.contains("timing assumption") })
        // p2's host logged the frame as arriving after round 2 had closed.
        trace.logs[2]?.lateFrames.append(PeerLog.LateFrame(round: 2, from: 3))
        let late = try d.oracle().check(trace)
        #expect(late.verdict == .outsideModel)
        #expect(late.lostFrames == [Link(round: 2, from: 3, to: 2)])
        #expect(late.violations.isEmpty)
        #expect(late.notes.contains { $0.contains("outside the timing assumption") })
    }

    @Test("the oracle refuses missing keys, a roster of another size or deployment, and a trace of another instance")
    func inputErrors() throws {
        let d = try Deployment(n: 4, t: 1)
        var trace = try d.cluster(session: 90).run()
        trace.roster = d.roster.fingerprint
        #expect(try d.oracle().check(trace).framesChecked == 2 * 4 * 4 * 2 - 2 * 4)
        func message(_ body: () throws -> Void) -> String? {
            do {
                try body()
                return nil
            } catch let e as PalsError {
                return e.message
            } catch {
                return "\(error)"
            }
        }
        let missing = message {
            _ = try Oracle(model: d.model, roster: d.roster, keys: [d.keys[0], d.keys[1], d.keys[3]])
        }
        #expect(missing?.contains("key-2.json") == true, "\(String(describing: missing))")
        let other = try Deployment(n: 3, t: 1)
        let size = message { _ = try Oracle(model: d.model, roster: other.roster, keys: other.keys) }
        #expect(size?.contains("3 peers") == true, "\(String(describing: size))")
        let same = try Deployment(n: 4, t: 1)
        let deployment = message { _ = try same.oracle().check(trace) }
        #expect(deployment?.contains("roster") == true, "\(String(describing: deployment))")
        let instance = message { _ = try other.oracle().check(trace) }
        #expect(instance?.contains("uic/standard n=4") == true, "\(String(describing: instance))")
        var longLog = trace
        longLog.logs[0]!.rounds.append(trace.logs[0]!.rounds[0])
        #expect(message { _ = try d.oracle().check(longLog) } != nil)
    }
}
