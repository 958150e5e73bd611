import Foundation

/// Runs the built `pals` executable (it sits next to the test bundle), for
/// the end-to-end tests of every target that depends on the `pals` product.
public enum PalsRunner {
    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// SwiftPM puts products and the test bundle in the same folder
    /// (`<scratch>/<triple>/<configuration>/`); it is found from the test
    /// process's executable or bundle, whichever exists.
    public static var searchFolders: [URL] {
        var folders = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        if let url = Bundle.main.executableURL { folders.append(url.deletingLastPathComponent()) }
        folders.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        return folders
    }

    public static var executable: URL? {
        searchFolders.map { $0.appendingPathComponent("pals") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    public struct NotFound: Error, CustomStringConvertible {
        public init() {}
        public var description: String {
            "the pals executable was not found next to the test bundle (searched \(PalsRunner.searchFolders.map(\.path))); the test target depends on it, so `swift test` builds it"
        }
    }

    /// Runs `pals` with `arguments`; `input`, when given, is its standard
    /// input (written on a thread of its own), else standard input is empty.
    public static func run(
        _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:], input: Data? = nil
    ) throws -> Outcome {
        guard let exe = executable else { throw NotFound() }
        let process = Process()
        process.executableURL = exe
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        try process.run()
        if let inputPipe, let input {
            // The child may exit before reading all of it: the write must
            // neither block the test nor kill it with SIGPIPE.
            signal(SIGPIPE, SIG_IGN)
            let writer = Thread {
                try? inputPipe.fileHandleForWriting.write(contentsOf: input)
                try? inputPipe.fileHandleForWriting.close()
            }
            writer.start()
        }
        // Both pipes are drained at once (stderr on a thread of its own) so
        // that a large output on either cannot block the child.
        let errBox = ErrorOutput()
        let reader = Thread { errBox.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = errBox.wait()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary directory.
    public static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pals-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The repository root (for `counterexamples/` and `specs/`).
    public static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}

/// The child's stderr, read on a thread of its own.
private final class ErrorOutput: @unchecked Sendable {
    private let condition = NSCondition()
    private var data: Data?

    func set(_ d: Data) {
        condition.lock()
        data = d
        condition.signal()
        condition.unlock()
    }

    func wait() -> Data {
        condition.lock()
        defer { condition.unlock() }
        while data == nil { condition.wait() }
        return data ?? Data()
    }
}
