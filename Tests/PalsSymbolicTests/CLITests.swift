import PalsCore
import PalsProtocols
import PalsSymbolic
import PalsZ3
import Testing
import TrustedPals

/// `runSymbolicCheck`, the entry point of `pals check --engine symbolic`.
@Suite(.timeLimit(.minutes(10))) struct RunSymbolicCheckTests {
    @Test func verifiedInstance() throws {
        let r = try runSymbolicCheck(spec: ModelSpec(protocolName: "uic", n: 4, t: 1))
        #expect(r.verdict == .holds)
        #expect(r.counterexamples.isEmpty)
        #expect(r.properties.map(\.name) == UIC<Concrete>.properties.map(\.name))
        #expect(r.properties.first { $0.name == "SomeProcessHalts" }?.witness != nil)
        #expect(!r.statistics.isEmpty)
        #expect(r.z3Version.hasPrefix("4."))
    }

    /// The report names the solver the caller chose (its JSON's `solver.method`), not the default.
    @Test(arguments: [Z3SolverKind.bitBlastSAT, .logic("QF_FD"), .simple])
    func reportsTheSolverItUsed(_ kind: Z3SolverKind) throws {
        let r = try runSymbolicCheck(spec: ModelSpec(protocolName: "uic", n: 4, t: 1), solver: kind)
        #expect(r.solver == kind)
        #expect(r.verdict == .holds)
    }

    /// Replaying the shrinker's candidates on two or three threads gives the
    /// counterexamples one thread gives.
    @Test(arguments: [(6, 3), (7, 5), (8, 4)])
    func shrinkingThreadsGiveTheSameCounterexamples(_ n: Int, _ t: Int) throws {
        let spec = ModelSpec(protocolName: "uic", n: n, t: t)
        let one = try runSymbolicCheck(spec: spec, stopAtFirstViolation: true, threads: 1)
        #expect(one.verdict == (2 * t < n ? .holds : .violated))
        for threads in [2, 3] {
            let more = try runSymbolicCheck(spec: spec, stopAtFirstViolation: true, threads: threads)
            #expect(more.properties.map(\.status) == one.properties.map(\.status))
            #expect(more.counterexamples == one.counterexamples, "\(threads) threads")
        }
    }

    @Test func counterexampleFilesReplay() throws {
        let spec = ModelSpec(protocolName: "uic", variant: "no-trust-check", n: 3, t: 1)
        let r = try runSymbolicCheck(spec: spec)
        #expect(r.verdict == .violated)
        #expect(!r.counterexamples.isEmpty)
        for file in r.counterexamples {
            #expect(file.engine == "symbolic" && !file.text.contains("\"engine\""))
            #expect(file.variant == "no-trust-check")
            // The file survives a round trip and its run violates the property.
            let parsed = try CounterexampleFile.parse(file.text)
            #expect(parsed == file)
            let p = UIC(logic: Concrete(), n: 3, t: 1, variant: .noTrustCheck)
            let property = try #require(UIC<Concrete>.properties.first { $0.name == file.property })
            let trace = try simulate(p, inputs: file.inputs, pattern: file.pattern, model: file.faultModel)
            #expect(trace.violation(of: property, protocol: p) == file.violatedAfterRound)
            #expect(CounterexampleFile.decisions(trace.decisions) == file.decisions)
        }
    }

    @Test func crashModelAndRoundsOverride() throws {
        let ok = try runSymbolicCheck(
            spec: ModelSpec(protocolName: "floodset", n: 4, t: 2), faultModel: .crash, symmetry: false)
        #expect(ok.verdict == .holds)
        let bad = try runSymbolicCheck(
            spec: ModelSpec(protocolName: "floodset", n: 4, t: 2, rounds: 2), faultModel: .crash)
        #expect(bad.verdict == .violated)
        #expect(bad.counterexamples.allSatisfy { $0.faultModel == .crash && $0.rounds == 2 })
    }

    @Test func badArgumentsAreErrors() {
        #expect(throws: PalsError.self) { try runSymbolicCheck(spec: ModelSpec(protocolName: "nope", n: 3, t: 1)) }
        #expect(throws: PalsError.self) { try runSymbolicCheck(spec: ModelSpec(protocolName: "uic", n: 3, t: 3)) }
        #expect(throws: PalsError.self) {
            try runSymbolicCheck(spec: ModelSpec(protocolName: "uic", n: 3, t: 1), inputs: [0, -1, 2])
        }
        #expect(throws: PalsError.self) {
            try runSymbolicCheck(spec: ModelSpec(protocolName: "uic", n: 3, t: 1), timeout: 0)
        }
    }

    @Test func smallestInstances() throws {
        #expect(try runSymbolicCheck(spec: ModelSpec(protocolName: "uic", n: 1, t: 0)).verdict == .holds)
        let zero = try runSymbolicCheck(spec: ModelSpec(protocolName: "floodset", n: 3, t: 1, rounds: 0))
        #expect(zero.rounds == 0)
        #expect(zero.verdict == .violated)
        #expect(zero.properties.first { $0.name == "Agreement" }?.status == .violated)
    }

    /// A query that runs out of time is `unknown` with Z3's reason, never `holds`.
    @Test func timeoutIsUnknownNeverHolds() throws {
        let r = try runSymbolicCheck(spec: ModelSpec(protocolName: "uic", n: 7, t: 3), timeout: 0.001)
        for p in r.properties {
            #expect([.unknown, .holds, .witnessed].contains(p.status), "\(p.name)")
            if p.status == .unknown { #expect(p.reason?.isEmpty == false) }
        }
        #expect(r.properties.contains { $0.status == .unknown })
        #expect(r.verdict == .unknown)
    }
}
