import Foundation
import PalsCore
import PalsTestSupport
import Testing

/// `pals export itf`: the README's counterexample as an ITF trace, read by
/// the PyPI package itf-py (installed by .ci/setup), written back by it, and
/// replayed to the same violation.
@Suite(.timeLimit(.minutes(10))) struct ExportCLITests {
    static let readme = "counterexamples/uic-standard-n4-t2-r3-UniformAgreement.json"

    @Test func exportedITFReplaysToTheSameViolation() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let itf = dir.appendingPathComponent("cx.itf.json").path
        let source = PalsRunner.repository.appendingPathComponent(Self.readme).path
        let export = try PalsRunner.run(["export", "itf", source, "--out", itf])
        #expect(export.status == 0, "\(export.stderr)")
        let original = try PalsRunner.run(["replay", source, "--json"])
        let replay = try PalsRunner.run(["replay", itf, "--json"])
        #expect(replay.status == 1, "\(replay.stderr)")
        let a = try JSON.parse(original.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let b = try JSON.parse(replay.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(b["stillViolated"]?.boolValue == true)
        #expect(b["decisionsMatchFile"]?.boolValue == true)
        #expect(a["decisions"] == b["decisions"])
        #expect(a["violatedAfterRound"] == b["violatedAfterRound"])
        // Standard output carries the same trace.
        let stdout = try PalsRunner.run(["export", "itf", source])
        #expect(stdout.status == 0)
        #expect(try String(contentsOfFile: itf, encoding: .utf8) == stdout.stdout)
    }

    @Test func itfPyReadsTheTraceAndItsRewriteStillReplays() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let itf = dir.appendingPathComponent("cx.itf.json").path
        let rewritten = dir.appendingPathComponent("rewritten.itf.json").path
        let source = PalsRunner.repository.appendingPathComponent(Self.readme).path
        #expect(try PalsRunner.run(["export", "itf", source, "--out", itf]).status == 0)
        let script = """
            import json, sys
            from itf_py import trace_from_json, trace_to_json
            with open(sys.argv[1]) as f:
                data = json.load(f)
            trace = trace_from_json(data)
            assert trace.params == ["n", "t"], trace.params
            assert len(trace.states) == 4, len(trace.states)
            first, last = trace.states[0].values, trace.states[-1].values
            assert first["n"] == 4 and first["t"] == 2
            assert first["faulty"] == frozenset({0, 1}), first["faulty"]
            assert first["view"][2] == [frozenset(), frozenset(), frozenset({2}), frozenset()], first["view"][2]
            decided = last["decision"]
            assert sorted(decided.keys()) == [0, 1, 2, 3], decided
            assert decided[0] != decided[2], "the violation: p0 and p2 decide differently"
            assert decided[2][0] == frozenset() and decided[2][2] == frozenset({2}), decided[2]
            assert decided[0] == [frozenset({0}), frozenset({1}), frozenset({2}), frozenset({3})], decided[0]
            out = trace_to_json(trace)
            with open(sys.argv[2], "w") as f:
                json.dump(out, f)
            print("ok", len(trace.states), "states,", len(trace.vars), "vars")
            """
        let py = Process()
        py.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        py.arguments = ["python3", "-c", script, itf, rewritten]
        let out = Pipe()
        let err = Pipe()
        py.standardOutput = out
        py.standardError = err
        try py.run()
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        py.waitUntilExit()
        #expect(py.terminationStatus == 0, "itf-py failed (bash .ci/setup installs it): \(e)")
        #expect(o.hasPrefix("ok 4 states"), "\(o)")
        let replay = try PalsRunner.run(["replay", rewritten, "--json"])
        #expect(replay.status == 1, "\(replay.stderr)")
        let j = try JSON.parse(replay.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(j["stillViolated"]?.boolValue == true)
    }

    @Test func badInputIsOneLineAndExitTwo() throws {
        let dir = try PalsRunner.temporaryDirectory()
        let junk = dir.appendingPathComponent("junk.json").path
        try Data("{\"states\": [], \"vars\": []}".utf8).write(to: URL(fileURLWithPath: junk))
        let source = PalsRunner.repository.appendingPathComponent(Self.readme).path
        for args in [
            ["export", "pdf", source], ["export", "itf", junk], ["replay", junk], ["export", "itf", "/nonexistent"],
        ] {
            let r = try PalsRunner.run(args)
            #expect(r.status == 2, "\(args): \(r.stdout) \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
    }
}
