import Foundation
import PalsCore
import PalsTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `pals explore` end to end: the server on loopback, its API under bad
/// requests, and a scripted walk in headless Chromium (Tests/Browser/walk.py,
/// over the DevTools protocol; .ci/setup installs chromium and
/// websocket-client).
@Suite(.serialized, .timeLimit(.minutes(10))) struct ExplorerBrowserTests {
    static let readme = "counterexamples/uic-standard-n4-t2-r3-UniformAgreement.json"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A running `pals explore`, stopped with SIGINT.
    final class Explorer {
        let process = Process()
        let port: Int

        init(_ arguments: [String]) throws {
            guard let exe = PalsRunner.executable else { throw PalsRunner.NotFound() }
            process.executableURL = exe
            process.arguments = ["explore"] + arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            // The first line names the address; reading it waits for the server.
            var line = Data()
            let handle = out.fileHandleForReading
            while !line.contains(UInt8(ascii: "\n")) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                line.append(chunk)
            }
            let text = String(decoding: line, as: UTF8.self)
            guard let range = text.range(of: "http://127.0.0.1:"),
                let port = Int(text[range.upperBound...].prefix { $0.isNumber })
            else {
                process.terminate()
                throw Failure(description: "pals explore printed no address: \(text)")
            }
            self.port = port
        }

        func stop() -> Int32 {
            kill(process.processIdentifier, SIGINT)
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning {
                process.terminate()
                return -1
            }
            return process.terminationStatus
        }
    }

    /// One HTTP/1.1 GET over a plain socket, with the Host header given.
    static func get(port: Int, path: String, host: String = "127.0.0.1") throws -> (status: Int, body: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard ok == 0 else { throw Failure(description: "connect") }
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let k = recv(fd, &buffer, buffer.count, 0)
            if k <= 0 { break }
            data.append(contentsOf: buffer[0..<k])
        }
        let text = String(decoding: data, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }

    static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    static var chromium: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test func apiAnswersLoopbackAndRefusesTheRest() throws {
        let file = PalsRunner.repository.appendingPathComponent(Self.readme).path
        let explorer = try Explorer([file])
        let page = try Self.get(port: explorer.port, path: "/")
        #expect(page.status == 200)
        #expect(page.body.contains("<svg") || page.body.contains("id=\"diagram\""))
        let opened = try Self.get(port: explorer.port, path: "/api/opened")
        #expect(opened.status == 200 && opened.body.contains("\"kind\":\"counterexample\""))
        // Another Host (DNS rebinding) is refused.
        #expect(try Self.get(port: explorer.port, path: "/", host: "attacker.example").status == 403)
        #expect(
            try Self.get(port: explorer.port, path: "/api/catalog", host: "attacker.example:\(explorer.port)").status
                == 403)
        // Paths outside the opened file's folder are refused; the server keeps serving.
        for bad in [
            "/api/open?file=../Package.swift", "/api/open?file=%2Fetc%2Fpasswd", "/api/view?p=uic&n=4&t=9&k=0",
            "/api/view?junk",
        ] {
            let r = try Self.get(port: explorer.port, path: bad)
            #expect(r.status == 400, "\(bad): \(r.status)")
            #expect(r.body.contains("\"error\""), "\(bad)")
        }
        #expect(try Self.get(port: explorer.port, path: "/api/catalog").status == 200)
        #expect(explorer.stop() == 0)
    }

    @Test func aScriptedWalkInHeadlessChromiumReachesTheViolation() throws {
        let chromium = try #require(Self.chromium, "chromium is not installed (bash .ci/setup installs it)")
        let file = PalsRunner.repository.appendingPathComponent(Self.readme).path
        let explorer = try Explorer([file])
        defer { _ = explorer.stop() }
        let script = PalsRunner.repository.appendingPathComponent("Tests/Browser/walk.py").path
        let walk = try Self.python([script, "http://127.0.0.1:\(explorer.port)/", chromium])
        #expect(walk.status == 0, "\(walk.output)")
        #expect(walk.output.contains("UniformAgreement violated"), "\(walk.output)")
        #expect(walk.output.contains("ok: no console errors"), "\(walk.output)")
    }

    @Test func htmlReportsOpenInChromiumWithoutErrorsOrRequests() throws {
        let chromium = try #require(Self.chromium, "chromium is not installed (bash .ci/setup installs it)")
        let dir = try PalsRunner.temporaryDirectory()
        let cx = PalsRunner.repository.appendingPathComponent(Self.readme).path
        let commands: [(String, [String])] = [
            ("check", ["check", "uic", "--n", "4", "--t", "2"]),
            ("replay", ["replay", cx]),
            ("bounds", ["bounds", "uic", "--n", "3...3"]),
            ("fairness", ["fairness", "--n", "2", "--t", "1", "--M", "4"]),
            (
                "unobservability",
                ["unobservability", "fair-exchange", "--mode", "fake-rounds-leaky", "--n", "3", "--t", "1", "--M", "4"]
            ),
            ("campaign", ["campaign", "uic", "--n", "4", "--t", "1", "--runs", "50", "--seed", "3"]),
        ]
        let script = PalsRunner.repository.appendingPathComponent("Tests/Browser/walk.py").path
        for (name, arguments) in commands {
            let report = dir.appendingPathComponent("\(name).html").path
            let out = name == "replay" ? [] : ["--out", dir.path]
            let run = try PalsRunner.run(arguments + out + ["--html", report])
            #expect(run.status == 0 || run.status == 1, "\(name): \(run.stderr)")
            let r = try Self.python([script, "--report", report, chromium])
            #expect(r.status == 0, "\(name): \(r.output)")
        }
    }
}
