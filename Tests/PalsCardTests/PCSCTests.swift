import Foundation
import PalsCard
import PalsCore
import PalsModule
import PalsTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Whether this machine has what a virtual card needs (.ci/setup installs
/// pcscd, vsmartcard-vpcd and pcsc-tools).
let cardPackagesPresent = PrivatePCSCD.missingPackages() == nil
let scriptorPresent = PrivatePCSCD.findExecutable("scriptor", in: ["/usr/bin"]) != nil

func parseJSON(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

@Suite(
    "Virtual cards behind pcscd", .serialized, .timeLimit(.minutes(10)),
    .enabled(if: cardPackagesPresent, "needs pcscd and vsmartcard-vpcd (Debian packages; .ci/setup installs them)"))
struct PCSCClusterTests {
    @Test(
        "cluster --module pcsc: four virtual cards, hosts talking only PC/SC, decisions, oracle conforms",
        arguments: [
            ["uic"], ["smc", "--function", "sum"], ["fair-exchange", "--mode", "fake-rounds", "--M", "3"],
        ])
    func cluster(_ instance: [String]) throws {
        let r = try PalsRunner.run(["cluster"] + instance + ["--n", "4", "--t", "1", "--module", "pcsc", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try parseJSON(r.stdout)
        let oracle = try #require(j["oracle"] as? [String: Any])
        #expect(oracle["verdict"] as? String == "conforms")
        let results = try #require(j["results"] as? [Any])
        #expect(results.count == 4)
        for result in results {
            let d = try #require(result as? [String: Any])
            #expect(d["decided"] as? Bool == true)
        }
        #expect((j["failedPeers"] as? [Any])?.isEmpty == true)
    }

    @Test("a card killed mid-run is a crashed module: the peer crashes, the others decide, the oracle conforms")
    func killedCard() throws {
        let out = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        // T0 is 2 s + 250 ms per peer after the start; rounds last 600 ms.
        let r = try PalsRunner.run([
            "cluster", "uic", "--n", "4", "--t", "1", "--module", "pcsc", "--kill", "2", "--kill-card",
            "--kill-after", "3400", "--min-round", "600", "--out", out.path,
        ])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("the card of peer p2 was killed (SIGKILL)"), "\(r.stdout)")
        #expect(r.stdout.contains("p2 (input 12): no result (crashed)"), "\(r.stdout)")
        #expect(r.stdout.contains("oracle: conforms"), "\(r.stdout)")
        #expect(r.stdout.contains("1 crash(es)"), "\(r.stdout)")
        for i in [0, 1, 3] { #expect(r.stdout.contains("p\(i) (input \(10 + i)): decided"), "\(r.stdout)") }
        let log = try parseJSON(try String(contentsOf: out.appendingPathComponent("peer-2.json"), encoding: .utf8))
        #expect(log["crashedBeforeRound"] as? Int != nil)
        #expect(
            (log["notes"] as? [String])?.contains { $0.contains("module failed") && $0.contains("is gone") } == true,
            "\(log)")
    }

    @Test(
        "a card stopped mid-run (SIGSTOP) is a crashed module: its host ends in bounded time, the others decide, the card is cleaned up"
    )
    func stoppedCard() throws {
        let out = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let started = ContinuousClock.now
        let r = try PalsRunner.run([
            "cluster", "uic", "--n", "4", "--t", "1", "--module", "pcsc", "--kill", "2", "--kill-card", "--stop-card",
            "--kill-after", "3400", "--min-round", "600", "--out", out.path,
        ])
        let elapsed = ContinuousClock.now - started
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("the card of peer p2 was stopped (SIGSTOP)"), "\(r.stdout)")
        #expect(r.stdout.contains("p2 (input 12): no result (crashed)"), "\(r.stdout)")
        #expect(r.stdout.contains("oracle: conforms"), "\(r.stdout)")
        for i in [0, 1, 3] { #expect(r.stdout.contains("p\(i) (input \(10 + i)): decided"), "\(r.stdout)") }
        #expect(!r.stdout.contains("exited abnormally"), "\(r.stdout)")
        // The host of the stopped card gave up after its APDU deadline, not
        // at the run's limit (15 s of slack plus the rounds, after the start).
        #expect(elapsed < .seconds(18), "\(elapsed)")
        let log = try parseJSON(try String(contentsOf: out.appendingPathComponent("peer-2.json"), encoding: .utf8))
        #expect(log["crashedBeforeRound"] as? Int != nil)
        #expect(
            (log["notes"] as? [String])?.contains { $0.contains("module failed") && $0.contains("no answer within") }
                == true, "\(log)")
        // No process of the run is left: not the stopped card, not a pcscd.
        #expect(processes(mentioning: out.path).isEmpty, "\(processes(mentioning: out.path))")
    }

    @Test("a cluster killed mid-run (SIGKILL) leaves no pcscd, card or peer behind", arguments: [SIGKILL, SIGINT])
    func killedCluster(_ signal: Int32) throws {
        let out = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let cluster = Process()
        cluster.executableURL = try #require(PalsRunner.executable)
        cluster.arguments = [
            "cluster", "uic", "--n", "3", "--t", "1", "--module", "pcsc", "--round-timeout", "3000", "--min-round",
            "2000", "--out", out.path,
        ]
        cluster.standardOutput = FileHandle.nullDevice
        cluster.standardError = FileHandle.nullDevice
        try cluster.run()
        // Wait until its daemons and cards run (they name the out folder).
        let deadline = Date().addingTimeInterval(60)
        while processes(mentioning: out.path).filter({ $0.contains("pcscd --foreground") }).count < 3
            && Date() < deadline && cluster.isRunning
        {
            usleep(50_000)
        }
        #expect(
            processes(mentioning: out.path).filter { $0.contains("pcscd --foreground") }.count == 3,
            "\(processes(mentioning: out.path))")
        kill(cluster.processIdentifier, signal)
        cluster.waitUntilExit()
        // Everything it started ends with it, whichever way it ended.
        let gone = Date().addingTimeInterval(10)
        while !processes(mentioning: out.path).isEmpty && Date() < gone { usleep(50_000) }
        #expect(processes(mentioning: out.path).isEmpty, "\(processes(mentioning: out.path))")
    }

    @Test("an APDU to a stopped card fails at its deadline, its blocked call ends, and the channel stays broken")
    func stoppedCardChannel() throws {
        let dir = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let d = try PrivatePCSCD(
            port: try PrivatePCSCD.freePortPairs(1)[0], directory: dir.appendingPathComponent("pcscd").path)
        defer { d.stop() }
        // libpcsclite reads the socket's name once per process: this is the
        // only test that talks PC/SC from the test process itself.
        setenv(PrivatePCSCD.socketVariable, d.socketPath, 1)
        let keys = dir.appendingPathComponent("keys").path
        #expect(try PalsRunner.run(["keygen", "--n", "4", "--out", keys]).status == 0)
        let card = Process()
        card.executableURL = try #require(PalsRunner.executable)
        card.arguments = [
            "card", "uic", "--n", "4", "--t", "1", "--key", keys + "/key-0.json", "--roster", keys + "/roster.json",
            "--reader-port", "\(d.port)",
        ]
        card.standardOutput = FileHandle.nullDevice
        try card.run()
        defer {
            kill(card.processIdentifier, SIGCONT)
            kill(card.processIdentifier, SIGKILL)
            card.waitUntilExit()
        }
        let channel = try PCSCChannel(reader: d.readerName, cardTimeout: 20, transmitTimeout: 0.5)
        let select = ISOCommand(
            cla: CardApplet.interindustry, ins: CardApplet.selectINS, p1: 0x04, p2: 0x0C, data: CardApplet.aid
        ).bytes
        #expect(try channel.transmitAPDU(select) == [0x90, 0x00])
        #expect(channel.abandonedCallEnded(within: 0))
        kill(card.processIdentifier, SIGSTOP)
        let started = ContinuousClock.now
        #expect {
            _ = try channel.transmitAPDU(select)
        } throws: { error in
            "\(error)".contains("is gone: no answer within 0.5 s")
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(500) && waited < .seconds(5), "\(waited)")
        // The call that blocked in SCardTransmit returns: its thread ends.
        #expect(channel.abandonedCallEnded(within: 5))
        // Later APDUs fail at once, without reaching pcscd.
        let again = ContinuousClock.now
        #expect(throws: ModuleError.self) { _ = try channel.transmitAPDU(select) }
        #expect(ContinuousClock.now - again < .milliseconds(100))
    }

    @Test("campaign --transport process --module pcsc: every run on virtual cards, with kills, checked by the oracle")
    func campaign() throws {
        let r = try PalsRunner.run([
            "campaign", "uic", "--n", "4", "--t", "1", "--runs", "2", "--seed", "3", "--transport", "process",
            "--module", "pcsc",
            "--json",
        ])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let j = try parseJSON(r.stdout)
        #expect(j["runs"] as? Int == 2, "\(j)")
        #expect(j["disagreements"] as? Int == 0, "\(j)")
        #expect(j["violations"] as? Int == 0, "\(j)")
        let bad = try PalsRunner.run(["campaign", "uic", "--n", "4", "--t", "1", "--runs", "2", "--module", "pcsc"])
        #expect(bad.status == 2 && bad.stderr.contains("--module applies to --transport process"), "\(bad.stderr)")
    }

    @Test("a peer pointed at a reader that does not exist fails with a clear error")
    func missingReader() throws {
        let dir = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let d = try PrivatePCSCD(
            port: try PrivatePCSCD.freePortPairs(1)[0], directory: dir.appendingPathComponent("pcscd").path)
        defer { d.stop() }
        let keys = dir.appendingPathComponent("keys").path
        #expect(try PalsRunner.run(["keygen", "--n", "2", "--out", keys]).status == 0)
        let r = try PalsRunner.run(
            [
                "peer", "uic", "--n", "2", "--t", "0", "--id", "0", "--roster", keys + "/roster.json", "--input", "1",
                "--session", "0102030405060708", "--module", "pcsc:No such reader",
            ], environment: [PrivatePCSCD.socketVariable: d.socketPath])
        #expect(r.status == 2)
        #expect(r.stderr.contains("no PC/SC reader named \"No such reader\""), "\(r.stderr)")
        // The reader exists but holds no card.
        let empty = try PalsRunner.run(
            [
                "peer", "uic", "--n", "2", "--t", "0", "--id", "0", "--roster", keys + "/roster.json", "--input", "1",
                "--session", "0102030405060708", "--module", "pcsc:\(d.readerName)", "--connect-timeout", "500",
            ], environment: [PrivatePCSCD.socketVariable: d.socketPath])
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("no card in"), "\(empty.stderr)")
    }

    @Test(
        "scriptor selects the applet and runs BEGIN with the APDUs of specs/apdu.md alone",
        .enabled(if: scriptorPresent, "needs scriptor (Debian pcsc-tools; .ci/setup installs it)"))
    func scriptorByHand() throws {
        let spec = try String(
            contentsOf: PalsRunner.repository.appendingPathComponent("specs/apdu.md"), encoding: .utf8)
        let block = try #require(
            spec.components(separatedBy: "## By hand").last?.components(separatedBy: "```").dropFirst().first)
        let apdus = block.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(apdus.count == 2)
        let dir = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let d = try PrivatePCSCD(
            port: try PrivatePCSCD.freePortPairs(1)[0], directory: dir.appendingPathComponent("pcscd").path)
        defer { d.stop() }
        let keys = dir.appendingPathComponent("keys").path
        #expect(try PalsRunner.run(["keygen", "--n", "4", "--out", keys]).status == 0)
        let card = Process()
        card.executableURL = try #require(PalsRunner.executable)
        card.arguments = [
            "card", "uic", "--n", "4", "--t", "1", "--key", keys + "/key-0.json", "--roster", keys + "/roster.json",
            "--reader-port", "\(d.port)",
        ]
        card.standardOutput = FileHandle.nullDevice
        try card.run()
        defer {
            kill(card.processIdentifier, SIGKILL)
            card.waitUntilExit()
        }
        let script = dir.appendingPathComponent("script.txt")
        try (apdus + [apdus[1]]).joined(separator: "\n").appending("\n").write(
            to: script, atomically: true, encoding: .utf8)
        // scriptor does not wait for a card: it is run until the card is in
        // the reader (the card process connects to vpcd after it starts).
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        repeat {
            let scriptor = Process()
            scriptor.executableURL = URL(
                fileURLWithPath: try #require(PrivatePCSCD.findExecutable("scriptor", in: ["/usr/bin"])))
            scriptor.arguments = ["-r", d.readerName, script.path]
            scriptor.environment = ProcessInfo.processInfo.environment.merging([
                PrivatePCSCD.socketVariable: d.socketPath
            ]) { $1 }
            let out = Pipe()
            scriptor.standardOutput = out
            scriptor.standardError = out
            scriptor.standardInput = FileHandle.nullDevice
            try scriptor.run()
            text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            scriptor.waitUntilExit()
        } while !text.contains("< ") && Date() < deadline
        let answers = text.split(separator: "\n").filter { $0.hasPrefix("< ") }.map {
            $0.dropFirst(2).components(separatedBy: " : ")[0]
        }
        #expect(answers == ["90 00", "00 48 00 02 00 04 90 00", "69 82"], "\(text)")
    }
}

/// The processes whose command line mentions `text` (from /proc).
func processes(mentioning text: String) -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { Int($0) != nil }.sorted().compactMap { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        let line = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        return line.contains(text) ? "\(pid): \(line)" : nil
    }
}
