import Foundation
import PalsTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A long explicit search cut short — by its memory budget, by Ctrl-C, or by
/// the SIGTERM a job scheduler sends at a time limit — ends with its partial
/// result: undecided properties `unknown`, the reason in `"stopReason"`,
/// `"complete": false`, exit 1 (a violation already found) or 3.
@Suite("searches stopped early", .serialized, .timeLimit(.minutes(5)))
struct SearchStopTests {
    /// `check uic --n 5 --t 4` runs for a minute or more: long enough to be
    /// stopped in the middle.
    static let longCheck = ["check", "uic", "--n", "5", "--t", "4", "--json"]

    static func partialResult(_ stdout: String) throws -> [String: Any] {
        let data = Data(stdout.utf8)
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            Issue.record("not a JSON object: \(stdout.prefix(300))")
            return [:]
        }
        #expect(json["complete"] as? Bool == false)
        let statuses = (json["properties"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
        #expect(statuses.count == 7)
        #expect(statuses.contains("unknown"), "a property left undecided: \(statuses)")
        return json
    }

    @Test("the memory budget stops the search with its partial result")
    func memoryBudget() throws {
        let out = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try PalsRunner.run(Self.longCheck + ["--max-memory", "80M", "--out", out.path])
        #expect(r.status == 1 || r.status == 3, "\(r.stderr)")
        let json = try Self.partialResult(r.stdout)
        let reason = json["stopReason"] as? String ?? ""
        #expect(reason.hasPrefix("memory budget exceeded ("), "\(reason)")
        #expect(reason.hasSuffix("--max-memory 80 MB)"), "\(reason)")
    }

    @Test(
        "SIGINT (Ctrl-C) or SIGTERM (a scheduler's stop) ends the search with its partial result",
        arguments: [SIGINT, SIGTERM])
    func interrupted(signal: Int32) throws {
        guard let exe = PalsRunner.executable else { throw PalsRunner.NotFound() }
        let dir = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stdoutURL = dir.appendingPathComponent("stdout")
        let stderrURL = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let p = Process()
        p.executableURL = exe
        p.arguments = Self.longCheck + ["--out", dir.appendingPathComponent("out").path]
        p.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        p.standardError = try FileHandle(forWritingTo: stderrURL)
        try p.run()
        // The first progress line: the search is under way (and listening).
        let deadline = Date().addingTimeInterval(60)
        var progress = false
        while Date() < deadline && p.isRunning && !progress {
            progress = (try? String(contentsOf: stderrURL, encoding: .utf8))?.contains("F = {") == true
            if !progress { usleep(50_000) }
        }
        #expect(progress, "no progress line within a minute")
        let sent = Date()
        kill(p.processIdentifier, signal)
        let stopBy = sent.addingTimeInterval(30)
        while Date() < stopBy && p.isRunning { usleep(20_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            Issue.record("still searching 30 s after signal \(signal)")
            return
        }
        p.waitUntilExit()
        #expect(p.terminationReason == .exit, "ended by the signal instead of stopping")
        #expect(p.terminationStatus == 1 || p.terminationStatus == 3)
        let stdout = try String(contentsOf: stdoutURL, encoding: .utf8)
        let json = try Self.partialResult(stdout)
        #expect(json["stopReason"] as? String == "interrupted")
    }
}
