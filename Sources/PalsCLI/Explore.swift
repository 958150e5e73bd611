import ArgumentParser
import Foundation
import PalsCore
import PalsWeb
import Synchronization

struct ExploreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Serve the interactive explorer: step through runs in a browser.",
        discussion: """
            Prints the address to open. Pick a protocol, n, t and inputs; choose per message of the next round \
            whether it is dropped (only what general omission allows), mark processes faulty or crashed, step \
            with j and go back with k; the address encodes the run, so a state can be shared. With FILE (a \
            counterexample, an ITF trace, a noninterference file, a run trace or a `pals bounds --json` table) \
            the explorer opens it; files are then read only from FILE's folder. Serves 127.0.0.1 and answers \
            loopback requests only unless --host names another address. Ctrl-C stops it.
            """)

    @Argument(help: "A file to open.")
    var file: String?

    @Option(parsing: .unconditional, help: "Port to listen on (default: a free one, printed).")
    var port = 0

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    func run() throws {
        guard (0...65535).contains(port) else {
            throw PalsError(.invalidArgument, "--port \(port) is out of range 0…65535")
        }
        let files = try ExplorerFiles(file: file)
        let server = ExplorerServer(host: host, port: port, files: files)
        let failure = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let shownHost = host.contains(":") ? "[\(host)]" : host
        Task {
            do {
                try await server.run { port in
                    let line =
                        "pals explore: http://\(shownHost):\(port)/" + (files.initial.map { " (opened \($0))" } ?? "")
                        + "\n"
                    FileHandle.standardOutput.write(Data(line.utf8))
                }
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
            done.signal()
        }
        done.wait()
        if let message = failure.withLock({ $0 }) {
            throw PalsError(.invalidArgument, "cannot serve on \(host):\(port): \(message)")
        }
    }
}
