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
@Suite("searches stopped early", .serialized, .timeLimit(.minutes(10)))
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

    /// The cells of a table's JSON, and the table itself.
    static func table(_ stdout: String) throws -> (json: [String: Any], cells: [[String: Any]]) {
        guard let json = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] else {
            Issue.record("not a JSON object: \(stdout.prefix(300))")
            return ([:], [])
        }
        return (json, json["cells"] as? [[String: Any]] ?? [])
    }

    /// A memory budget below what any process holds stops the first cell
    /// whose search runs long enough to look at it (2^16 successor tuples):
    /// the table ends at that cell, marked `unknown` with its reason, the
    /// table says it is incomplete and why, and standard error says that the
    /// table is partial — also when an earlier cell was violated (exit 1).
    @Test(
        "a resilience table stopped by the memory budget ends at the stopped cell and says why",
        arguments: [["--engine", "explicit"], ["--engine", "auto"]])
    func boundsStopped(engine: [String]) throws {
        let out = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let arguments = ["bounds", "uic", "--n", "2...5", "--max-memory", "1M", "--out", out.path] + engine
        let r = try PalsRunner.run(arguments + ["--json"])
        let (json, cells) = try Self.table(r.stdout)
        #expect(json["complete"] as? Bool == false)
        let reason = json["stopReason"] as? String ?? ""
        #expect(reason.hasPrefix("memory budget exceeded ("), "\(reason)")
        #expect(r.stderr.contains("error: the table is partial: the search stopped (memory budget exceeded"))
        guard let last = cells.last else {
            Issue.record("no cells: \(r.stdout.prefix(300))")
            return
        }
        #expect(cells.count < 14, "the table went on after the stopped cell")
        #expect(last["verdict"] as? String == "unknown")
        #expect(last["stopReason"] as? String == reason)
        for c in cells.dropLast() { #expect(c["stopReason"] is NSNull, "\(c)") }
        let violated = cells.contains { $0["verdict"] as? String == "violated" }
        #expect(violated, "(3, 2) is violated and checked before any cell is large enough to stop")
        #expect(r.status == 1, "\(r.stderr)")
        #expect(json["verdict"] as? String == "violated")
        // The text table says the same on standard error.
        let text = try PalsRunner.run(arguments)
        #expect(text.status == 1)
        #expect(text.stderr.contains("error: the table is partial"), "\(text.stderr)")
    }

    /// The product explorer (fairness, noninterference) under a budget below
    /// any process's size: it stops at its first look (every 2^12 successor
    /// nodes). The fairness probability is then a lower bound — exit 3,
    /// `"complete": false`, "≥" in the text — and `pals merge` refuses a
    /// stopped shard; a noninterference property not violated before the
    /// stop is `unknown`, never `holds`.
    @Test("fairness and unobservability stopped by the memory budget report a partial result")
    func productSearchStopped() throws {
        let dir = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fairness = ["fairness", "--n", "4", "--t", "2", "--max-memory", "1M", "--out", "cx"]
        let f = try PalsRunner.run(fairness + ["--json"], in: dir)
        #expect(f.status == 3, "\(f.stderr)")
        let fj = try Self.table(f.stdout).json
        #expect(fj["complete"] as? Bool == false)
        #expect((fj["stopReason"] as? String ?? "").hasPrefix("memory budget exceeded ("), "\(f.stdout)")
        #expect(f.stderr.contains("the probability above is a lower bound"), "\(f.stderr)")
        let text = try PalsRunner.run(fairness + ["--html", "f.html"], in: dir)
        #expect(text.status == 3)
        #expect(text.stdout.contains("worst-case P(unfair) ≥ "), "\(text.stdout)")
        let html = try String(contentsOf: dir.appendingPathComponent("f.html"), encoding: .utf8)
        #expect(html.contains("P(unfair) ≥ 0: a lower bound"), "the HTML report claims an exact probability")
        // Unbudgeted, the same computation is complete.
        let whole = try PalsRunner.run(["fairness", "--n", "4", "--t", "2", "--json", "--out", "cx"], in: dir)
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(try Self.table(whole.stdout).json["complete"] as? Bool == true)

        var names: [String] = []
        for i in 1...2 {
            let r = try PalsRunner.run(fairness + ["--json", "--shard", "\(i)/2"], in: dir)
            names.append("fair-\(i).json")
            try Data(r.stdout.utf8).write(to: dir.appendingPathComponent(names[i - 1]))
        }
        let merged = try PalsRunner.run(["merge"] + names, in: dir)
        #expect(merged.status == 2, "\(merged.stdout)")
        #expect(merged.stdout.isEmpty)
        #expect(merged.stderr.contains("only a lower bound"), "\(merged.stderr)")

        let unobservability = [
            "unobservability", "smc", "--n", "4", "--t", "1", "--max-memory", "1M", "--json", "--out", "cx",
        ]
        let u = try PalsRunner.run(unobservability, in: dir)
        #expect(u.status == 3, "\(u.stderr)")
        let uj = try Self.table(u.stdout).json
        let reason = uj["stopReason"] as? String ?? ""
        #expect(reason.hasPrefix("memory budget exceeded ("), "\(u.stdout)")
        let properties = uj["properties"] as? [[String: Any]] ?? []
        #expect(properties.count == 2)
        for p in properties {
            #expect(p["status"] as? String == "unknown", "\(p)")
            #expect((p["reason"] as? String ?? "").hasPrefix("memory budget exceeded ("), "\(p)")
        }
        #expect(u.stderr.contains("the result above is partial"), "\(u.stderr)")
    }

    /// A family of 8^5 runs per faulty set (smc, eight values per input at
    /// n = 5) makes one product node minutes of work: SIGTERM after the
    /// first faulty set must still stop the search within seconds (the
    /// explorer looks at the signal by work done, not by nodes generated),
    /// with both properties `unknown`, exit 3.
    @Test("SIGTERM stops a noninterference search whose nodes are large")
    func unobservabilityInterrupted() throws {
        let dir = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let arguments = [
            "unobservability", "smc", "--n", "5", "--t", "2", "--values", "1,2,3,4,5,6,7,8", "--json", "--out",
            dir.appendingPathComponent("out").path,
        ]
        guard
            let r = try Self.signalled(
                arguments, once: "faulty sets done", startWithin: 120, signal: SIGTERM, stopWithin: 30, in: dir)
        else { return }
        #expect(r.byExit, "ended by the signal instead of stopping")
        #expect(r.status == 3)
        let json = try Self.table(r.stdout).json
        #expect(json["stopReason"] as? String == "interrupted")
        let statuses = (json["properties"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
        #expect(statuses == ["unknown", "unknown"])
    }

    /// UIC (9,6)'s Agreement is a solver query that runs for minutes: a
    /// signal during it interrupts Z3, and the check prints what it decided
    /// before (two violations, with their counterexamples) and `unknown` for
    /// the rest.
    @Test("SIGINT or SIGTERM during a symbolic query stops it with the partial result", arguments: [SIGINT, SIGTERM])
    func symbolicCheckInterrupted(signal: Int32) throws {
        let dir = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let arguments = [
            "check", "uic", "--n", "9", "--t", "6", "--engine", "symbolic", "--json", "--out",
            dir.appendingPathComponent("out").path,
        ]
        guard
            let r = try Self.signalled(
                arguments, once: "Agreement (4 of 7), solving", startWithin: 180, signal: signal, stopWithin: 30,
                in: dir)
        else { return }
        #expect(r.byExit, "ended by the signal instead of stopping")
        #expect(r.status == 1, "\(r.stderr)")
        let json = try Self.partialResult(r.stdout)
        #expect(json["stopReason"] as? String == "interrupted")
        #expect(json["verdict"] as? String == "violated")
        let properties = json["properties"] as? [[String: Any]] ?? []
        #expect(
            properties.map { $0["status"] as? String ?? "" } == [
                "holds", "violated", "violated", "unknown", "unknown", "unknown", "unknown",
            ])
        #expect(properties.dropFirst(3).allSatisfy { $0["reason"] as? String == "interrupted" })
        #expect(properties[1]["counterexample"] is String)
    }

    /// A signal during a symbolic cell interrupts its running query and ends
    /// the table at that cell (before, the table went on to its end, and a
    /// signal during an explicit cell of a mixed table was forgotten by the
    /// next cell).
    @Test("SIGTERM during a symbolic cell ends the table at that cell")
    func symbolicTableInterrupted() throws {
        let dir = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let arguments = [
            "bounds", "uic", "--n", "8...8", "--engine", "symbolic", "--out", dir.appendingPathComponent("out").path,
        ]
        // The first cell's line: the table is under way.
        guard
            let r = try Self.signalled(
                arguments, once: "n=8 t=0", startWithin: 120, signal: SIGTERM, stopWithin: 240, in: dir)
        else { return }
        #expect(r.byExit, "ended by the signal instead of stopping")
        let rows = r.stdout.split(separator: "\n").filter { $0.hasPrefix("8 ") }
        #expect(rows.count >= 1 && rows.count < 8, "\(r.stdout)")
        #expect(r.stderr.contains("error: the table is partial: the search stopped (interrupted)"), "\(r.stderr)")
        #expect(r.status == 3 || r.status == 1)
    }

    @Test(
        "SIGINT (Ctrl-C) or SIGTERM (a scheduler's stop) ends the search with its partial result",
        arguments: [SIGINT, SIGTERM])
    func interrupted(signal: Int32) throws {
        let dir = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The first progress line: the search is under way (and listening).
        guard
            let r = try Self.signalled(
                Self.longCheck + ["--out", dir.appendingPathComponent("out").path], once: "F = {", startWithin: 60,
                signal: signal, stopWithin: 30, in: dir)
        else { return }
        #expect(r.byExit, "ended by the signal instead of stopping")
        #expect(r.status == 1 || r.status == 3)
        let json = try Self.partialResult(r.stdout)
        #expect(json["stopReason"] as? String == "interrupted")
    }

    /// How a signalled run ended.
    struct Signalled {
        /// True when the process exited (rather than being ended by a signal).
        var byExit: Bool
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs pals with `arguments`, waits up to `startWithin` seconds for
    /// `marker` on its standard error, sends `signal`, and waits up to
    /// `stopWithin` seconds for it to end; nil (an issue recorded, the
    /// process killed) when it is still running then.
    static func signalled(
        _ arguments: [String], once marker: String, startWithin: Double, signal: Int32, stopWithin: Double, in dir: URL
    ) throws -> Signalled? {
        guard let exe = PalsRunner.executable else { throw PalsRunner.NotFound() }
        let stdoutURL = dir.appendingPathComponent("stdout")
        let stderrURL = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let p = Process()
        p.executableURL = exe
        p.arguments = arguments
        p.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        p.standardError = try FileHandle(forWritingTo: stderrURL)
        try p.run()
        let deadline = Date().addingTimeInterval(startWithin)
        var started = false
        while Date() < deadline && p.isRunning && !started {
            started = (try? String(contentsOf: stderrURL, encoding: .utf8))?.contains(marker) == true
            if !started { usleep(20_000) }
        }
        #expect(started, "no \"\(marker)\" on standard error within \(Int(startWithin)) s")
        kill(p.processIdentifier, signal)
        let stopBy = Date().addingTimeInterval(stopWithin)
        while Date() < stopBy && p.isRunning { usleep(20_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            Issue.record("still running \(Int(stopWithin)) s after signal \(signal)")
            return nil
        }
        p.waitUntilExit()
        return Signalled(
            byExit: p.terminationReason == .exit, status: p.terminationStatus,
            stdout: try String(contentsOf: stdoutURL, encoding: .utf8),
            stderr: try String(contentsOf: stderrURL, encoding: .utf8))
    }
}
