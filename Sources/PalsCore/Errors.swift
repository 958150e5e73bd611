/// An error a user can cause: bad n/t, a bad failure pattern, a malformed file.
/// The message says what is wrong and, where it can, what to do.
///
/// A message names the parameters of the call that caused it in the
/// library's terms, written `⟪name⟫` in `template` (e.g. `⟪roundTimeout⟫`):
/// `message` shows the bare name, and a front end shows its own name for the
/// parameter with `message(naming:)` (the command line: `--round-timeout`).
public struct PalsError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The kinds of mistake a `PalsError` reports; the raw value is the case name.
    public enum Kind: String, Sendable {
        /// n, t, rounds, inputs or another argument out of range.
        case invalidArgument
        /// A failure pattern outside general omission with at most t faulty.
        case inadmissiblePattern
        /// A file that does not parse or lacks a required field.
        case malformedFile
        /// A file of another schema version.
        case unsupportedSchema
        /// A protocol or variant the tool does not know.
        case unknownProtocol
    }

    /// The kind of mistake: a bad argument, pattern, file, schema or protocol name.
    public let kind: Kind
    /// The message with each parameter written `⟪name⟫`.
    public let template: String

    /// An error of `kind` whose message is `message`, parameters written `⟪name⟫` (see `parameter(_:)`).
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.template = message
    }

    /// `⟪name⟫`: a parameter named in a message.
    public static func parameter(_ name: String) -> String { "⟪\(name)⟫" }

    /// The message, each parameter under its library name.
    public var message: String { message(naming: { $0 }) }

    /// The message, each parameter under the name `naming` gives it.
    public func message(naming: (String) -> String) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "⟪"), let close = rest[open...].firstIndex(of: "⟫") {
            out += rest[..<open]
            out += naming(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// The same error with `prefix` before its message (a file's name).
    public func prefixed(_ prefix: String) -> PalsError { PalsError(kind, prefix + template) }

    /// The message, each parameter under its library name (same as `message`).
    public var description: String { message }
}

extension PalsError {
    /// `text` safe to print on a terminal: control characters (other than
    /// line feeds and tabs) and invisible format characters such as the
    /// bidirectional overrides (U+202E) are written as `\u{…}`, so that a
    /// file name or argument quoted in a message cannot rewrite what the
    /// user sees.
    public static func printable(_ text: String) -> String {
        var out = ""
        for u in text.unicodeScalars {
            let category = u.properties.generalCategory
            let hidden =
                (category == .control && u != "\n" && u != "\t") || category == .format
                || category == .lineSeparator || category == .paragraphSeparator
            if hidden {
                out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
