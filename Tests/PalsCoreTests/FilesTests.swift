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

    @Test func aRepeatedKeyIsRefusedAtAnyDepth() throws {
        for text in [#"{"a":1,"a":2}"#, #"{"a":1,"b":{"c":[],"c":null}}"#, #"[{"x":1,"y":2,"x":1}]"#] {
            #expect(throws: PalsError.self, "\(text)") { try JSON.parse(text) }
        }
        #expect {
            try JSON.parse(#"{"n": 3, "n": 4}"#)
        } throws: { ($0 as? PalsError)?.message.contains("duplicate key \"n\"") == true }
        // The same key in sibling objects is not a repetition.
        #expect(
            try JSON.parse(#"[{"a":1},{"a":2}]"#) == .array([.object([("a", .int(1))]), .object([("a", .int(2))])]))
    }

    @Test func unsignedIntegersAboveIntMaxAreWrittenExactly() {
        #expect(JSON.unsigned(7) == .int(7))
        #expect(JSON.unsigned(UInt64.max).compact == "18446744073709551615")
        #expect(JSON.object([("seed", .unsigned(UInt64(Int.max) + 1))]).compact == #"{"seed":9223372036854775808}"#)
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
        let other = sample.text.replacingOccurrences(
            of: CounterexampleFile.schemaID, with: "trustedpals/counterexample/v9")
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

    @Test func optionalFieldsOfAnotherTypeOrRangeAreRefused() throws {
        let cases: [(String, String, String)] = [
            ("\"decisions\": [null, [0,1,2], [null,1,2]]", "\"decisions\": \"x\"", "\"decisions\""),
            ("\"decisions\": [null, [0,1,2], [null,1,2]]", "\"decisions\": [null]", "\"decisions\" has 1 entries"),
            ("\"violatedAfterRound\": 2", "\"violatedAfterRound\": -1", "violatedAfterRound = -1"),
            ("\"violatedAfterRound\": 2", "\"violatedAfterRound\": 3", "violatedAfterRound = 3"),
            ("\"violatedAfterRound\": 2", "\"violatedAfterRound\": null", "\"violatedAfterRound\""),
            ("\"violatedAfterRound\": 2,", "\"violatedAfterRound\": 2, \"engine\": [],", "\"engine\""),
            ("\"faultModel\": \"omission\"", "\"faultModel\": 0", "\"faultModel\""),
        ]
        for (from, to, message) in cases {
            let text = sample.text.replacingOccurrences(of: from, with: to)
            #expect(text != sample.text, "pattern \(from) not found in \(sample.text)")
            #expect {
                try CounterexampleFile.parse(text)
            } throws: { ($0 as? PalsError)?.message.contains(message) == true }
        }
        // Absent optional fields keep their defaults; null decisions are none.
        let bare = sample.text.replacingOccurrences(of: "\"violatedAfterRound\": 2,", with: "")
        #expect(bare != sample.text)
        let read = try CounterexampleFile.parse(bare)
        #expect(read.engine == "model" && read.violatedAfterRound == 2)
    }

    /// One name, one content: a run of the model does not record which
    /// engine found it; a backend's run says it is one.
    @Test func onlyBackendRunsNameTheirEngine() throws {
        #expect(!sample.text.contains("\"engine\""))
        var symbolic = sample
        symbolic.engine = "symbolic"
        #expect(symbolic.text == sample.text)
        var backend = sample
        backend.engine = "backend"
        #expect(backend.text.contains("\"engine\": \"backend\""))
        #expect(try CounterexampleFile.parse(backend.text).engine == "backend")
    }

    @Test func patternListsOfAnotherTypeAreRefused() throws {
        for text in [
            #"{"faulty":[0],"crashes":"x"}"#, #"{"faulty":[0],"drops":{}}"#, #"{"faulty":[0],"crashes":null}"#,
        ] {
            #expect(throws: PalsError.self, "\(text)") {
                try FailurePattern(json: try JSON.parse(text), what: "p.json")
            }
        }
        let p = try FailurePattern(json: try JSON.parse(#"{"faulty":[1]}"#), what: "p.json")
        #expect(p == FailurePattern(faulty: ProcessSet([1])))
    }
}
