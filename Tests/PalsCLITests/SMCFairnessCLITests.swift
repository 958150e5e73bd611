import Foundation
import PalsCore
import PalsTestSupport
import Testing

/// `pals check smc|fair-exchange`, `pals fairness` and `pals unobservability`
/// through the executable: verdicts, exact probabilities, counterexample
/// files, and bad input (one `error:` line, exit 2).
@Suite(.timeLimit(.minutes(10))) struct SMCFairnessCLITests {
    private func folder() throws -> String { try PalsRunner.temporaryDirectory().path }

    @Test(arguments: ["sum", "max", "majority", "auction", "identity"])
    func smcHoldsBelowHalfAndFailsAbove(function: String) throws {
        let out = try folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let holds = try PalsRunner.run([
            "check", "smc", "--function", function, "--n", "3", "--t", "1", "--out", out, "--json",
        ])
        #expect(holds.status == 0, "\(holds.stderr)")
        let fails = try PalsRunner.run([
            "check", "smc", "--function", function, "--n", "4", "--t", "2", "--out", out, "--json",
        ])
        #expect(fails.status == 1, "\(fails.stderr)")
        let j = try JSON.parse(fails.stdout)
        let path = try #require(j["counterexample"]?.stringValue)
        let replay = try PalsRunner.run(["replay", path, "--json"])
        #expect(replay.status == 1)
        #expect(try JSON.parse(replay.stdout)["stillViolated"]?.boolValue == true)
    }

    @Test func fairnessIsOneOverMForFakeRounds() throws {
        let out = try folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        for (n, t, M) in [(2, 1, 8), (2, 1, 1), (3, 1, 3), (3, 2, 4), (4, 2, 2)] {
            let r = try PalsRunner.run([
                "fairness", "--n", "\(n)", "--t", "\(t)", "--M", "\(M)", "--json", "--out", out,
            ])
            #expect(r.status == 0, "\(r.stderr)")
            let j = try JSON.parse(r.stdout)
            #expect(j["probability"]?.stringValue == (M == 1 ? "1" : "1/\(M)"), "n=\(n) t=\(t) M=\(M)")
            // The attaining pattern replays as a Fairness violation.
            let path = try #require(j["counterexample"]?.stringValue)
            let replay = try PalsRunner.run(["replay", path, "--json"])
            #expect(try JSON.parse(replay.stdout)["stillViolated"]?.boolValue == true, "\(path)")
        }
        let text = try PalsRunner.run(["fairness", "--n", "2", "--t", "1", "--M", "8", "--out", out])
        #expect(text.stdout.contains("worst-case P(unfair) = 1/8"))
        // No faulty process: nobody can be cheated.
        let none = try PalsRunner.run(["fairness", "--n", "3", "--t", "0", "--M", "4", "--json", "--out", out])
        #expect(try JSON.parse(none.stdout)["probability"]?.stringValue == "0")
    }

    @Test func deterministicFairnessIsZeroBelowHalf() throws {
        let out = try folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try PalsRunner.run([
            "fairness", "--n", "5", "--t", "2", "--mode", "deterministic", "--json", "--out", out,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try JSON.parse(r.stdout)["probability"]?.stringValue == "0")
        let e = try PalsRunner.run([
            "fairness", "--n", "4", "--t", "1", "--mode", "deterministic", "--json", "--engine", "explicit", "--out",
            out,
        ])
        #expect(try JSON.parse(e.stdout)["probability"]?.stringValue == "0")
        let above = try PalsRunner.run([
            "fairness", "--n", "3", "--t", "2", "--mode", "deterministic", "--json", "--out", out,
        ])
        #expect(try JSON.parse(above.stdout)["probability"]?.stringValue == "1")
    }

    @Test(arguments: ["explicit", "symbolic"])
    func leakyVariantsAreCaughtAndRealOnesPass(engine: String) throws {
        let out = try folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let cases: [([String], Int32)] = [
            (["smc", "--function", "sum", "--n", "3", "--t", "1"], 0),
            (["smc", "--function", "sum-unpadded", "--n", "3", "--t", "1"], 1),
            (["fair-exchange", "--mode", "fake-rounds", "--n", "3", "--t", "1", "--M", "3"], 0),
            (["fair-exchange", "--mode", "fake-rounds-leaky", "--n", "3", "--t", "1", "--M", "3"], 1),
        ]
        for (args, status) in cases {
            let r = try PalsRunner.run(["unobservability"] + args + ["--engine", engine, "--json", "--out", out])
            #expect(r.status == status, "\(args) \(engine): \(r.stderr)")
            guard status == 1 else { continue }
            let j = try JSON.parse(r.stdout)
            let property = try #require(j["properties"]?.arrayValue?.first)
            let path = try #require(property["counterexample"]?.stringValue)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.contains("inputsA") && text.contains("inputsB"))
            let replay = try PalsRunner.run(["unobservability", "--replay", path, "--json"])
            #expect(replay.status == 1, "\(path): \(replay.stderr)")
        }
    }

    @Test func smcPrivacyFailsFromHalfOn() throws {
        let out = try folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try PalsRunner.run([
            "unobservability", "smc", "--function", "auction", "--n", "2", "--t", "1", "--json", "--out", out,
        ])
        #expect(r.status == 1)
        let props = try #require(try JSON.parse(r.stdout)["properties"]?.arrayValue)
        #expect(props.map { $0["status"]?.stringValue } == ["holds", "violated"])
        let below = try PalsRunner.run([
            "unobservability", "smc", "--function", "auction", "--n", "3", "--t", "1", "--json", "--out", out,
        ])
        #expect(below.status == 0, "\(below.stdout)")
    }

    @Test func badInputIsOneErrorLineAndExitTwo() throws {
        let out = try folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let bad: [[String]] = [
            ["check", "smc", "--function", "median", "--n", "3", "--t", "1"],
            ["check", "fair-exchange", "--n", "3", "--t", "1", "--inputs", "1,2,3"],
            ["check", "fair-exchange", "--n", "7", "--t", "1"],
            ["check", "uic", "--function", "sum", "--n", "3", "--t", "1"],
            ["fairness", "--n", "2", "--t", "1", "--M", "0"],
            ["fairness", "--n", "2", "--t", "1", "--M", "64"],
            ["check", "fair-exchange", "--n", "2", "--t", "1", "--M=-3"],
            ["fairness", "--n", "9", "--t", "1"],
            ["fairness", "--n", "2", "--t", "2", "--M", "3"],
            ["fairness", "--n", "2", "--t", "1", "--M", "3", "--mode", "coin"],
            ["unobservability", "uic", "--n", "3", "--t", "1"],
            ["unobservability", "smc", "--n", "3", "--t", "1", "--values=-1"],
        ]
        for args in bad {
            let r = try PalsRunner.run(args + ["--out", out])
            #expect(r.status == 2, "\(args): \(r.stdout) \(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("error: "), "\(args): \(r.stderr)")
        }
    }
}

/// Every committed noninterference counterexample still shows two runs that
/// a faulty host tells apart.
@Suite(.timeLimit(.minutes(10))) struct CommittedNoninterferenceTests {
    static var files: [URL] {
        let dir = PalsRunner.repository.appendingPathComponent("counterexamples/noninterference")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test func thereAreCommittedFiles() {
        #expect(Self.files.count >= 4)
    }

    @Test(arguments: files)
    func replaysAndStillInterferes(file: URL) throws {
        let r = try PalsRunner.run(["unobservability", "--replay", file.path, "--json"])
        #expect(r.status == 1, "\(file.lastPathComponent): \(r.stderr)")
        #expect(try JSON.parse(r.stdout)["stillViolated"]?.boolValue == true)
    }
}
