import Foundation
import PalsCore
import Testing
import TrustedPals

/// A request computes what its command shows (`perform()`), without
/// printing: the output text and the exit status, files written as it goes.
@Suite(.serialized, .timeLimit(.minutes(10))) struct RequestResultTests {
    private func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pals-request-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    @Test func checkReturnsItsTextAndStatus() throws {
        let out = try scratch()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let violated = try CheckRequest(protocolName: "uic", n: 4, t: 2, model: ModelParameters(), out: out).perform()
        #expect(violated.exitStatus == 1)
        #expect(violated.output.contains("verdict: violated\n"))
        #expect(violated.output.contains(out + "/uic-standard-n4-t2-r3-UniformAgreement.json"))
        #expect(FileManager.default.fileExists(atPath: out + "/uic-standard-n4-t2-r3-UniformAgreement.json"))
        let holds = try CheckRequest(protocolName: "uic", n: 3, t: 1, model: ModelParameters(), out: out).perform()
        #expect(holds.exitStatus == 0 && holds.output.contains("verdict: holds\n"))
        var symbolic = ModelParameters(engine: .symbolic)
        symbolic.json = true
        let solved = try CheckRequest(protocolName: "uic", n: 4, t: 2, model: symbolic, out: out).perform()
        #expect(solved.exitStatus == 1)
        let json = try JSON.parse(solved.output)
        #expect(json["engine"]?.stringValue == "symbolic" && json["verdict"]?.stringValue == "violated")
    }

    @Test func boundsAndReplayReturnTheirTablesAndStatuses() throws {
        let out = try scratch()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let table = try BoundsRequest(protocolName: "uic", n: "2...4", model: ModelParameters(), out: out).perform()
        #expect(table.exitStatus == 1)
        #expect(table.output.contains("holds exactly when t < n/2 in every cell"))
        let file = out + "/uic-standard-n4-t2-r3-UniformAgreement.json"
        let replay = try ReplayRequest(file: file).perform()
        #expect(replay.exitStatus == 1 && replay.output.contains("UniformAgreement is still violated."))
    }
}
