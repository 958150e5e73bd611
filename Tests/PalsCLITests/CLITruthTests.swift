import Foundation
import PalsCore
import PalsTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The command line says what it does and does what it says, tried as a new
/// user would: help that names every protocol, options that are used or not
/// offered, ranges reported for negative numbers, no vacuous "holds",
/// output folders checked before a run, malformed files refused, files read
/// from a pipe, and errors that cannot rewrite the terminal. Every bad input
/// is one `error:` line and exit 2.
@Suite(.timeLimit(.minutes(10))) struct CLITruthTests {
    private func folder() throws -> URL { try PalsRunner.temporaryDirectory() }

    /// The `pals` executable's path, quoted for `/bin/sh -c`.
    private func palsCommand() throws -> String {
        let exe = try #require(PalsRunner.executable)
        return "'" + exe.path.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// A valid counterexample file (uic/no-halting at n = 3, t = 1), as the
    /// explicit engine writes it.
    private static let counterexample = """
        {
          "schema": "trustedpals/counterexample/v1",
          "protocol": "uic",
          "variant": "no-halting",
          "n": 3,
          "t": 1,
          "rounds": 2,
          "faultModel": "omission",
          "property": "UniformAgreement",
          "violatedAfterRound": 2,
          "engine": "explicit",
          "inputs": [0, 1, 2],
          "faulty": [0],
          "crashes": [],
          "drops": [{"round":1,"from":0,"to":1}, {"round":1,"from":0,"to":2}],
          "decisions": [[0,1,2], [null,1,2], [null,1,2]]
        }

        """

    /// Exit 2 and one error line that mentions `mentions`.
    private func expectUsageError(_ r: PalsRunner.Outcome, mentions: String, _ what: String) {
        #expect(r.status == 2, "\(what): exit \(r.status), stderr \(r.stderr)")
        #expect(r.stderr.contains(mentions), "\(what): \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].lowercased().hasPrefix("error: "), "\(what): \(r.stderr)")
    }

    // MARK: - Help and options that tell the truth

    @Test func helpNamesEveryProtocolTheCommandsRun() throws {
        for command in ["bounds", "simulate"] {
            let help = try PalsRunner.run([command, "--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("uic, floodset, smc or fair-exchange"), "\(command) --help: \(help.stdout)")
        }
        // They do run: smc by --function (the same as --variant), and fair-exchange.
        let smc = try PalsRunner.run(["simulate", "smc", "--n", "3", "--t", "1", "--function", "sum", "--json"])
        #expect(smc.status == 0, "\(smc.stderr)")
        // Default smc inputs 1, 2, 4: every module decides F = sum = 7.
        #expect(
            try JSON.parse(smc.stdout)["decisions"]
                == .array(Array(repeating: .array([.int(7), .null, .null]), count: 3)))
        let same = try PalsRunner.run(["simulate", "smc", "--n", "3", "--t", "1", "--variant", "sum", "--json"])
        #expect(same.stdout == smc.stdout)
        let fe = try PalsRunner.run(["simulate", "fair-exchange", "--n", "2", "--t", "1", "--json"])
        #expect(fe.status == 0, "\(fe.stderr)")
    }

    @Test func backendTakesItsProtocolAsAnArgumentLikeEveryCommand() throws {
        let pals = try palsCommand()
        for serve in ["backend uic", "backend --protocol-name uic", "backend"] {
            let r = try PalsRunner.run([
                "test-backend", "uic", "--cmd", "\(pals) \(serve)", "--n", "3", "--t", "1", "--runs", "5",
            ])
            #expect(r.status == 0, "\(serve): \(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("every run passed"), "\(serve): \(r.stdout)")
        }
        expectUsageError(try PalsRunner.run(["backend", "floodset"]), mentions: "floodset", "backend floodset")
        expectUsageError(
            try PalsRunner.run(["backend", "uic", "--protocol-name", "floodset"]), mentions: "give the protocol once",
            "two different protocols")
    }

    @Test func unobservabilityOffersOnlyTheOptionsItUses() throws {
        let help = try PalsRunner.run(["unobservability", "--help"])
        #expect(help.status == 0)
        for ignored in ["--symmetry", "--faults"] {
            #expect(!help.stdout.contains(ignored), "unobservability --help offers \(ignored)")
            let r = try PalsRunner.run(
                ["unobservability", "smc", "--n", "3", "--t", "1", ignored] + (ignored == "--symmetry" ? [] : ["crash"])
            )
            #expect(r.status == 2, "\(ignored) accepted: \(r.stdout)")
        }
        for used in ["--engine", "--timeout", "--threads", "--values", "--M", "--function", "--mode", "--max-memory"] {
            #expect(help.stdout.contains(used), "unobservability --help lacks \(used)")
        }
        // The explicit engine's memory budget (SearchStopTests), checked like everywhere else.
        let badBudget = try PalsRunner.run(["unobservability", "smc", "--n", "3", "--t", "1", "--max-memory", "crash"])
        #expect(badBudget.status == 2)
        #expect(badBudget.stderr.contains("--max-memory"), "\(badBudget.stderr)")
    }

    @Test func replayPointsANoninterferenceFileToUnobservability() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let leak = try PalsRunner.run([
            "unobservability", "smc", "--function", "sum-unpadded", "--n", "3", "--t", "1", "--json", "--out", dir.path,
        ])
        #expect(leak.status == 1, "\(leak.stderr)")
        let property = try #require(try JSON.parse(leak.stdout)["properties"]?.arrayValue?.first)
        let path = try #require(property["counterexample"]?.stringValue)
        let replay = try PalsRunner.run(["replay", path])
        expectUsageError(replay, mentions: "unobservability --replay \(path)", "replay of a noninterference file")
        #expect(replay.stdout.isEmpty)
        // The command it names does replay it.
        #expect(try PalsRunner.run(["unobservability", "--replay", path]).status == 1)
    }

    // MARK: - Defaults and ranges

    @Test func fairnessDefaultsMLikeEveryOtherCommand() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try PalsRunner.run(["fairness", "--n", "2", "--t", "1", "--json", "--out", dir.path])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try JSON.parse(r.stdout)
        #expect(j["M"] == .int(4))
        #expect(j["probability"]?.stringValue == "1/4")
        let explicit = try PalsRunner.run(["fairness", "--n", "2", "--t", "1", "--M", "4", "--json", "--out", dir.path])
        #expect(try JSON.parse(explicit.stdout)["probability"] == j["probability"])
        // The default does not hide a range error.
        expectUsageError(
            try PalsRunner.run(["fairness", "--n", "9", "--t", "1", "--out", dir.path]), mentions: "n = 9",
            "fairness --n 9")
        expectUsageError(
            try PalsRunner.run(["fairness", "--n", "3", "--t", "3", "--out", dir.path]), mentions: "t = 3",
            "fairness --t 3")
    }

    @Test func negativeNumbersGetTheRangeErrorNotAMissingValue() throws {
        let cases: [([String], String)] = [
            (["check", "uic", "--n", "-1", "--t", "1"], "n = -1 is out of range"),
            (["check", "uic", "--n", "3", "--t", "-1"], "t = -1 is out of range"),
            (["simulate", "uic", "--n", "-2", "--t", "0"], "n = -2 is out of range"),
            (["fairness", "--n", "2", "--t", "1", "--M", "-3"], "M = -3 is out of range"),
            (["bounds", "uic", "--n", "-1...3"], "-1...3"),
            (["check", "uic", "--n", "3", "--t", "1", "--threads", "-2"], "--threads must be 1…256, got -2"),
            (["simulate", "uic", "--n", "3", "--t", "1", "--inputs", "-1,2"], "--inputs has 2 values but n = 3"),
        ]
        for (args, message) in cases {
            let r = try PalsRunner.run(args)
            expectUsageError(r, mentions: message, args.joined(separator: " "))
            #expect(!r.stderr.contains("Missing value"), "\(args): \(r.stderr)")
            // The same as the `--option=value` spelling.
            var joined: [String] = []
            var k = 0
            while k < args.count {
                if args[k].hasPrefix("--"), k + 1 < args.count, args[k + 1].hasPrefix("-"), !args[k + 1].hasPrefix("--")
                {
                    joined.append(args[k] + "=" + args[k + 1])
                    k += 2
                } else {
                    joined.append(args[k])
                    k += 1
                }
            }
            #expect(try PalsRunner.run(joined).stderr == r.stderr, "\(joined)")
        }
        // A negative input is an input: simulate runs with it.
        let negative = try PalsRunner.run(["simulate", "uic", "--n", "2", "--t", "0", "--inputs", "-1,2", "--json"])
        #expect(negative.status == 0, "\(negative.stderr)")
        #expect(
            try JSON.parse(negative.stdout)["decisions"]
                == .array([.array([.int(-1), .int(2)]), .array([.int(-1), .int(2)])]))
    }

    @Test func unobservabilityRefusesFewerThanTwoDistinctValues() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        for values in ["1", "5,5", "7,7,7"] {
            let r = try PalsRunner.run([
                "unobservability", "smc", "--function", "sum-unpadded", "--n", "3", "--t", "1", "--values", values,
                "--out", dir.path,
            ])
            expectUsageError(r, mentions: "at least two distinct values", "--values \(values)")
            #expect(!r.stdout.contains("holds"), "--values \(values): \(r.stdout)")
        }
        // Two values are a real check: the leaky variant is caught.
        let two = try PalsRunner.run([
            "unobservability", "smc", "--function", "sum-unpadded", "--n", "3", "--t", "1", "--values", "1,70000",
            "--out", dir.path,
        ])
        #expect(two.status == 1, "\(two.stdout) \(two.stderr)")
        // Values whose sums leave the 64-bit integers are refused, not wrapped.
        let huge = try PalsRunner.run([
            "unobservability", "smc", "--n", "3", "--t", "1", "--values", "0,9223372036854775807", "--engine",
            "symbolic", "--out", dir.path,
        ])
        expectUsageError(huge, mentions: "too large", "huge --values")
    }

    // MARK: - Output checked before the run

    @Test func unwritableOutputFailsBeforeTheRun() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pals = try palsCommand()
        // A peer whose log cannot be written stops before it connects.
        let keys = dir.appendingPathComponent("keys").path
        #expect(try PalsRunner.run(["keygen", "--n", "3", "--out", keys]).status == 0)
        let peer = try PalsRunner.run([
            "peer", "uic", "--n", "3", "--t", "1", "--id", "0", "--roster", keys + "/roster.json", "--input", "1",
            "--session", "0123456789abcdef", "--log", "/nonexistent/dir/log.json",
        ])
        expectUsageError(peer, mentions: "--log /nonexistent/dir/log.json", "peer --log")
        #expect(peer.stdout.isEmpty)
        // A failing backend and a failing campaign: --out is named, exit 2,
        // and nothing runs (no report on stdout).
        let file = dir.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        for out in ["/dev/null", file.path, file.path + "/below"] {
            let backend = try PalsRunner.run([
                "test-backend", "uic", "--cmd", "\(pals) backend uic --variant no-halting", "--n", "5", "--t", "2",
                "--runs", "50", "--out", out,
            ])
            expectUsageError(backend, mentions: "--out \(out)", "test-backend --out \(out)")
            #expect(backend.stdout.isEmpty, "\(backend.stdout)")
            let campaign = try PalsRunner.run([
                "campaign", "uic", "--n", "3", "--t", "1", "--variant", "no-halting", "--runs", "50", "--out", out,
            ])
            expectUsageError(campaign, mentions: "--out \(out)", "campaign --out \(out)")
            #expect(campaign.stdout.isEmpty, "\(campaign.stdout)")
            let check = try PalsRunner.run([
                "check", "uic", "--variant", "no-halting", "--n", "3", "--t", "1", "--out", out,
            ])
            expectUsageError(check, mentions: "--out \(out)", "check --out \(out)")
        }
        // A command that writes only on a violation still runs in a
        // read-only working folder; one that writes refuses before its run.
        let readOnly = dir.appendingPathComponent("read-only")
        try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true)
        #expect(chmod(readOnly.path, 0o555) == 0)
        defer { _ = chmod(readOnly.path, 0o755) }
        let holds = try PalsRunner.run(["check", "uic", "--n", "3", "--t", "1"], in: readOnly)
        #expect(holds.status == 0, "\(holds.stderr)")
        if access(readOnly.path, W_OK) != 0 {  // not when the tests run as root
            let refused = try PalsRunner.run(
                [
                    "campaign", "uic", "--n", "3", "--t", "1", "--variant", "no-halting", "--runs", "50", "--out",
                    readOnly.path + "/x",
                ])
            expectUsageError(
                refused, mentions: "cannot write into \(readOnly.path)", "campaign into a read-only folder")
            #expect(refused.stdout.isEmpty)
        }
        // A folder that does not exist yet is fine: it is made when needed.
        let fresh = dir.appendingPathComponent("new/folder").path
        let made = try PalsRunner.run([
            "campaign", "uic", "--n", "3", "--t", "1", "--variant", "no-halting", "--runs", "50", "--out", fresh,
        ])
        #expect(made.status == 1, "\(made.stderr)")
        #expect(made.stdout.contains("saved: \(fresh)/"), "\(made.stdout)")
    }

    @Test func aBackendCounterexampleAsksForTheBackend() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pals = try palsCommand()
        let broken = "\(pals) backend uic --variant no-halting"
        let r = try PalsRunner.run([
            "test-backend", "uic", "--cmd", broken, "--n", "5", "--t", "2", "--runs", "500", "--seed", "1", "--out",
            dir.path,
        ])
        #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }
        let name = try #require(files.first)
        let path = dir.appendingPathComponent(name).path
        let model = try PalsRunner.run(["replay", path])
        expectUsageError(model, mentions: "--backend", "replay of a backend counterexample")
        #expect(!model.stderr.contains("has no property"), "\(model.stderr)")
        #expect(try PalsRunner.run(["replay", path, "--backend", broken]).status == 1)
    }

    // MARK: - Accepted silently before

    @Test func optionsThatMeantNothingAreRefused() throws {
        expectUsageError(
            try PalsRunner.run(["check", "uic", "--n", "3", "--t", "1", "--threads", "0"]), mentions: "--threads",
            "--threads 0")
        expectUsageError(
            try PalsRunner.run(["fairness", "--n", "2", "--t", "1", "--threads", "0"]), mentions: "--threads",
            "fairness --threads 0")
        expectUsageError(
            try PalsRunner.run(["unobservability", "smc", "--n", "3", "--t", "1", "--threads", "0"]),
            mentions: "--threads",
            "unobservability --threads 0")
        expectUsageError(
            try PalsRunner.run(["cluster", "uic", "--n", "3", "--t", "1", "--kill-after", "100"]),
            mentions: "--kill-after needs --kill",
            "--kill-after without --kill")
    }

    @Test func campaignTakesAdversaryNoneAndPrintsItsSeedUnsigned() throws {
        let none = try PalsRunner.run([
            "campaign", "uic", "--n", "3", "--t", "1", "--runs", "5", "--adversary", "none", "--json",
        ])
        #expect(none.status == 0, "\(none.stderr)")
        let j = try JSON.parse(none.stdout)
        #expect(j["adversary"]?.stringValue == "none")
        #expect(j["injected"] == .object([("faulty", .int(0)), ("crashes", .int(0)), ("drops", .int(0))]))
        let seed = try PalsRunner.run([
            "campaign", "uic", "--n", "3", "--t", "1", "--runs", "3", "--seed", "18446744073709551615", "--json",
        ])
        #expect(seed.status == 0, "\(seed.stderr)")
        #expect(seed.stdout.contains("\"seed\":18446744073709551615,"), "\(seed.stdout)")
        let small = try PalsRunner.run([
            "campaign", "uic", "--n", "3", "--t", "1", "--runs", "3", "--seed", "7", "--json",
        ])
        #expect(try JSON.parse(small.stdout)["seed"] == .int(7))
    }

    @Test func smcSumsThatWouldWrapAreRefused() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let max = "9223372036854775807"
        let cases: [[String]] = [
            ["simulate", "smc", "--n", "2", "--t", "0", "--inputs", "\(max),\(max)"],
            ["check", "smc", "--n", "2", "--t", "0", "--inputs", "\(max),1", "--out", dir.path],
            [
                "check", "smc", "--n", "2", "--t", "0", "--inputs", "\(max),1", "--engine", "symbolic", "--out",
                dir.path,
            ],
            ["check", "smc", "--n", "3", "--t", "1", "--inputs", "-9223372036854775807,-5,0", "--out", dir.path],
            [
                "cluster", "smc", "--n", "2", "--t", "0", "--inputs", "\(max),1", "--out",
                dir.appendingPathComponent("c").path,
            ],
        ]
        for args in cases {
            let r = try PalsRunner.run(args)
            expectUsageError(r, mentions: "too large for F = sum", args.joined(separator: " "))
            #expect(r.stdout.isEmpty, "\(args): \(r.stdout)")
        }
        // Sums that fit are computed exactly, and other functions take any input.
        let fits = try PalsRunner.run(["simulate", "smc", "--n", "2", "--t", "0", "--inputs", "\(max),-1", "--json"])
        #expect(fits.status == 0, "\(fits.stderr)")
        #expect(try JSON.parse(fits.stdout)["decisions"]?.arrayValue?.first == .array([.int(Int.max - 1), .null]))
        let maxF = try PalsRunner.run([
            "simulate", "smc", "--function", "max", "--n", "2", "--t", "0", "--inputs", "\(max),\(max)", "--json",
        ])
        #expect(maxF.status == 0, "\(maxF.stderr)")
    }

    // MARK: - Files

    @Test(arguments: [
        ("\"decisions\": [[0,1,2], [null,1,2], [null,1,2]]", "\"decisions\": \"x\"", "\"decisions\""),
        ("\"violatedAfterRound\": 2", "\"violatedAfterRound\": -1", "violatedAfterRound = -1"),
        ("\"violatedAfterRound\": 2", "\"violatedAfterRound\": \"2\"", "\"violatedAfterRound\""),
        ("\"engine\": \"explicit\"", "\"engine\": 3", "\"engine\""),
        ("\"faultModel\": \"omission\"", "\"faultModel\": 1", "\"faultModel\""),
        ("\"n\": 3,", "\"n\": 3, \"n\": 4,", "duplicate key \"n\""),
        ("\"decisions\": [[0,1,2], [null,1,2], [null,1,2]]", "\"decisions\": [[0,1,2]]", "\"decisions\" has 1 entries"),
    ])
    func malformedCounterexampleFieldsAreRejected(field: String, replacement: String, message: String) throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.json")
        try Data(Self.counterexample.utf8).write(to: good)
        #expect(try PalsRunner.run(["replay", good.path]).status == 1)
        let text = Self.counterexample.replacingOccurrences(of: field, with: replacement)
        #expect(text != Self.counterexample)
        let bad = dir.appendingPathComponent("bad.json")
        try Data(text.utf8).write(to: bad)
        let r = try PalsRunner.run(["replay", bad.path])
        expectUsageError(r, mentions: message, replacement)
        #expect(r.stderr.hasPrefix("error: \(bad.path): "), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func malformedPatternAndNoninterferenceFieldsAreRejected() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pattern = dir.appendingPathComponent("pattern.json")
        try Data(#"{"faulty":[0],"crashes":"x","drops":[]}"#.utf8).write(to: pattern)
        expectUsageError(
            try PalsRunner.run(["simulate", "uic", "--n", "3", "--t", "1", "--pattern", pattern.path]),
            mentions: "\"crashes\"",
            "crashes of another type")
        try Data(#"{"faulty":[0],"crashes":[],"drops":{"round":1}}"#.utf8).write(to: pattern)
        expectUsageError(
            try PalsRunner.run(["simulate", "uic", "--n", "3", "--t", "1", "--pattern", pattern.path]),
            mentions: "\"drops\"",
            "drops of another type")
        // A noninterference file whose fields are of the wrong type.
        let leak = try PalsRunner.run([
            "unobservability", "smc", "--function", "sum-unpadded", "--n", "3", "--t", "1", "--json", "--out", dir.path,
        ])
        let property = try #require(try JSON.parse(leak.stdout)["properties"]?.arrayValue?.first)
        let path = try #require(property["counterexample"]?.stringValue)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let mutations: [(String, String)] = [
            ("\"inputsA\": [", "\"inputsA\": [\"x\", "),
            ("\"faulty\": [", "\"faulty\": [\"x\", "),
            ("\"schema\"", "\"n\": 3, \"schema\""),
        ]
        for (field, replacement) in mutations {
            let mutated = text.replacingOccurrences(of: field, with: replacement)
            #expect(mutated != text, "\(field) not in \(text)")
            let bad = dir.appendingPathComponent("bad.json")
            try Data(mutated.utf8).write(to: bad)
            let r = try PalsRunner.run(["unobservability", "--replay", bad.path])
            #expect(r.status == 2, "\(replacement): exit \(r.status) \(r.stdout) \(r.stderr)")
            #expect(r.stderr.hasPrefix("error: "), "\(r.stderr)")
        }
    }

    @Test func filesCanBePipedThroughStandardInput() throws {
        let input = Data(Self.counterexample.utf8)
        let piped = try PalsRunner.run(["replay", "/dev/stdin", "--json"], input: input)
        #expect(piped.status == 1, "\(piped.stderr)")
        let j = try JSON.parse(piped.stdout)
        #expect(j["stillViolated"] == .bool(true))
        #expect(j["decisionsMatchFile"] == .bool(true))
        // A pattern piped to simulate.
        let pattern = try PalsRunner.run(
            [
                "simulate", "uic", "--variant", "no-halting", "--n", "3", "--t", "1", "--pattern", "/dev/stdin",
                "--json",
            ], input: input)
        #expect(pattern.status == 1, "\(pattern.stderr)")
        // Empty standard input is an error, not a hang.
        let empty = try PalsRunner.run(["replay", "/dev/stdin"])
        #expect(empty.status == 2, "\(empty.stderr)")
    }

    @Test func controlCharactersInErrorsAreEscaped() throws {
        let name = "evil\u{202E}gpj.json\u{1B}[31m"
        let r = try PalsRunner.run(["replay", name])
        #expect(r.status == 2)
        #expect(r.stderr.contains("evil\\u{202E}gpj.json\\u{1B}[31m"), "\(r.stderr)")
        #expect(!r.stderr.unicodeScalars.contains("\u{202E}") && !r.stderr.unicodeScalars.contains("\u{1B}"))
        // The argument parser's own messages too.
        let parser = try PalsRunner.run(["check", "uic", "--n", "3", "--t", "1", "\u{202E}x"])
        #expect(parser.status == 2)
        #expect(parser.stderr.contains("\\u{202E}x"), "\(parser.stderr)")
        #expect(!parser.stderr.unicodeScalars.contains("\u{202E}"))
    }
}
