import Foundation
import PalsCore
import PalsTestSupport
import Testing

/// One name, one content: for a protocol, variant, n, t, fault model and
/// property, the counterexample file is the same whichever engine or search
/// found the violation — `check` (breadth-first), `check --first`
/// (depth-first), `check --symmetry`, `check --engine symbolic` and `bounds` —
/// and it is the committed file of that name where one is committed. The
/// cells run one after the other: each starts five `pals` processes.
@Suite(.serialized, .timeLimit(.minutes(10))) struct CanonicalCounterexampleTests {
    struct Cell: Sendable, CustomStringConvertible {
        var protocolName: String
        var variant: String
        var n: Int
        var t: Int
        var description: String { "\(protocolName)/\(variant) (\(n),\(t))" }
    }

    static let cells = [
        Cell(protocolName: "uic", variant: "standard", n: 3, t: 2),
        Cell(protocolName: "uic", variant: "standard", n: 4, t: 2),
        Cell(protocolName: "uic", variant: "standard", n: 4, t: 3),
        Cell(protocolName: "uic", variant: "no-trust-check", n: 3, t: 1),
        Cell(protocolName: "uic", variant: "no-halting", n: 3, t: 1),
        Cell(protocolName: "uic", variant: "t-rounds", n: 3, t: 1),
        Cell(protocolName: "floodset", variant: "standard", n: 3, t: 1),
    ]

    /// The files a run wrote, by name.
    static func files(in folder: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".json") {
            out[name] = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
        }
        return out
    }

    @Test(arguments: cells)
    func everyEngineWritesTheSameFile(cell: Cell) throws {
        let base = ["--variant", cell.variant, "--n", "\(cell.n)"]
        let runs: [(String, [String])] = [
            ("check", ["check", cell.protocolName] + base + ["--t", "\(cell.t)"]),
            ("check --first", ["check", cell.protocolName] + base + ["--t", "\(cell.t)", "--first"]),
            ("check --symmetry", ["check", cell.protocolName] + base + ["--t", "\(cell.t)", "--symmetry"]),
            (
                "check --engine symbolic",
                ["check", cell.protocolName] + base + ["--t", "\(cell.t)", "--engine", "symbolic"]
            ),
            ("bounds", ["bounds", cell.protocolName, "--variant", cell.variant, "--n", "\(cell.n)...\(cell.n)"]),
        ]
        var written: [(String, [String: String])] = []
        for (label, arguments) in runs {
            let out = try PalsRunner.temporaryDirectory().path
            defer { try? FileManager.default.removeItem(atPath: out) }
            let r = try PalsRunner.run(arguments + ["--out", out])
            #expect(r.status == 1, "\(cell) \(label): \(r.stderr)")
            // bounds writes every violated t of the row: keep this cell's files.
            let tag = "-n\(cell.n)-t\(cell.t)-"
            written.append((label, try Self.files(in: out).filter { $0.key.contains(tag) }))
        }
        let reference = try #require(written.first?.1)
        #expect(!reference.isEmpty, "\(cell): no counterexample written")
        let committed = PalsRunner.repository.appendingPathComponent("counterexamples").path
        for (name, text) in reference.sorted(by: { $0.key < $1.key }) {
            for (label, files) in written.dropFirst() {
                // The first-violation searches stop early and may write fewer
                // properties; every file they do write must be the same.
                guard let other = files[name] else {
                    #expect(label != "check --symmetry", "\(cell) \(label) wrote no \(name)")
                    continue
                }
                #expect(other == text, "\(cell): \(label) wrote another \(name):\n\(other)\nvs check:\n\(text)")
            }
            if let committedText = try? String(contentsOfFile: committed + "/" + name, encoding: .utf8) {
                #expect(committedText == text, "\(cell): the committed \(name) differs from what check writes")
            }
        }
    }
}
