import Foundation
import PalsCore
import PalsTestSupport
import Testing

/// `--function PATH.wasm` through the executable: check, replay (refusing
/// another digest), simulate, unobservability, the runtime, `pals function
/// inspect|check`, and bad modules (one line naming the rule, exit 2).
@Suite(.timeLimit(.minutes(10))) struct FunctionCLITests {
    static let functions: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("examples/functions").path
    }()

    func wasm(_ name: String) -> String { Self.functions + "/" + name + ".wasm" }

    @Test func checkHoldsBelowHalfFailsAboveAndReplays() throws {
        let out = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let f = wasm("median")
        let holds = try PalsRunner.run([
            "check", "smc", "--function", f, "--n", "4", "--t", "1", "--out", out.path, "--json",
        ])
        #expect(holds.status == 0, "\(holds.stderr)")
        let hj = try JSON.parse(holds.stdout)
        #expect(hj["verdict"]?.stringValue == "holds")
        #expect(hj["variant"]?.stringValue?.hasPrefix("wasm:") == true)
        let fails = try PalsRunner.run([
            "check", "smc", "--function", f, "--n", "4", "--t", "2", "--out", out.path, "--json",
        ])
        #expect(fails.status == 1, "\(fails.stderr)")
        let path = try #require(try JSON.parse(fails.stdout)["counterexample"]?.stringValue)
        let file = try CounterexampleFile.parse(try String(contentsOfFile: path, encoding: .utf8))
        #expect(file.function?.path == f)
        #expect(file.function.map { "wasm:" + $0.sha256 } == file.variant)
        let replay = try PalsRunner.run(["replay", path, "--json"])
        #expect(replay.status == 1, "\(replay.stderr)")
        #expect(try JSON.parse(replay.stdout)["stillViolated"]?.boolValue == true)
        // Another module: refused.
        let other = try PalsRunner.run(["replay", path, "--function", wasm("max")])
        #expect(other.status == 2)
        #expect(other.stderr.contains("refusing to replay with another F"), "\(other.stderr)")
    }

    @Test func symbolicEngineChecksTheUICLayerAndSaysSo() throws {
        let out = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try PalsRunner.run([
            "check", "smc", "--function", wasm("median"), "--n", "3", "--t", "1", "--engine", "symbolic", "--out",
            out.path,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("was not interpreted"))
    }

    @Test func aFailingFIsItsOwnVerdict() throws {
        let out = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        // Traps on ⊥: at t = 1 a faulty process may be missing from D.
        let r = try PalsRunner.run([
            "check", "smc", "--function", wasm("bad/trap_bottom"), "--n", "3", "--t", "1", "--out", out.path, "--json",
        ])
        #expect(r.status == 1, "\(r.stderr)")
        let j = try JSON.parse(r.stdout)
        #expect(j["verdict"]?.stringValue == "F failed")
        let props = j["properties"]?.arrayValue ?? []
        let status = { (name: String) in props.first { $0["name"]?.stringValue == name }?["status"]?.stringValue }
        #expect(status("FDefined") == "F failed")
        #expect(status("SMCAgreement") == "holds")
        #expect(status("SMCTermination") == "holds")
        let total = try PalsRunner.run(["function", "check", wasm("bad/trap_bottom"), "--n", "3"])
        #expect(total.status == 1)
        #expect(total.stdout.contains("F failed on"))
        #expect(try PalsRunner.run(["function", "check", wasm("median"), "--n", "5"]).status == 0)
    }

    @Test func badModulesAndPathsAreOneLineErrors() throws {
        for (name, rule) in [
            ("bad/float", "floats"), ("bad/import", "imports"), ("bad/wrong_type", "exports"), ("bad/no_max", "memory"),
            ("bad/simd", "features"),
        ] {
            let r = try PalsRunner.run(["check", "smc", "--function", wasm(name), "--n", "3", "--t", "1"])
            #expect(r.status == 2)
            #expect(r.stderr.contains("refused (rule \(rule))"), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1)
            let ins = try PalsRunner.run(["function", "inspect", wasm(name), "--json"])
            #expect(ins.status == 2)
            #expect(try JSON.parse(ins.stdout)["loadable"]?.boolValue == false)
        }
        let missing = try PalsRunner.run([
            "simulate", "smc", "--function", "/nonexistent/f.wasm", "--n", "3", "--t", "1",
        ])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("sum, max, majority, auction, identity"))
        let ok = try PalsRunner.run(["function", "inspect", wasm("sum")])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("loadable: yes"))
    }

    @Test func simulateAndUnobservability() throws {
        let sim = try PalsRunner.run([
            "simulate", "smc", "--function", wasm("first_price"), "--n", "3", "--t", "1", "--inputs", "5,9,7",
        ])
        #expect(sim.status == 0, "\(sim.stderr)")
        #expect(sim.stdout.contains("p0: F = [1,9]"), "\(sim.stdout)")
        let u = try PalsRunner.run([
            "unobservability", "smc", "--function", wasm("sum"), "--n", "3", "--t", "1", "--json",
        ])
        #expect(u.status == 0, "\(u.stderr)")
    }

    @Test func clusterComputesFWithTheOracleConforming() throws {
        let out = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try PalsRunner.run([
            "cluster", "smc", "--function", wasm("median"), "--n", "4", "--t", "1", "--inputs", "5,1,9,7", "--out",
            out.path, "--json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        // The module computes F: the lower median of 1,5,7,9 is 5.
        let text = try PalsRunner.run([
            "cluster", "smc", "--function", wasm("median"), "--n", "4", "--t", "1", "--inputs", "5,1,9,7", "--out",
            out.appendingPathComponent("text").path,
        ])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.components(separatedBy: "decided F = [5]").count == 5, "\(text.stdout)")
        #expect(text.stdout.contains("oracle: conforms"))
        let trace = try String(contentsOfFile: out.appendingPathComponent("trace.json").path, encoding: .utf8)
        #expect(trace.contains("F: "))
        let oracle = try PalsRunner.run(["oracle", out.appendingPathComponent("trace.json").path])
        #expect(oracle.status == 0, "\(oracle.stderr)")
        let wrong = try PalsRunner.run([
            "oracle", out.appendingPathComponent("trace.json").path, "--function", wasm("sum"),
        ])
        #expect(wrong.status == 2)
        // A fuel-exhausting F: F failed at every module, the oracle conforms.
        let loop = try PalsRunner.run([
            "campaign", "smc", "--function", wasm("bad/loop"), "--fuel", "100000", "--n", "4", "--t", "1", "--runs",
            "3",
            "--transport", "memory", "--out", out.appendingPathComponent("campaign").path, "--json",
        ])
        #expect(loop.status == 1, "\(loop.stderr)")
        let lj = try JSON.parse(loop.stdout)
        #expect(lj["disagreements"]?.intValue == 0)
        #expect(lj["outsideModel"]?.intValue == 0)
        #expect(lj["violationsByProperty"]?["FDefined"]?.intValue == 3)
        #expect(lj["violationsByProperty"]?["SMCAgreement"]?.intValue == 0)
    }
}
