import Foundation
import PalsCore
import PalsProtocols
import Testing
import TrustedPals

/// Issue 3: the symbolic and explicit engines give identical verdicts on every
/// model of `specs/manifest.json` that both can run. Each complete explicit
/// entry (not stopped at the first violation) records the explicit engine's
/// verdict and violated properties; the symbolic engine must find exactly the
/// same ones.
@Suite(.timeLimit(.minutes(10))) struct EngineManifestAgreementTests {
    struct Entry: Sendable, CustomStringConvertible {
        var json: JSON
        var description: String { json.compact }
    }

    static var explicitEntries: [Entry] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("specs/manifest.json")
        guard let data = FileManager.default.contents(atPath: url.path),
            let json = try? JSON.parse(String(decoding: data, as: UTF8.self))
        else { return [] }
        return (json["entries"]?.arrayValue ?? []).filter {
            $0["engine"]?.stringValue == "explicit" && $0["first"]?.boolValue != true
        }.map(Entry.init)
    }

    @Test func thereAreEntriesToCompare() {
        #expect(Self.explicitEntries.count >= 20)
    }

    @Test(arguments: explicitEntries)
    func symbolicAgreesWithExplicit(entry: Entry) throws {
        let j = entry.json
        let spec = ModelSpec(
            protocolName: try #require(j["protocol"]?.stringValue), variant: j["variant"]?.stringValue ?? "standard",
            n: try #require(j["n"]?.intValue), t: try #require(j["t"]?.intValue), rounds: j["rounds"]?.intValue)
        let faults = FaultModel(rawValue: j["faults"]?.stringValue ?? "omission") ?? .generalOmission
        let r = try runSymbolicCheck(spec: spec, faultModel: faults)
        let violated = r.properties.filter { $0.status == .violated }.map(\.name).sorted()
        #expect(r.verdict.rawValue == j["expect"]?.stringValue, "\(spec)")
        #expect(violated == (j["violated"]?.arrayValue ?? []).compactMap(\.stringValue), "\(spec)")
    }
}
