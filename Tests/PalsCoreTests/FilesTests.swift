import Foundation
import PalsCore
import Testing

@Suite(.timeLimit(.minutes(10))) struct JSONTests {
    @Test func roundTrip() throws {
        let v = JSON.object([
            ("a", .int(-3)), ("b", .array([.null, .bool(true), .string("x\"y\n\u{1}")])), ("c", .double(0.25)),
            ("d", .object([])),
        ])
        #expect(try JSON.parse(v.compact) == v)
        #expect(try JSON.parse(v.pretty) == v)
        #expect(v.compact == #"{"a":-3,"b":[null,true,"x\"y\n\u0001"],"c":0.25,"d":{}}"#)
    }

    @Test func malformedInputIsAnErrorNotACrash() {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "1 2", "{\"a\":1,}", "[\"\\x\"]", "-", "[01e]"] {
            #expect(throws: PalsError.self, "\(text)") { try JSON.parse(text) }
        }
        let deep = String(repeating: "[", count: 10_000)
        #expect(throws: PalsError.self) { try JSON.parse(deep) }
    }
}

@Suite(.timeLimit(.minutes(10))) struct CounterexampleFileTests {
    let sample = CounterexampleFile(
        protocolName: "uic", variant: "standard", n: 3, t: 1, rounds: 2, inputs: [0, 1, 2],
        pattern: FailurePattern(
            faulty: ProcessSet([0]), crashes: [Crash(process: 0, round: 3)], drops: [Link(round: 1, from: 0, to: 1)]),
        property: "UniformAgreement", violatedAfterRound: 2, decisions: [nil, [0, 1, 2], [nil, 1, 2]],
        engine: "explicit")

    @Test func writesAndReadsBack() throws {
        let back = try CounterexampleFile.parse(sample.text)
        #expect(back == sample)
        #expect(sample.text == back.text)
        #expect(sample.suggestedFileName == "uic-standard-n3-t1-r2-UniformAgreement.json")
    }

    @Test func otherSchemaVersionsAreRefused() throws {
        let other = sample.text.replacingOccurrences(of: CounterexampleFile.schemaID, with: "trustedpals/counterexample/v9")
        #expect {
            try CounterexampleFile.parse(other)
        } throws: { ($0 as? PalsError)?.kind == .unsupportedSchema }
    }

    @Test func missingOrMistypedFieldsAreNamed() {
        let cases: [(String, String)] = [
            ("\"n\": 3", "\"n\": \"three\""), ("\"inputs\": [0, 1, 2]", "\"inputs\": 5"),
            ("\"property\": \"UniformAgreement\",", ""), ("\"t\": 1", "\"t\": 3"),
        ]
        for (from, to) in cases {
            let text = sample.text.replacingOccurrences(of: from, with: to)
            #expect(text != sample.text, "pattern \(from) not found")
            #expect(throws: PalsError.self) { try CounterexampleFile.parse(text) }
        }
    }
}

