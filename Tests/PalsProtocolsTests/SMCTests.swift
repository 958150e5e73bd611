import PalsCore
import PalsProtocols
import Testing

/// The SMC function registry and the SMC and fair-exchange state machines
/// on single runs of the reference semantics.
@Suite(.timeLimit(.minutes(10))) struct SMCFunctionTests {
    let l = Concrete()
    let bottom = Concrete.bottomValue

    @Test func fnv1aMatchesTheReferenceVectors() {
        // Published FNV-1a 64-bit test vectors.
        #expect(SMCFunction.fnv1a("") == 0xcbf2_9ce4_8422_2325)
        #expect(SMCFunction.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(SMCFunction.fnv1a("foobar") == 0x8594_4171_f739_67e8)
    }

    @Test func registryNamesAndDigestsAreDistinct() {
        let names = SMCFunction.registry.map(\.name)
        #expect(names == ["sum", "max", "majority", "auction", "identity"])
        #expect(Set(SMCFunction.registry.map(\.digest)).count == names.count)
        #expect(SMCFunction(name: "median") == nil)
        #expect(SMCFunction(.sum).digestHex.count == 16)
    }

    @Test func sumMaxMajority() {
        #expect(SMCFunction(.sum).apply(l, [1, bottom, 4]) == [5])
        #expect(SMCFunction(.sum).apply(l, [bottom, bottom]) == [0])
        #expect(SMCFunction(.max).apply(l, [3, bottom, 9, 2]) == [9])
        #expect(SMCFunction(.max).apply(l, [bottom, bottom]) == [bottom])
        #expect(SMCFunction(.majority).apply(l, [1, 0, 1]) == [1])
        // A tie is not a majority; ⊥ abstains; any non-zero vote is yes.
        #expect(SMCFunction(.majority).apply(l, [1, 0, bottom, 0, 7]) == [0])
        #expect(SMCFunction(.majority).apply(l, [2, bottom, bottom]) == [1])
    }

    @Test func secondPriceAuction() {
        // Highest bid wins, ties to the lowest index, pays the second-highest bid.
        #expect(SMCFunction(.auction).apply(l, [3, 7, 5, bottom]) == [1, 5])
        #expect(SMCFunction(.auction).apply(l, [3, 7, 7, bottom]) == [1, 7])
        #expect(SMCFunction(.auction).apply(l, [bottom, 4, bottom]) == [1, 0])
        #expect(SMCFunction(.auction).apply(l, [bottom, bottom]) == [bottom, bottom])
        #expect(SMCFunction(.identity).apply(l, [2, bottom]) == [2, bottom])
    }

    @Test func mismatchedSetupRefusesToStart() throws {
        let p = SMC(logic: l, n: 3, t: 1, variant: try #require(SMC<Concrete>.Variant(name: "sum-mismatched")))
        #expect(!p.setupAgrees)
        let trace = try simulate(p, inputs: [1, 2, 4], pattern: FailurePattern())
        #expect(trace.decisions.allSatisfy { !$0.decided })
        for property in SMC<Concrete>.properties(for: try #require(SMC<Concrete>.Variant(name: "sum-mismatched"))) {
            #expect(trace.violation(of: property, protocol: p) == nil, "\(property.name)")
        }
        // The same modules with one function each return F(D).
        let ok = SMC(logic: l, n: 3, t: 1, functions: Array(repeating: SMCFunction(.sum), count: 3))
        let run = try simulate(ok, inputs: [1, 2, 4], pattern: FailurePattern())
        #expect(run.decisions.allSatisfy { $0.decided && $0.value == [7, bottom, bottom] })
    }
}

@Suite(.timeLimit(.minutes(10))) struct FairExchangeTests {
    let l = Concrete()

    @Test func everyoneObtainsTheItemsWithoutFailures() throws {
        for mode in [FairExchange<Concrete>.Mode.deterministic, .fakeRounds] {
            let p = FairExchange(logic: l, n: 3, t: 1, mode: mode, M: 3)
            let inputs = FairExchange<Concrete>.matchingInputs(n: 3, rho: mode == .deterministic ? 0 : 2)
            let trace = try simulate(p, inputs: inputs, pattern: FailurePattern())
            #expect(trace.decisions.allSatisfy { $0.decided && $0.value == [1, 2, 3] }, "\(mode)")
        }
    }

    @Test func aMismatchMeansNobodyObtainsAnything() throws {
        for mode in [FairExchange<Concrete>.Mode.deterministic, .fakeRounds] {
            let p = FairExchange(logic: l, n: 3, t: 1, mode: mode, M: 3)
            var inputs = FairExchange<Concrete>.matchingInputs(n: 3, rho: mode == .deterministic ? 0 : 2)
            // p2 expects item 9 from p1, which offers 2.
            inputs[2] = FairExchange<Concrete>.encode(item: 3, expects: [1, 9, 3])
            let trace = try simulate(p, inputs: inputs, pattern: FailurePattern())
            #expect(trace.decisions.allSatisfy { $0.value.allSatisfy { $0 == Concrete.bottomValue } }, "\(mode)")
            for property in FairExchange<Concrete>.properties where property.kind != .sometimes {
                #expect(trace.violation(of: property, protocol: p) == nil, "\(mode) \(property.name)")
            }
        }
    }

    @Test func aDisruptionAtRoundRhoPlusOneIsUnfair() throws {
        let p = FairExchange(logic: l, n: 2, t: 1, mode: .fakeRounds, M: 4)
        let inputs = FairExchange<Concrete>.matchingInputs(n: 2, rho: 2)
        // p0 is faulty and withholds its round-3 status from p1: p1 aborts, p0 commits.
        let unfair = FailurePattern(faulty: ProcessSet([0]), drops: [Link(round: 3, from: 0, to: 1)])
        let trace = try simulate(p, inputs: inputs, pattern: unfair)
        #expect(trace.violation(of: FairExchange<Concrete>.fairness(), protocol: p) == p.rounds)
        #expect(
            trace.decisions[0].value == [1, 2] && trace.decisions[1].value.allSatisfy { $0 == Concrete.bottomValue })
        // One round earlier everybody aborts: fair.
        let early = FailurePattern(faulty: ProcessSet([0]), drops: [Link(round: 2, from: 0, to: 1)])
        let fair = try simulate(p, inputs: inputs, pattern: early)
        #expect(fair.violation(of: FairExchange<Concrete>.fairness(), protocol: p) == nil)
        #expect(fair.decisions.allSatisfy { $0.value.allSatisfy { $0 == Concrete.bottomValue } })
    }

    @Test func badInputsAreRejected() {
        #expect(FairExchange<Concrete>.inputProblem([1, 2, 3], n: 3, mode: .fakeRounds, M: 4) != nil)
        let ok = FairExchange<Concrete>.matchingInputs(n: 3, rho: 4)
        #expect(FairExchange<Concrete>.inputProblem(ok, n: 3, mode: .fakeRounds, M: 4) == nil)
        #expect(FairExchange<Concrete>.inputProblem(ok, n: 3, mode: .fakeRounds, M: 3) != nil)
    }
}
