import Foundation
import PalsCore
import PalsProtocols
import Testing

@testable import PalsWeb

@Suite(.timeLimit(.minutes(10))) struct ExplorerModelTests {
    /// The README's (4,2) counterexample: p0's round-1 and p1's round-2
    /// messages to p2 and p3 are lost.
    static let readme = "p=uic&v=standard&n=4&t=2&in=0,1,2,3&f=0,1&c=&d=1:0>2,1:0>3,2:1>2,2:1>3&k="

    func view(_ query: String) throws -> ExplorerView {
        try ExplorerModel.view(try ExplorerPosition(query: ExplorerServer.decode(query)))
    }

    func status(_ v: ExplorerView, _ name: String) -> String? { v.properties.first { $0.name == name }?.status }

    @Test func steppingTheReadmeCounterexampleReachesTheViolation() throws {
        let v0 = try view(Self.readme + "0")
        #expect(status(v0, "UniformAgreement") == "pending")
        #expect(v0.processes.allSatisfy { $0.decision == nil })
        let v2 = try view(Self.readme + "2")
        #expect(status(v2, "UniformAgreement") == "pending")
        let v3 = try view(Self.readme + "3")
        #expect(status(v3, "UniformAgreement") == "violated")
        #expect(status(v3, "Termination") == "holds")
        #expect(v3.processes[0].decision == "[0,1,2,3]")
        #expect(v3.processes[2].decision == "[⊥,1,2,3]")
        #expect(v3.next.isEmpty)
    }

    @Test func changedFieldsAreMarked() throws {
        let v1 = try view(Self.readme + "1")
        // p2 lost p0's message: its trusted set shrinks and its view misses p0.
        let p2 = v1.processes[2]
        let trusted = try #require(p2.fields.first { $0.name == "trusted" })
        #expect(trusted.changed)
        #expect(trusted.value == "{1,2,3}")
        let view = try #require(p2.fields.first { $0.name == "view" })
        #expect(view.value == "[⊥,1,2,3]")
        #expect(view.changed)
        let halted = try #require(p2.fields.first { $0.name == "halted" })
        #expect(!halted.changed)
    }

    @Test func theDiagramHasOneRowPerProcessAndOneArrowPerDeliveredMessage() throws {
        let v2 = try view(Self.readme + "2")
        func count(_ s: String) -> Int { v2.svg.components(separatedBy: s).count - 1 }
        #expect(count("class=\"process\"") == 4)
        // Two rounds of 12 messages between distinct processes, 4 dropped.
        #expect(count("msg delivered") == 20)
        #expect(count("msg dropped") == 4)
    }

    @Test func onlyAdmissibleDropsAreOffered() throws {
        let v = try view("p=uic&v=standard&n=4&t=1&in=&f=1&c=&d=&k=0")
        let correct = try #require(v.next.first { $0.from == 2 && $0.to == 3 })
        #expect(correct.locked?.contains("both correct") == true)
        let faulty = try #require(v.next.first { $0.from == 1 && $0.to == 3 })
        #expect(faulty.locked == nil)
        #expect(v.next.count == 12)
        // A drop between correct processes is refused with the model's reason.
        #expect(throws: PalsError.self) { try view("p=uic&v=standard&n=4&t=1&in=&f=1&c=&d=1:2>3&k=0") }
        // Too many faulty processes.
        do {
            _ = try view("p=uic&v=standard&n=4&t=1&in=&f=1,2&c=&d=&k=0")
            Issue.record("two faulty processes accepted at t = 1")
        } catch let e as PalsError {
            #expect(e.message.contains("t = 1") || e.message.contains("at most"), "\(e.message)")
        }
    }

    @Test func positionsSurviveTheirQuery() throws {
        let p = try ExplorerPosition(query: ExplorerServer.decode(Self.readme + "2"))
        let back = try ExplorerPosition(query: ExplorerServer.decode(ExplorerServer.encode(p.query)))
        #expect(back == p)
        #expect(p.pattern.drops.count == 4)
    }

    @Test func badQueriesAreErrorsNotCrashes() throws {
        let server = ExplorerServer(files: try ExplorerFiles(file: nil))
        for q in [
            "", "p=nope&n=4&t=1&k=0", "p=uic&n=x&t=1&k=0", "p=uic&n=4&t=1&k=9", "p=uic&n=4&t=1&k=0&d=zz",
            "p=uic&n=4&t=1&k=0&f=7", "p=uic&n=4&t=1&k=0&in=1,2", "p=uic&n=100000&t=1&k=0", "p=uic&n=4&t=1&k=0&c=0@1",
            "p=uic&n=4&t=1&k=-1", "p=uic&n=4&t=1&k=0&fm=byzantine",
        ] {
            let (status, body) = server.answer(path: "/api/view", query: q)
            #expect(status == 400, "\(q)")
            #expect(body["error"]?.stringValue?.isEmpty == false, "\(q)")
        }
        #expect(server.answer(path: "/api/nothing", query: "").status == 404)
    }

    @Test func everyCataloguedProtocolHasAView() throws {
        for e in Catalog.entries {
            for variant in e.variants {
                let v = try view("p=\(e.name)&v=\(variant)&n=3&t=1&in=&f=0&c=&d=1:0>1&k=1")
                #expect(v.processes.count == 3)
                #expect(!v.properties.isEmpty)
            }
        }
    }
}

@Suite(.timeLimit(.minutes(10))) struct ExplorerFilesTests {
    func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pals-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("inner"), withIntermediateDirectories: true)
        return dir
    }

    static var readmeFile: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("counterexamples/uic-standard-n4-t2-r3-UniformAgreement.json")
    }

    @Test func aCounterexampleOpensAtItsRun() throws {
        let files = try ExplorerFiles(file: Self.readmeFile.path)
        let opened = try files.open(try #require(files.initial))
        #expect(opened["kind"]?.stringValue == "counterexample")
        let query = try #require(opened["query"]?.stringValue)
        let p = try ExplorerPosition(query: ExplorerServer.decode(query))
        #expect(p.spec.n == 4 && p.spec.t == 2 && p.round == 0)
        #expect(p.pattern.faulty == ProcessSet([0, 1]))
    }

    @Test func pathsNeverLeaveTheFolder() throws {
        let dir = try folder()
        let inside = dir.appendingPathComponent("inner/cx.json")
        try Data(try String(contentsOf: Self.readmeFile, encoding: .utf8).utf8).write(to: inside)
        try FileManager.default.createSymbolicLink(
            at: dir.appendingPathComponent("inner/escape.json"), withDestinationURL: URL(fileURLWithPath: "/etc/passwd")
        )
        let files = try ExplorerFiles(file: inside.path)
        #expect(try files.open("cx.json")["kind"]?.stringValue == "counterexample")
        for bad in ["../cx.json", "/etc/passwd", "escape.json", "../../../../etc/hostname", "", "inner/../../x"] {
            do {
                _ = try files.open(bad)
                Issue.record("opened \(bad)")
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test func malformedFilesAreErrorsThatNameTheFile() throws {
        let dir = try folder()
        let cases: [Data] = [
            Data("{".utf8), Data("[]".utf8), Data("{\"schema\":\"trustedpals/counterexample/v1\"}".utf8),
            Data("{\"cells\":[{\"n\":1}]}".utf8), Data([0xFF, 0xFE, 0x00]),
        ]
        for (k, bytes) in cases.enumerated() {
            try bytes.write(to: dir.appendingPathComponent("bad\(k).json"))
        }
        let files = try ExplorerFiles(file: dir.appendingPathComponent("bad0.json").path)
        for k in cases.indices {
            do {
                _ = try files.open("bad\(k).json")
                Issue.record("accepted bad\(k).json")
            } catch {
                #expect(error.message.contains("bad\(k).json"), "\(error.message)")
            }
        }
        let server = ExplorerServer(files: files)
        let answer = server.answer(path: "/api/opened", query: "")
        #expect(answer.status == 400)
    }
}
