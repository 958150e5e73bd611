import Foundation
import Testing

/// Runs the built `pals` executable (it sits next to the test bundle).
enum PalsRunner {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// SwiftPM puts products and the test bundle in the same folder
    /// (`<scratch>/<triple>/<configuration>/`); it is found from the test
    /// process's executable or bundle, whichever exists.
    static var searchFolders: [URL] {
        var folders = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        if let url = Bundle.main.executableURL { folders.append(url.deletingLastPathComponent()) }
        folders.append(Bundle.main.bundleURL.deletingLastPathComponent())
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        return folders
    }

    static var executable: URL? {
        searchFolders.map { $0.appendingPathComponent("pals") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    struct NotFound: Error, CustomStringConvertible {
        var description: String {
            "the pals executable was not found next to the test bundle (searched \(PalsRunner.searchFolders.map(\.path))); the PalsCLITests target depends on it, so `swift test` builds it"
        }
    }

    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> Outcome {
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
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes before waiting so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pals-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The repository root (for `counterexamples/` and `specs/`).
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
