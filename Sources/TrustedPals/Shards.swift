import Foundation
import PalsCore
import PalsExplorer

/// `shard` ("I/K"): parsed, and only with JSON output (the merge reads
/// JSON) and without an HTML report (a shard is not a whole report).
public func parseShardOption(_ text: String?, json: Bool, html: String?) throws(PalsError) -> Shard? {
    guard let text else { return nil }
    let shard = try Shard(parsing: text)
    guard json else {
        throw PalsError(.invalidArgument, "⟪shard⟫ needs ⟪json⟫: the shards' JSON outputs are combined by `pals merge`")
    }
    guard html == nil else {
        throw PalsError(.invalidArgument, "⟪shard⟫ and ⟪html⟫ do not go together: write the report from the merged run")
    }
    return shard
}

/// Where `writeFile(dir:name:text:)` would write: a shard does not write its
/// counterexample files (their text is in its JSON; the merge writes them).
public func shardFilePath(dir: String, name: String) -> String { (dir as NSString).appendingPathComponent(name) }

/// The counterexample files of a report, by property.
public func mergedFiles(_ found: [FoundCounterexample]) -> [String: MergedFile] {
    var files: [String: MergedFile] = [:]
    for c in found {
        if let path = c.path { files[c.file.property] = MergedFile(path: path, text: c.file.text) }
    }
    return files
}

/// The parameters of `pals merge` as a value; `run()` performs it: reads the
/// shards' JSON outputs, writes the merged run's counterexample files and
/// prints its JSON.
public struct MergeRequest {
    /// The shards' JSON outputs.
    public var files: [String]

    /// A merge of the shards' JSON outputs at the paths `files`.
    public init(files: [String]) { self.files = files }

    /// Performs the command and prints its output (`perform()`, then
    /// `CommandResult.emit()`).
    ///
    /// - Throws: what `perform()` throws; `ExitStatus` for a non-zero status.
    public func run() throws { try perform().emit() }

    /// Reads every shard's output, writes the merged run's counterexample files
    /// and returns the merged JSON.
    ///
    /// - Throws: `PalsError` for an unreadable file or outputs that are not
    ///   exactly the shards of one run; the exit status of the merged verdict's
    ///   status when it is not 0.
    public func perform() throws -> CommandResult {
        var shown = CommandResult()
        var documents: [(name: String, text: String)] = []
        for f in files {
            guard let data = FileManager.default.contents(atPath: f) else {
                throw PalsError(.invalidArgument, "cannot read \(f)")
            }
            documents.append((f, String(decoding: data, as: UTF8.self)))
        }
        let merged = try ShardMerge.merge(documents)
        for file in merged.files {
            let url = URL(fileURLWithPath: file.path)
            _ = try writeFile(dir: url.deletingLastPathComponent().path, name: url.lastPathComponent, text: file.text)
        }
        shown.line(merged.json.compact)
        if merged.exitStatus != 0 { return shown.ending(merged.exitStatus) }
        return shown
    }
}
