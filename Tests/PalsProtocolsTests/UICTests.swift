import PalsCore
import PalsProtocols
import Testing

@Suite(.timeLimit(.minutes(10))) struct UICTests {
    let logic = Concrete()

    @Test func failureFreeRunDecidesTheInputVector() throws {
        let p = UIC(logic: logic, n: 4, t: 1)
        let trace = try simulate(p, inputs: [10, 11, 12, 13], pattern: .none)
        #expect(p.rounds == 2)
        for d in trace.decisions {
            #expect(d.decided)
            #expect(d.value == [10, 11, 12, 13])
        }
        for prop in UIC<Concrete>.properties where prop.kind != .sometimes {
            #expect(trace.violation(of: prop, protocol: p) == nil, "\(prop.name)")
        }
    }

    @Test func aSilentFaultyProcessIsLeftOutByEveryone() throws {
        // p0 is faulty and none of its messages arrive: everybody stops trusting
        // it after round 1; p0 itself hears everyone but is not trusted back in
        // round 2, so it halts.
        let p = UIC(logic: logic, n: 4, t: 1)
        let drops = (1...2).flatMap { r in (1..<4).map { Link(round: r, from: 0, to: $0) } }
        let trace = try simulate(
            p, inputs: [0, 1, 2, 3], pattern: FailurePattern(faulty: ProcessSet([0]), drops: drops))
        let b = Concrete.bottomValue
        for q in 1..<4 {
            #expect(trace.decisions[q].decided)
            #expect(trace.decisions[q].value == [b, 1, 2, 3])
            #expect(trace.states[1][q].trusted == [false, true, true, true])
        }
        #expect(trace.states[2][0].halted)
        #expect(!trace.decisions[0].decided)
    }

    @Test func aFaultyProcessThatHearsTooFewHaltsAtOnce() throws {
        // n = 3, t = 1: p0 receives nothing in round 1 → |trusted| = 1 < n − t = 2.
        let p = UIC(logic: logic, n: 3, t: 1)
        let pattern = FailurePattern(
            faulty: ProcessSet([0]), drops: [Link(round: 1, from: 1, to: 0), Link(round: 1, from: 2, to: 0)])
        let trace = try simulate(p, inputs: [5, 6, 7], pattern: pattern)
        #expect(trace.states[1][0].halted)
        #expect(trace.states[1][0].view == Array(repeating: Concrete.bottomValue, count: 3))
        #expect(trace.decisions[1].value == [5, 6, 7])
        #expect(trace.decisions[2].value == [5, 6, 7])
    }

    @Test func withoutHaltingTheFaultyProcessDecidesALoneView() throws {
        let p = UIC(logic: logic, n: 3, t: 1, variant: .noHalting)
        let drops = (1...2).flatMap { r in [Link(round: r, from: 1, to: 0), Link(round: r, from: 2, to: 0)] }
        let trace = try simulate(p, inputs: [5, 6, 7], pattern: FailurePattern(faulty: ProcessSet([0]), drops: drops))
        let agreement = InteractiveConsistency.uniformAgreement() as Property<UIC<Concrete>>
        #expect(trace.violation(of: agreement, protocol: p) == 2)
        #expect(trace.decisions[0].value == [5, Concrete.bottomValue, Concrete.bottomValue])
    }

    @Test func tRoundsVariantRunsOneRoundLess() {
        #expect(UIC(logic: logic, n: 5, t: 2, variant: .tRounds).rounds == 2)
        #expect(UIC(logic: logic, n: 5, t: 2, rounds: 7).rounds == 7)
    }
}

@Suite(.timeLimit(.minutes(10))) struct FloodSetTests {
    /// DESIGN §3: n = 3, t = 1, p0 silent in round 1, reaches only p1 in round 2:
    /// p1 and p2 (both correct) decide different vectors.
    @Test func generalOmissionBreaksAgreementAmongCorrectProcesses() throws {
        let p = FloodSet(logic: Concrete(), n: 3, t: 1)
        let pattern = FailurePattern(
            faulty: ProcessSet([0]),
            drops: [Link(round: 1, from: 0, to: 1), Link(round: 1, from: 0, to: 2), Link(round: 2, from: 0, to: 2)])
        let trace = try simulate(p, inputs: [0, 1, 2], pattern: pattern)
        #expect(trace.decisions[1].value == [0, 1, 2])
        #expect(trace.decisions[2].value == [Concrete.bottomValue, 1, 2])
        let agreement = InteractiveConsistency.agreement() as Property<FloodSet<Concrete>>
        #expect(trace.violation(of: agreement, protocol: p) == 2)
    }

    @Test func theSameRunIsInadmissibleUnderCrashFailures() {
        let p = FloodSet(logic: Concrete(), n: 3, t: 1)
        let pattern = FailurePattern(
            faulty: ProcessSet([0]),
            drops: [Link(round: 1, from: 0, to: 1), Link(round: 1, from: 0, to: 2), Link(round: 2, from: 0, to: 2)])
        #expect(throws: PalsError.self) { try simulate(p, inputs: [0, 1, 2], pattern: pattern, model: .crash) }
    }
}

@Suite(.timeLimit(.minutes(10))) struct CatalogTests {
    @Test func smcSumInputsMustKeepEverySumInSixtyFourBits() throws {
        let sum = ModelSpec(protocolName: "smc", variant: "sum", n: 2, t: 0)
        for inputs in [[Int.max, 1], [Int.max, Int.max], [Int.min + 1, -2], [Int.max / 2 + 1, Int.max / 2 + 1]] {
            for variant in ["sum", "standard", "sum-unpadded", "sum-mismatched"] {
                var spec = sum
                spec.variant = variant
                #expect(throws: PalsError.self, "\(variant) \(inputs)") { try Catalog.checkInputs(spec, inputs) }
            }
        }
        // Partial sums too: a positive and a negative overflow cannot cancel.
        let three = ModelSpec(protocolName: "smc", variant: "sum", n: 3, t: 1)
        #expect(throws: PalsError.self) { try Catalog.checkInputs(three, [Int.max, 1, -5]) }
        try Catalog.checkInputs(sum, [Int.max, -1])
        try Catalog.checkInputs(sum, [Int.max / 2, Int.max / 2 + 1])
        try Catalog.checkInputs(three, [Int.min + 1, 0, Int.max])
        // Functions without arithmetic take any input.
        for f in ["max", "majority", "auction", "identity"] {
            try Catalog.checkInputs(ModelSpec(protocolName: "smc", variant: f, n: 2, t: 0), [Int.max, Int.max])
        }
        try Catalog.checkInputs(ModelSpec(protocolName: "uic", n: 2, t: 0), [Int.max, Int.max])
    }

    @Test func badSpecsAreClearErrors() {
        let bad: [(ModelSpec, String)] = [
            (ModelSpec(protocolName: "uic", n: 3, t: 3), "t = 3 is out of range"),
            (ModelSpec(protocolName: "uic", n: 65, t: 1), "n = 65 is out of range"),
            (ModelSpec(protocolName: "uic", n: 0, t: 0), "n = 0 is out of range"),
            (ModelSpec(protocolName: "paxos", n: 3, t: 1), "unknown protocol \"paxos\""),
            (ModelSpec(protocolName: "uic", variant: "fast", n: 3, t: 1), "unknown variant \"fast\""),
            (ModelSpec(protocolName: "uic", n: 3, t: -1), "out of range"),
        ]
        for (spec, text) in bad {
            #expect(throws: PalsError.self) { try Catalog.validate(spec) }
            do { try Catalog.validate(spec) } catch { #expect(error.message.contains(text), "\(error.message)") }
        }
    }
}
