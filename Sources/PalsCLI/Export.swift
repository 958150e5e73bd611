import ArgumentParser
import Foundation
import PalsCore
import PalsProtocols

/// Simulates a counterexample's run and writes it as an ITF trace.
struct ITFExportVisitor: ConcreteModelVisitor {
    typealias Result = ITFTrace
    var counterexample: CounterexampleFile

    func visit<P: RoundProtocol & Sendable>(
        _ proto: P, properties: [Property<P>], describe: @escaping (P.State) -> String
    ) throws -> ITFTrace where P.L == Concrete, P.State: Hashable {
        guard let describable = proto as? any ITFDescribable else {
            throw PalsError(.invalidArgument, "\(counterexample.protocolName) has no ITF description of its states")
        }
        return try trace(describable)
    }

    private func trace<Q: ITFDescribable>(_ q: Q) throws -> ITFTrace {
        let cx = counterexample
        let run = try simulate(q, inputs: cx.inputs, pattern: cx.pattern, model: cx.faultModel)
        return ITFTrace.of(run, protocol: q, t: cx.t, header: cx.itfHeader)
    }
}

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

    @Option(help: "smc with a user's F: the .wasm module (default: the path recorded in the file); refused unless its SHA-256 is the recorded one.")
    var function: String?

    func run() throws {
        guard format == "itf" else {
            throw PalsError(.invalidArgument, "unknown format \"\(format)\"; known: itf")
        }
        let cx = try CounterexampleFile.read(try readText(file), what: file)
        guard cx.inputs.count == cx.n else {
            throw PalsError(.malformedFile, "\(file): \(cx.inputs.count) inputs for n = \(cx.n)")
        }
        try loadRecordedFunction(variant: cx.variant, recorded: cx.function?.path, given: function, file: file)
        let spec = ModelSpec(protocolName: cx.protocolName, variant: cx.variant, n: cx.n, t: cx.t, rounds: cx.rounds)
        let itf: ITFTrace
        do {
            itf = try Catalog.visit(spec, ITFExportVisitor(counterexample: cx))
        } catch let e as PalsError {
            throw PalsError(e.kind == .unknownProtocol ? .unknownProtocol : .malformedFile, "\(file): \(e.message)")
        }
        let text = itf.json.pretty + "\n"
        if let out {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            } catch {
                throw PalsError(.invalidArgument, "cannot write \(out): \(error.localizedDescription)")
            }
        } else {
            print(text, terminator: "")
        }
    }
}
