import Foundation
import PalsTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The runtime commands as an attacker or a careless user meets them:
/// every bad number is a one-line error, keys stay private, no child
/// outlives its command, and the oracle never passes what it did not check.
@Suite("Runtime commands: input ranges, keys, processes, oracle inputs", .serialized, .timeLimit(.minutes(10)))
struct RuntimeHygieneTests {
    func object(_ s: String) throws -> [String: Any] {
        let line = s.split(separator: "\n").last.map(String.init) ?? ""
        return try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("numeric options out of range and values an engine cannot represent: exit 2, one line")
    func ranges() throws {
        let dir = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let k = try PalsRunner.run(["keygen", "--n", "3", "--out", dir.path])
        #expect(k.status == 0, "\(k.stderr)")
        let roster = dir.appendingPathComponent("roster.json").path
        let cases: [[String]] = [
            ["cluster", "uic", "--n", "3", "--t", "1", "--min-round", "9223372036854775807"],
            ["cluster", "uic", "--n", "3", "--t", "1", "--min-round=-1"],
            ["cluster", "uic", "--n", "3", "--t", "1", "--kill-after", "5"],
            ["cluster", "uic", "--n", "3", "--t", "1", "--kill", "1", "--kill-after", "3600000"],
            ["cluster", "uic", "--n", "3", "--t", "1", "--kill", "1", "--kill-after=-1"],
            ["cluster", "uic", "--n", "3", "--t", "1", "--round-timeout", "9223372036854775807"],
            ["check", "uic", "--n", "3", "--t", "1", "--engine", "symbolic", "--inputs", "9223372036854775807,1,2"],
            [
                "check", "smc", "--n", "3", "--t", "1", "--function", "sum", "--engine", "symbolic", "--inputs",
                "4611686018427387904,4611686018427387904,1",
            ],
            [
                "unobservability", "smc", "--n", "3", "--t", "1", "--engine", "symbolic", "--values",
                "9223372036854775807,1",
            ],
            ["keygen", "--n", "3", "--out", dir.appendingPathComponent("k2").path, "--base-port=9223372036854775807"],
            ["keygen", "--n", "3", "--out", dir.appendingPathComponent("k3").path, "--base-port=65534"],
            ["check", "uic", "--n", "3", "--t", "1", "--threads", "0"],
            ["fairness", "--n", "3", "--t", "1", "--threads", "0"],
            ["campaign", "uic", "--n", "3", "--t", "1", "--transport", "process", "--kill-window=-5"],
            ["campaign", "uic", "--n", "3", "--t", "1", "--kill-window", "5"],
            [
                "peer", "uic", "--n", "3", "--t", "1", "--id", "0", "--roster", roster, "--input", "1", "--session",
                "0011223344556677", "--log", "/nonexistent/x.json",
            ],
            [
                "peer", "uic", "--n", "3", "--t", "1", "--id", "0", "--roster", roster, "--input", "1", "--session",
                "0011223344556677", "--min-round", "9223372036854775807",
            ],
        ]
        for args in cases {
            let r = try PalsRunner.run(args)
            #expect(r.status == 2, "\(args): exit \(r.status) \(r.stdout)\(r.stderr)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].lowercased().hasPrefix("error: "), "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("k2").path))
    }

    @Test("keygen writes keys with mode 600, refuses to overwrite, and --force never writes through a symbolic link")
    func privateKeys() throws {
        let dir = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try PalsRunner.run(["keygen", "--n", "2", "--out", dir.path]).status == 0)
        for i in 0..<2 {
            var st = stat()
            #expect(lstat(dir.appendingPathComponent("key-\(i).json").path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        }
        let again = try PalsRunner.run(["keygen", "--n", "2", "--out", dir.path])
        #expect(again.status == 2 && again.stderr.contains("refusing to overwrite"))
        // key-1.json becomes a link to a file of the user's: --force
        // replaces the link, the target keeps its content.
        let target = dir.appendingPathComponent("precious.txt")
        try Data("mine".utf8).write(to: target)
        let key1 = dir.appendingPathComponent("key-1.json").path
        try FileManager.default.removeItem(atPath: key1)
        try FileManager.default.createSymbolicLink(atPath: key1, withDestinationPath: target.path)
        let refused = try PalsRunner.run(["keygen", "--n", "2", "--out", dir.path])
        #expect(refused.status == 2)
        #expect(try PalsRunner.run(["keygen", "--n", "2", "--out", dir.path, "--force"]).status == 0)
        #expect(try String(contentsOf: target, encoding: .utf8) == "mine")
        var st = stat()
        #expect(lstat(key1, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && st.st_mode & 0o777 == 0o600)
    }

    @Test(
        "the oracle refuses missing keys, a roster of another size and keys of another deployment (exit 2), never conforms"
    )
    func oracleInputs() throws {
        let out = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try PalsRunner.run(["cluster", "uic", "--n", "3", "--t", "1", "--out", out.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let trace = out.appendingPathComponent("trace.json").path
        #expect(try PalsRunner.run(["oracle", trace]).status == 0)
        // Keys of another deployment of the same size.
        let other = out.appendingPathComponent("other")
        #expect(try PalsRunner.run(["keygen", "--n", "3", "--out", other.path]).status == 0)
        var o = try PalsRunner.run(["oracle", trace, "--keys", other.path])
        #expect(o.status == 2 && o.stderr.contains("roster"), "\(o.stdout)\(o.stderr)")
        // A roster of another size.
        let small = out.appendingPathComponent("small")
        #expect(try PalsRunner.run(["keygen", "--n", "2", "--out", small.path]).status == 0)
        o = try PalsRunner.run(["oracle", trace, "--keys", small.path])
        #expect(o.status == 2 && o.stderr.contains("2 peers"), "\(o.stdout)\(o.stderr)")
        // The run's roster without its key files, on a corrupted trace.
        let bare = out.appendingPathComponent("bare")
        try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: out.appendingPathComponent("keys/roster.json"), to: bare.appendingPathComponent("roster.json"))
        var text = try String(contentsOfFile: trace, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"5450", with: "\"5451")
        let corrupted = out.appendingPathComponent("corrupted.json")
        try text.write(to: corrupted, atomically: true, encoding: .utf8)
        o = try PalsRunner.run(["oracle", corrupted.path, "--keys", bare.path])
        #expect(
            o.status == 2 && o.stderr.contains("key-0.json") && !o.stdout.contains("conforms"), "\(o.stdout)\(o.stderr)"
        )
    }

    @Test("cluster without --out leaves no folder with keys behind; a kill after the peers finished is not sent")
    func temporaryAndLateKill() throws {
        let tmp = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let start = Date()
        let r = try PalsRunner.run(
            ["cluster", "uic", "--n", "3", "--t", "1", "--kill", "2", "--kill-after", "16000", "--json"],
            environment: ["TMPDIR": tmp.path])
        let elapsed = Date().timeIntervalSince(start)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let j = try object(r.stdout)
        #expect((j["killed"] as? [Any])?.isEmpty == true)
        #expect((j["results"] as? [Any])?.count == 3)
        #expect(j["trace"] is NSNull)
        // The command ends with its peers, not at the kill time.
        #expect(elapsed < 16)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
    }

    /// The pids of `pid`'s children.
    func children(of pid: pid_t) -> [pid_t] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").compactMap { pid_t($0) }
        }
    }

    /// Whether `pid` is a live `pals` process (not a zombie, not reused).
    func alivePals(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
        else { return false }
        let state = stat.split(separator: ")").last?.split(separator: " ").first
        return state != "Z" && cmd.contains("peer")
    }

    @Test(
        "SIGINT, SIGTERM or SIGKILL to cluster ends every peer process, and SIGINT removes the temporary keys",
        arguments: [SIGINT, SIGTERM, SIGKILL])
    func signals(signal: Int32) throws {
        guard let exe = PalsRunner.executable else { throw PalsRunner.NotFound() }
        let tmp = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: tmp) }
        let p = Process()
        p.executableURL = exe
        p.arguments = ["cluster", "uic", "--n", "3", "--t", "1", "--round-timeout", "120000", "--min-round", "60000"]
        p.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": tmp.path]) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait (bounded) until every peer has written its first round.
        let deadline = Date().addingTimeInterval(60)
        var peers: [pid_t] = []
        func started() -> Bool {
            guard let folder = try? FileManager.default.contentsOfDirectory(atPath: tmp.path).first else {
                return false
            }
            return (0..<3).allSatisfy {
                FileManager.default.fileExists(atPath: tmp.appendingPathComponent("\(folder)/peer-\($0).json").path)
            }
        }
        while Date() < deadline && !started() { usleep(10_000) }
        peers = children(of: p.processIdentifier)
        #expect(peers.count == 3)
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        #expect(p.terminationStatus == 128 + signal || p.terminationReason == .uncaughtSignal)
        let gone = Date().addingTimeInterval(30)
        while Date() < gone && peers.contains(where: alivePals) { usleep(10_000) }
        #expect(!peers.contains(where: alivePals), "peers still running after \(signal)")
        if signal != SIGKILL {
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        }
    }

    @Test("SIGINT to test-backend ends the backend's processes too")
    func backendInterrupted() throws {
        guard let exe = PalsRunner.executable else { throw PalsRunner.NotFound() }
        let p = Process()
        p.executableURL = exe
        // A backend that never answers; the oracle would wait an hour for it.
        p.arguments = ["test-backend", "uic", "--n", "3", "--t", "1", "--cmd", "sleep 600; true", "--timeout", "3600"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        var backend: [pid_t] = []
        while Date() < deadline && backend.isEmpty {
            backend = children(of: p.processIdentifier).flatMap { [$0] + children(of: $0) }
            if backend.count < 2 { backend = [] }
            usleep(10_000)
        }
        #expect(backend.count >= 2, "the backend shell and its sleep")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(p.terminationStatus == 128 + SIGINT)
        func alive(_ pid: pid_t) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            return stat.split(separator: ")").last?.split(separator: " ").first != "Z"
        }
        let gone = Date().addingTimeInterval(30)
        while Date() < gone && backend.contains(where: alive) { usleep(10_000) }
        #expect(!backend.contains(where: alive))
    }

    @Test("two campaigns into the same --out keep their own keys, and both saved traces still check")
    func campaignsKeepKeys() throws {
        let out = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        var traces: [String] = []
        for seed in ["3", "4"] {
            let r = try PalsRunner.run([
                "campaign", "uic", "--n", "2", "--t", "1", "--runs", "200", "--seed", seed, "--out", out.path, "--json",
            ])
            #expect(r.status == 1)
            let saved = try #require(try object(r.stdout)["saved"] as? [String])
            traces.append(try #require(saved.first { $0.contains("/run-") }))
        }
        #expect(
            (try FileManager.default.contentsOfDirectory(atPath: out.path)).filter { $0.hasPrefix("campaign-") }.count
                == 2)
        for t in traces {
            let o = try PalsRunner.run(["oracle", t])
            #expect(o.status == 1 && o.stdout.contains("oracle: conforms"), "\(t): \(o.stdout)\(o.stderr)")
        }
    }

    @Test("campaign over real peer processes with random SIGKILLs: every run checked, undecided correct peers counted")
    func processCampaign() throws {
        let out = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try PalsRunner.run([
            "campaign", "uic", "--n", "3", "--t", "1", "--transport", "process", "--runs", "4", "--seed", "2",
            "--kill-window", "100", "--out", out.path, "--json",
        ])
        let j = try object(r.stdout)
        #expect(j["runs"] as? Int == 4)
        #expect(j["disagreements"] as? Int == 0)
        #expect(j["violations"] as? Int == 0)
        let undecided = try #require(j["undecidedRuns"] as? Int)
        let outside = try #require(j["outsideModel"] as? Int)
        #expect(r.status == (undecided + outside > 0 ? 1 : 0), "\(r.stdout)\(r.stderr)")
        // Seed 2 draws at least one victim in these four runs.
        #expect(((j["killed"] as? Int) ?? 0) + ((j["finishedBeforeKill"] as? Int) ?? 0) > 0)
    }
}
