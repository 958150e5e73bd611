import Foundation
import PalsCore
import PalsProtocols
import PalsRuntime

/// The files the explorer may open: the file it was started with and, from
/// the page, files in that file's folder (a bounds table's counterexamples).
/// A path that leaves the folder, through `..` or a symbolic link, is refused.
public struct ExplorerFiles: Sendable {
    /// The folder every opened file must lie in (symbolic links resolved).
    public let folder: URL
    /// The file given on the command line, relative to `folder`.
    public let initial: String?

    /// The largest file the explorer reads.
    public static let maxBytes = 16 << 20

    /// - Parameter file: the file to open first; its folder bounds every
    ///   later request. Without a file, the current folder bounds them.
    public init(file: String?) throws(PalsError) {
        if let file {
            let url = URL(fileURLWithPath: file).standardizedFileURL.resolvingSymlinksInPath()
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue
            else {
                throw PalsError(.malformedFile, "cannot read \(file)")
            }
            folder = url.deletingLastPathComponent()
            initial = url.lastPathComponent
        } else {
            folder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL
                .resolvingSymlinksInPath()
            initial = nil
        }
    }

    /// The file at `path` (relative to `folder`, or absolute inside it).
    public func resolve(_ path: String) throws(PalsError) -> URL {
        guard !path.isEmpty, !path.contains("\u{0}") else { throw PalsError(.invalidArgument, "no file named") }
        let raw = path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
        let url = raw.standardizedFileURL.resolvingSymlinksInPath()
        guard url.path.hasPrefix(folder.path.hasSuffix("/") ? folder.path : folder.path + "/") else {
            throw PalsError(.invalidArgument, "\(path) is outside the folder of the opened file")
        }
        return url
    }

    /// Opens `path` and describes it for the page: its kind, the explorer
    /// position of its run (`query`), other runs it holds (`alternatives`),
    /// and for a bounds table its grid.
    public func open(_ path: String) throws(PalsError) -> JSON {
        let url = try resolve(path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw PalsError(.malformedFile, "cannot read \(path)")
        }
        guard data.count <= Self.maxBytes else {
            throw PalsError(.malformedFile, "\(path) is larger than \(Self.maxBytes >> 20) MB")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PalsError(.malformedFile, "\(path) is not UTF-8 text")
        }
        let j: JSON
        do {
            j = try JSON.parse(text)
        } catch {
            throw PalsError(.malformedFile, "\(path): \(error.template)")
        }
        func position(_ spec: ModelSpec, inputs: [Int], pattern: FailurePattern, model: FaultModel) -> String {
            let p = ExplorerPosition(spec: spec, inputs: inputs, pattern: pattern, round: 0, faultModel: model)
            return ExplorerServer.encode(p.query)
        }
        func described(
            _ kind: String, _ query: String?, note: String, alternatives: [(String, String)] = [], grid: JSON = .null
        ) -> JSON {
            .object([
                ("file", .string(path)), ("kind", .string(kind)), ("note", .string(note)),
                ("query", query.map { .string($0) } ?? .null),
                (
                    "alternatives",
                    .array(alternatives.map { .object([("label", .string($0.0)), ("query", .string($0.1))]) })
                ),
                ("grid", grid),
            ])
        }
        let schema = j["schema"]?.stringValue
        if ITFTrace.isITF(j) || schema == CounterexampleFile.schemaID {
            let cx: CounterexampleFile
            do {
                cx = try CounterexampleFile.read(text, what: path)
            } catch {
                throw PalsError(
                    .malformedFile, error.message.hasPrefix(path) ? error.message : "\(path): \(error.template)")
            }
            let spec = ModelSpec(
                protocolName: cx.protocolName, variant: cx.variant, n: cx.n, t: cx.t, rounds: cx.rounds)
            return described(
                ITFTrace.isITF(j) ? "ITF trace" : "counterexample",
                position(spec, inputs: cx.inputs, pattern: cx.pattern, model: cx.faultModel),
                note: "\(cx.property) fails after round \(cx.violatedAfterRound); step with j to watch it happen")
        }
        if schema == "trustedpals/noninterference/v1" {
            guard let name = j["protocol"]?.stringValue, let variant = j["variant"]?.stringValue,
                let n = j["n"]?.intValue,
                let t = j["t"]?.intValue, let rounds = j["rounds"]?.intValue,
                let a = j["inputsA"]?.arrayValue?.compactMap(\.intValue),
                let b = j["inputsB"]?.arrayValue?.compactMap(\.intValue),
                a.count == n, b.count == n
            else {
                throw PalsError(
                    .malformedFile,
                    "\(path): a noninterference file needs protocol, variant, n, t, rounds, inputsA, inputsB")
            }
            let pattern = try FailurePattern(json: j, what: path)
            let spec = ModelSpec(protocolName: name, variant: variant, n: n, t: t, rounds: rounds)
            let host = j["host"]?.intValue.map { "p\($0)" } ?? "a faulty host"
            let round = j["round"]?.intValue.map(String.init) ?? "?"
            return described(
                "noninterference", position(spec, inputs: a, pattern: pattern, model: .generalOmission),
                note: "\(host) tells run A from run B in round \(round)",
                alternatives: [
                    ("run A", position(spec, inputs: a, pattern: pattern, model: .generalOmission)),
                    ("run B", position(spec, inputs: b, pattern: pattern, model: .generalOmission)),
                ])
        }
        if schema == RunTrace.schemaID {
            let run = try RunTrace.parse(text)
            let spec = ModelSpec(
                protocolName: run.protocolName, variant: run.variant, n: run.n, t: run.t, rounds: run.rounds)
            return described(
                "run trace",
                position(spec, inputs: run.inputs, pattern: run.adversary.pattern, model: .generalOmission),
                note: "the injected failure pattern of this runtime run (pals oracle compares the realized one)")
        }
        if let cells = j["cells"]?.arrayValue {
            var ts: [Int] = []
            var byN: [Int: [Int: JSON]] = [:]
            for c in cells {
                guard let n = c["n"]?.intValue, let t = c["t"]?.intValue, c["verdict"]?.stringValue != nil else {
                    throw PalsError(.malformedFile, "\(path): every cell of a bounds table needs n, t and verdict")
                }
                if !ts.contains(t) { ts.append(t) }
                byN[n, default: [:]][t] = c
            }
            ts.sort()
            let rows: [JSON] = byN.keys.sorted().map { n in
                .object([
                    ("n", .int(n)),
                    (
                        "cells",
                        .array(
                            ts.map { t in
                                guard let c = byN[n]?[t] else { return .null }
                                return .object([
                                    ("verdict", .string(c["verdict"]?.stringValue ?? "")),
                                    ("counterexample", c["counterexample"].flatMap { $0.isNull ? nil : $0 } ?? .null),
                                ])
                            })
                    ),
                ])
            }
            return described(
                "bounds table", nil, note: "a cell opens its counterexample",
                grid: .object([("ts", .array(ts.map { .int($0) })), ("rows", .array(rows))]))
        }
        throw PalsError(
            .malformedFile,
            "\(path) is neither a counterexample, an ITF trace, a noninterference file, a run trace nor a bounds table (--json)"
        )
    }
}
