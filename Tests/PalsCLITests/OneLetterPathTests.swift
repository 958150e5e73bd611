import Foundation
import PalsTestSupport
import Testing
import TrustedPals

/// Paths of one character (`--out o`, a file named `f`) are ordinary paths:
/// Foundation's `NSString` path splitting traps on them, so the library
/// splits paths itself.
@Suite(.timeLimit(.minutes(10))) struct OneLetterPathTests {
    @Test func pathsAreSplitWithoutFoundation() {
        let cases: [(String, String, String)] = [
            ("o", "", "o"), ("k/", "", "k"), ("/", "/", "/"), ("/k", "/", "k"), ("d/k", "d", "k"),
            ("dir//k//", "dir", "k"), ("./k", ".", "k"), ("a/b/c.json", "a/b", "c.json"), ("", "", ""),
        ]
        for (path, parent, last) in cases {
            #expect(parentFolder(path) == parent, "parent of \(path)")
            #expect(lastPathName(path) == last, "last of \(path)")
        }
    }

    @Test func oneLetterOutputFolderAndFiles() throws {
        let dir = try PalsRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bounds = try PalsRunner.run(["bounds", "uic", "--n", "2...2", "--out", "o", "--html", "h"], in: dir)
        #expect(bounds.status == 1, "\(bounds.stderr)")
        let written = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("o").path)
        #expect(written.contains("uic-standard-n2-t1-r2-UniformAgreement.json"))
        try FileManager.default.copyItem(
            at: dir.appendingPathComponent("o/uic-standard-n2-t1-r2-UniformAgreement.json"),
            to: dir.appendingPathComponent("f"))
        let replay = try PalsRunner.run(["replay", "f"], in: dir)
        #expect(replay.status == 1, "\(replay.stderr)")
        let keys = try PalsRunner.run(["keygen", "--n", "3", "--out", "k"], in: dir)
        #expect(keys.status == 0, "\(keys.stderr)")
    }
}
