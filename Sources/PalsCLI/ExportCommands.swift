import ArgumentParser
import Foundation
import PalsCore
import PalsProtocols
import TrustedPals

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a counterexample file in another format.",
        discussion: """
            itf: the Informal Trace Format of Apalache and Quint (read by itf-py, itf-rs and the ITF trace viewer): \
            one state before round 1 and one after every round, each with every variable; the round's delivered and \
            dropped messages in the state's #meta. `pals replay` reads the ITF files it writes.
            """)
    @Argument(help: "The format: itf.")
    var format: String
    @Argument(help: "A counterexample file.")
    var file: String
    @Option(help: "Write to this file instead of standard output.")
    var out: String?
    @Option(
        help:
            "smc with a user's F: the .wasm module (default: the path recorded in the file); refused unless its SHA-256 is the recorded one."
    )
    var function: String?

    func run() throws { try ExportRequest(format: format, file: file, out: out, function: function).perform().show() }
}
