import Foundation
import PalsCore
import PalsProtocols
import Testing

@Suite(.timeLimit(.minutes(10))) struct ITFTests {
    let logic = Concrete()

    /// A run with a crash, a crash before deciding, drops and ⊥ in decisions.
    func sample() throws -> (UIC<Concrete>, CounterexampleFile) {
        let p = UIC(logic: logic, n: 4, t: 2)
        let pattern = FailurePattern(
            faulty: ProcessSet([0, 1]), crashes: [Crash(process: 0, round: 4), Crash(process: 1, round: 3)],
            drops: [Link(round: 1, from: 0, to: 2), Link(round: 1, from: 0, to: 3), Link(round: 2, from: 1, to: 2)])
        let trace = try simulate(p, inputs: [5, 6, 7, 8], pattern: pattern)
        let cx = CounterexampleFile(
            protocolName: "uic", variant: "standard", n: 4, t: 2, rounds: p.rounds, inputs: [5, 6, 7, 8],
            pattern: pattern, property: "Validity", violatedAfterRound: 3,
            decisions: CounterexampleFile.decisions(trace.decisions), engine: "explicit")
        return (p, cx)
    }

    @Test func aCounterexampleSurvivesTheRoundTripThroughITF() throws {
        let (p, cx) = try sample()
        let trace = try simulate(p, inputs: cx.inputs, pattern: cx.pattern)
        let text = ITFTrace.of(trace, protocol: p, t: cx.t, header: cx.itfHeader).json.pretty
        let back = try CounterexampleFile.read(text, what: "itf")
        #expect(back == cx)
    }

    @Test func everyStateHoldsEveryVariableInITFEncodings() throws {
        let (p, cx) = try sample()
        let trace = try simulate(p, inputs: cx.inputs, pattern: cx.pattern)
        let j = ITFTrace.of(trace, protocol: p, t: cx.t, header: cx.itfHeader).json
        let vars = try #require(j["vars"]?.arrayValue).compactMap(\.stringValue)
        #expect(vars == ["round", "input", "faulty", "crashed", "view", "trusted", "halted", "decision"])
        #expect(j["params"]?.arrayValue?.compactMap(\.stringValue) == ["n", "t"])
        let states = try #require(j["states"]?.arrayValue)
        #expect(states.count == p.rounds + 1)
        for (k, s) in states.enumerated() {
            for v in vars + ["n", "t"] { #expect(s[v] != nil, "state \(k) lacks \(v)") }
            #expect(s["#meta"]?["index"]?.intValue == k)
            #expect(s["round"]?["#bigint"]?.stringValue == String(k))
            #expect(s["faulty"]?["#set"]?.arrayValue?.count == 2)
        }
        // Round 1: p0's messages to p2 and p3 dropped, everything else among
        // the four delivered (16 − 2).
        let meta1 = try #require(states[1]["#meta"])
        #expect(meta1["dropped"]?.arrayValue?.count == 2)
        #expect(meta1["delivered"]?.arrayValue?.count == 14)
        // p1 crashes in round 3; p0 before deciding.
        #expect(states[3]["#meta"]?["crashedInRound"]?.arrayValue == [.int(1)])
        #expect(states[3]["#meta"]?["crashedBeforeDeciding"]?.arrayValue == [.int(0)])
        // ⊥ is {}, a value v is {v}.
        let view0 = try ITFValue(json: try #require(states[0]["view"]), what: "view")
        let p2 = try #require(view0.pairs?[2].1.elements)
        #expect(p2[2] == .option(7))
        #expect(p2[0] == .option(nil))
    }

    @Test func damagedITFIsRefusedWithAReason() throws {
        let (p, cx) = try sample()
        let trace = try simulate(p, inputs: cx.inputs, pattern: cx.pattern)
        let good = ITFTrace.of(trace, protocol: p, t: cx.t, header: cx.itfHeader).json.compact
        let cases: [(String, String)] = [
            (good.replacingOccurrences(of: "trustedpals/itf/v1", with: "other/v9"), "#meta.format"),
            (good.replacingOccurrences(of: "{\"#bigint\":\"4\"}", with: "{\"#bigint\":\"four\"}"), "#bigint"),
            (good.replacingOccurrences(of: "\"dropped\":[[0,2]", with: "\"dropped\":[[0,9]"), "malformed link"),
            (good.replacingOccurrences(of: "\"crashedInRound\":[1]", with: "\"crashedInRound\":[7]"), "does not exist"),
        ]
        for (text, reason) in cases {
            #expect(text != good, "the damage was not applied for \(reason)")
            do {
                _ = try CounterexampleFile.read(text, what: "x.itf.json")
                Issue.record("accepted a trace with a bad \(reason)")
            } catch {
                #expect(error.message.contains(reason), "\(error.message)")
            }
        }
    }

    @Test func fairExchangeAndFloodSetStatesDescribeThemselves() throws {
        let fx = FairExchange(logic: logic, n: 3, t: 1, mode: .fakeRounds, M: 2)
        let inputs = FairExchange<Concrete>.matchingInputs(n: 3, rho: 1)
        let ft = try simulate(fx, inputs: inputs, pattern: .none)
        let names = fx.itfFields(ft.states[0][0]).map(\.name)
        #expect(names == ["items", "rho", "aborted", "committed", "uicView", "uicTrusted", "uicHalted"])
        let fs = FloodSet(logic: logic, n: 3, t: 1)
        let st = try simulate(fs, inputs: [1, 2, 3], pattern: .none)
        #expect(fs.itfFields(st.states[2][1]).map(\.name) == ["view"])
        #expect(fs.itfFields(st.states[2][1])[0].value == .list([.option(1), .option(2), .option(3)]))
    }
}
