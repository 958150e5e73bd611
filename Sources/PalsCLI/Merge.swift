import ArgumentParser
import Foundation
import PalsCore
import PalsExplorer

/// `--shard I/K`: parsed, and only with --json (the merge reads JSON) and
/// without --html (a shard is not a whole report).
func parseShardOption(_ text: String?, json: Bool, html: String?) throws(PalsError) -> Shard? {
    guard let text else { return nil }
    let shard = try Shard(parsing: text)
    guard json else {
        throw PalsError(.invalidArgument, "--shard needs --json: the shards' JSON outputs are combined by `pals merge`")
    }
    guard html == nil else { throw PalsError(.invalidArgument, "--shard and --html do not go together: write the report from the merged run") }
    return shard
}

/// Where `writeFile(dir:name:text:)` would write: a shard does not write its
/// counterexample files (their text is in its JSON; `pals merge` writes them).
func shardFilePath(dir: String, name: String) -> String { (dir as NSString).appendingPathComponent(name) }

/// The counterexample files of a report, by property.
func mergedFiles(_ found: [FoundCounterexample]) -> [String: MergedFile] {
    var files: [String: MergedFile] = [:]
    for c in found {
        if let path = c.path { files[c.file.property] = MergedFile(path: path, text: c.file.text) }
    }
    return files
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the --json outputs of the shards of one run (--shard I/K) into what the unsharded run prints.",
        discussion: """
            Each FILE is the output of `pals check`, `bounds` or `fairness` run with \
            --shard I/K --json; together they must be the K shards of one run (the same \
            command and options, each I once). Prints the unsharded run's JSON (verdicts, \
            the counterexample the unsharded run reports, summed counts; "seconds" is \
            the shards' sum) and writes its counterexample files.

            Exit status: as the unsharded command (0 holds, 1 violated, 3 unknown, 4 \
            internal error); 2 when the files are not the complete shards of one run \
            (another protocol, n, t, option or K; a shard missing or given twice).
            """)

    @Argument(help: "The shards' JSON outputs.")
    var files: [String] = []

    func run() throws {
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
        print(merged.json.compact)
        if merged.exitStatus != 0 { throw ExitCode(merged.exitStatus) }
    }
}
