import Foundation
import PalsCore
import PalsExplorer
import PalsProtocols
import PalsSymbolic
import PalsZ3
import Testing
import TrustedPals

/// The explicit explorer and the symbolic checker give the same verdict on
/// every property (holds / violated, witnessed / not-witnessed) of the same
/// instance: two engines that share nothing but the protocol code and
/// `simulate`.
@Suite(.timeLimit(.minutes(10))) struct EngineAgreementTests {
    /// Per property name, the explicit engine's status.
    func explicitStatuses<P: RoundProtocol & Sendable>(
        _ proto: P, _ properties: [Property<P>], model: FaultModel
    ) throws -> [String: String] where P.L == Concrete, P.State: Hashable {
        var options = ExplorerOptions()
        options.faultModel = model
        let result = try Explorer(proto, properties: properties, inputs: Array(0..<proto.n), options: options).run()
        #expect(result.complete)
        return Dictionary(uniqueKeysWithValues: result.verdicts.map { ($0.name, $0.status.rawValue) })
    }

    func expectSameVerdicts(_ spec: ModelSpec, model: FaultModel, explicit: [String: String]) throws {
        let symbolic = try runSymbolicCheck(spec: spec, faultModel: model)
        #expect(symbolic.properties.count == explicit.count, "\(spec)")
        for p in symbolic.properties {
            #expect(
                [.holds, .violated, .witnessed, .notWitnessed].contains(p.status),
                "\(spec) \(model.rawValue) \(p.name): \(p.status.rawValue) \(p.reason ?? "")")
            #expect(p.status.rawValue == explicit[p.name], "\(spec) \(model.rawValue) \(p.name)")
        }
    }

    static let uicInstances = [(3, 1), (4, 1), (4, 2), (5, 2)]

    @Test(arguments: UIC<Concrete>.Variant.allCases)
    func uicVariants(_ variant: UIC<Concrete>.Variant) throws {
        for (n, t) in Self.uicInstances {
            let proto = UIC(logic: Concrete(), n: n, t: t, variant: variant)
            let explicit = try explicitStatuses(proto, UIC<Concrete>.properties, model: .generalOmission)
            try expectSameVerdicts(
                ModelSpec(protocolName: "uic", variant: variant.rawValue, n: n, t: t), model: .generalOmission,
                explicit: explicit)
        }
    }

    @Test(arguments: FaultModel.allCases)
    func floodSet(_ model: FaultModel) throws {
        for (n, t) in [(3, 1), (4, 1)] {
            let proto = FloodSet(logic: Concrete(), n: n, t: t)
            let explicit = try explicitStatuses(proto, FloodSet<Concrete>.properties, model: model)
            try expectSameVerdicts(ModelSpec(protocolName: "floodset", n: n, t: t), model: model, explicit: explicit)
        }
    }
}

/// The default solver (bit-blasting straight to SAT) and Z3's QF_FD solver,
/// which preprocesses before bit-blasting, give the same verdict on every
/// property of every UIC variant at sizes the explicit engine no longer
/// reaches quickly: a solver that dropped constraints would disagree.
@Suite(.timeLimit(.minutes(10))) struct SolverAgreementTests {
    @Test(arguments: UIC<Concrete>.Variant.allCases)
    func uicVariants(_ variant: UIC<Concrete>.Variant) throws {
        for (n, t) in [(6, 2), (7, 3)] {
            let spec = ModelSpec(protocolName: "uic", variant: variant.rawValue, n: n, t: t)
            let blasted = try runSymbolicCheck(spec: spec, solver: .bitBlastSAT)
            let preprocessed = try runSymbolicCheck(spec: spec, solver: .logic("QF_FD"))
            #expect(blasted.properties.map(\.name) == preprocessed.properties.map(\.name))
            for (a, b) in zip(blasted.properties, preprocessed.properties) {
                #expect(
                    [.holds, .violated, .witnessed, .notWitnessed].contains(a.status),
                    "\(spec) \(a.name): \(a.status.rawValue) \(a.reason ?? "")")
                #expect(a.status == b.status, "\(spec) \(a.name): \(a.status.rawValue) vs QF_FD \(b.status.rawValue)")
            }
        }
    }
}

/// The classic lower bound as an external check of the encoding: under
/// crash-stop failures FloodSet solves interactive consistency with t + 1
/// rounds, and t rounds do not suffice when n ≥ t + 2.
@Suite(.timeLimit(.minutes(10))) struct FloodSetCrashBoundTests {
    @Test func tPlusOneRoundsSufficeAndTRoundsDoNot() throws {
        let start = Date()
        var cells = 0
        for n in 2...7 {
            for t in 1..<n {
                let enough = try runSymbolicCheck(
                    spec: ModelSpec(protocolName: "floodset", n: n, t: t, rounds: t + 1), faultModel: .crash)
                #expect(enough.verdict == .holds, "n=\(n) t=\(t) with \(t + 1) rounds")
                cells += 1
                if n >= t + 2 {
                    let short = try runSymbolicCheck(
                        spec: ModelSpec(protocolName: "floodset", n: n, t: t, rounds: t), faultModel: .crash)
                    #expect(short.verdict == .violated, "n=\(n) t=\(t) with \(t) rounds")
                    #expect(short.counterexamples.allSatisfy { $0.faultModel == .crash && $0.rounds == t })
                    cells += 1
                }
            }
        }
        print(
            "FloodSet crash bound: \(cells) symbolic checks in \(String(format: "%.1f", Date().timeIntervalSince(start))) s"
        )
    }

    /// Under general omission FloodSet violates uniform agreement for every
    /// 1 ≤ t < n ≤ 7, and agreement among correct processes whenever two
    /// processes can be correct (n ≥ 3; with n = 2 and a faulty process only
    /// one is correct, so that property holds trivially).
    @Test func omissionBreaksAgreement() throws {
        for n in 2...7 {
            for t in 1..<n {
                let r = try runSymbolicCheck(
                    spec: ModelSpec(protocolName: "floodset", n: n, t: t), faultModel: .generalOmission)
                for name in n >= 3 ? ["UniformAgreement", "Agreement"] : ["UniformAgreement"] {
                    #expect(r.properties.first { $0.name == name }?.status == .violated, "n=\(n) t=\(t) \(name)")
                }
            }
        }
    }
}
