import PalsCore

#if canImport(Glibc)
    import Glibc
#endif

/// The sessions a module has begun (DESIGN §5, fresh sessions): a module
/// never begins a session id twice, so a (key, nonce) pair is never used for
/// two different plaintexts and frames recorded in an earlier instance never
/// open in a later one. A card keeps such a record in its own memory; a
/// module process keeps it in a file beside its key.
public protocol SessionRecord: AnyObject {
    /// Records `session` as begun. Returns false when it was begun before
    /// (the module then refuses the session). Throws when the record cannot
    /// be kept (the module then refuses too: a session it could not record
    /// could be begun again).
    func claim(_ session: SessionID) throws(PalsError) -> Bool
}

/// A record held in memory: for modules that live as long as their keys
/// (tests, in-process campaigns whose keys are fresh).
public final class MemorySessionRecord: SessionRecord {
    private var begun: Set<SessionID> = []

    /// An empty record.
    public init() {}

    /// Records `session` in memory; false when it was begun before. Never throws.
    public func claim(_ session: SessionID) throws(PalsError) -> Bool {
        begun.insert(session).inserted
    }
}

/// A record persisted in a file: 8 bytes per begun session, appended and
/// flushed to disk before the module answers BEGIN. The file is created with
/// mode 600 and never through a symbolic link.
public final class FileSessionRecord: SessionRecord {
    /// The record file: 8 bytes per begun session.
    public let path: String
    private var begun: Set<SessionID> = []

    /// Opens (or creates) the record at `path`.
    public init(path: String) throws(PalsError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw PalsError(
                .invalidArgument, "session record \(path): cannot open (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else {
                throw PalsError(
                    .invalidArgument, "session record \(path): cannot read (\(String(cString: strerror(errno))))")
            }
            if got == 0 { break }
            bytes.append(contentsOf: chunk[0..<got])
        }
        guard bytes.count % 8 == 0 else {
            throw PalsError(
                .malformedFile,
                "session record \(path): \(bytes.count) bytes is not a whole number of 8-byte session ids")
        }
        for k in stride(from: 0, to: bytes.count, by: 8) {
            begun.insert(try SessionID(bytes: Array(bytes[k..<(k + 8)])))
        }
    }

    /// Appends `session` to the file and flushes it to disk before answering; false when it was begun before.
    /// - Throws: `invalidArgument` when the file cannot be opened, written or flushed; the session then stays
    ///   unrecorded.
    public func claim(_ session: SessionID) throws(PalsError) -> Bool {
        guard !begun.contains(session) else { return false }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw PalsError(
                .invalidArgument, "session record \(path): cannot open (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        let written = session.bytes.withUnsafeBytes { write(fd, $0.baseAddress, 8) }
        guard written == 8, fsync(fd) == 0 else {
            throw PalsError(
                .invalidArgument, "session record \(path): cannot append (\(String(cString: strerror(errno))))")
        }
        begun.insert(session)
        return true
    }

    /// The record beside a key file: `key-3.json` → `key-3.sessions`.
    public static func path(besideKey keyPath: String) -> String {
        if keyPath.hasSuffix(".json") { return String(keyPath.dropLast(5)) + ".sessions" }
        return keyPath + ".sessions"
    }
}
