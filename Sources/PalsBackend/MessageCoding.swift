import PalsCore

/// How one protocol's messages travel over the backend protocol (DESIGN §6,
/// `specs/backend-protocol.md`): the reference JSON encoding of a message.
///
/// The oracle itself passes a backend's messages on unchanged and never needs
/// to read them; the encoding is used to compare a backend's messages with the
/// model's (`--strict`) and by `BackendServer`, which serves our own
/// implementation and must read the messages it is delivered.
public protocol MessageCoding: Sendable {
    associatedtype P: RoundProtocol where P.L == Concrete
    /// The reference encoding of `message`.
    func encode(_ message: P.Message) -> JSON
    /// Reads a message in the reference encoding; the error says what is wrong.
    func decode(_ json: JSON) throws(PalsError) -> P.Message
}

/// The wire form of decisions and inputs, shared by every protocol whose
/// decision is a vector with one entry per process (DESIGN §6).
public enum DecisionCoding {
    /// `{"decided":true,"value":[v or null, …]}` or `{"decided":false}`.
    public static func encode(_ d: Decision<Concrete>) -> JSON {
        guard d.decided else { return .object([("decided", .bool(false))]) }
        return .object([
            ("decided", .bool(true)),
            ("value", .array(d.value.map { $0 == Concrete.bottomValue ? .null : .int($0) })),
        ])
    }

    /// Reads a `decision` reply: nil when the process did not decide, else its
    /// vector (nil entries = ⊥). Returns a description of the problem when the
    /// reply is not of that form.
    public static func decode(_ reply: JSON, n: Int) -> Result<[Int?]?, DecodeProblem> {
        guard let decided = reply["decided"]?.boolValue else {
            return .failure(DecodeProblem("a decision reply needs a boolean \"decided\""))
        }
        guard decided else { return .success(nil) }
        guard let value = reply["value"]?.arrayValue else {
            return .failure(DecodeProblem("a decision with \"decided\":true needs an array \"value\""))
        }
        guard value.count == n else {
            return .failure(DecodeProblem("the decided vector has \(value.count) entries but n = \(n)"))
        }
        var out: [Int?] = []
        for v in value {
            if v.isNull {
                out.append(nil)
            } else if let i = v.intValue, i != Concrete.bottomValue {
                out.append(i)
            } else {
                return .failure(DecodeProblem("decided vector entries must be integers or null, got \(v.compact)"))
            }
        }
        return .success(out)
    }

    /// A decision in the model's form.
    public static func decision(_ v: [Int?]?, n: Int) -> Decision<Concrete> {
        guard let v else { return Decision.none(n) }
        return Decision(decided: true, value: v.map { $0 ?? Concrete.bottomValue })
    }

    /// A reply that does not have the required shape.
    public struct DecodeProblem: Error, Sendable {
        /// What is wrong with the reply, in words.
        public let message: String
        /// A problem described by `message`.
        public init(_ message: String) { self.message = message }
    }
}

extension JSON {
    /// Equality that ignores the order of object keys (a backend may write
    /// `{"silent":…,"view":…}` in any order).
    public func sameValue(as other: JSON) -> Bool {
        switch (self, other) {
        case let (.array(a), .array(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameValue(as: $1) }
        case let (.object(a), .object(b)):
            guard a.count == b.count else { return false }
            for (key, value) in a {
                guard let o = other[key], value.sameValue(as: o) else { return false }
            }
            return true
        default:
            return self == other
        }
    }
}
