/// An error a user can cause: bad n/t, a bad failure pattern, a malformed file.
/// The message says what is wrong and, where it can, what to do.
public struct PalsError: Error, CustomStringConvertible, Equatable, Sendable {
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

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
