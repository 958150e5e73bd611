import PalsCore
import Testing

@Suite(.timeLimit(.minutes(10))) struct ErrorTests {
    @Test func parametersShowUnderTheLibraryNameOrTheCallersName() {
        let e = PalsError(.invalidArgument, "⟪roundTimeout⟫ must be 1…3600000 milliseconds, got 0 (see ⟪M⟫)")
        #expect(e.message == "roundTimeout must be 1…3600000 milliseconds, got 0 (see M)")
        #expect(e.description == e.message)
        let flags = e.message(naming: { $0 == "M" ? "--M" : "--round-timeout" })
        #expect(flags == "--round-timeout must be 1…3600000 milliseconds, got 0 (see --M)")
    }

    @Test func aMessageWithoutParametersIsUnchanged() {
        let e = PalsError(.malformedFile, "x.json: expected {\"faulty\":[…]} ⟪ unbalanced")
        #expect(e.message == e.template)
        #expect(e.message(naming: { _ in "?" }) == e.template)
    }

    @Test func aPrefixKeepsTheParameters() {
        let e = PalsError(.invalidArgument, "⟪fuel⟫ must be at least 1").prefixed("f.wasm: ")
        #expect(e.message(naming: { "--" + $0 }) == "f.wasm: --fuel must be at least 1")
        #expect(e.kind == .invalidArgument)
    }

    @Test func printableEscapesControlAndInvisibleFormatCharacters() {
        #expect(
            PalsError.printable("a\u{202E}b\u{1B}[31mc\u{7F}d\u{200B}e") == "a\\u{202E}b\\u{1B}[31mc\\u{7F}d\\u{200B}e")
        // Line feeds, tabs and ordinary text (accents, arrows, ⊥) pass through.
        let plain = "error: p0 → p1 dropped\n\tcafé ⊥ ρ"
        #expect(PalsError.printable(plain) == plain)
        #expect(PalsError.printable("x\u{2028}y\u{0085}z") == "x\\u{2028}y\\u{85}z")
    }
}
