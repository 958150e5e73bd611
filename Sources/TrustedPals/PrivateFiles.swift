import Foundation
import PalsCore

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a private file (a key) with mode 600 from its creation, never
/// through a symbolic link: the bytes go into a new temporary file in the
/// same folder (`O_CREAT | O_EXCL | O_NOFOLLOW`, mode 600), which is then
/// renamed over `name` (a rename replaces a link itself, never its target).
/// Without `replace`, an existing `name` (of any kind, a link included) is
/// an error. Returns the path.
public func writePrivateFile(dir: String, name: String, text: String, replace: Bool) throws(PalsError) -> String {
    do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    } catch {
        throw PalsError(.invalidArgument, "cannot create \(dir): \(error.localizedDescription)")
    }
    let path = (dir as NSString).appendingPathComponent(name)
    var st = stat()
    if !replace && lstat(path, &st) == 0 {
        throw PalsError(.invalidArgument, "\(path) exists; refusing to overwrite a key (use ⟪force⟫)")
    }
    var fd: Int32 = -1
    var tmp = ""
    var g = SystemRandomNumberGenerator()
    for _ in 0..<16 {
        tmp = (dir as NSString).appendingPathComponent(".\(name).\(String(g.next(), radix: 16)).tmp")
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 || errno != EEXIST { break }
    }
    guard fd >= 0 else {
        throw PalsError(.invalidArgument, "cannot create a private file in \(dir): \(String(cString: strerror(errno)))")
    }
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
        let k = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if k < 0 && errno == EINTR { continue }
        guard k > 0 else { break }
        written += k
    }
    let synced = fsync(fd) == 0
    close(fd)
    guard written == bytes.count, synced, rename(tmp, path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(tmp)
        throw PalsError(.invalidArgument, "cannot write \(path): \(reason)")
    }
    return path
}

/// The folder part of `path`: "" for a bare name, "/" for a name in the
/// root. Foundation's `NSString.deletingLastPathComponent` traps on a
/// one-character path (`--out o`), so paths are split here.
public func parentFolder(_ path: String) -> String {
    var s = Substring(path)
    while s.count > 1 && s.hasSuffix("/") { s = s.dropLast() }
    guard let slash = s.lastIndex(of: "/") else { return "" }
    var parent = s[..<slash]
    while parent.count > 1 && parent.hasSuffix("/") { parent = parent.dropLast() }
    return parent.isEmpty ? "/" : String(parent)
}

/// The last component of `path` (trailing slashes ignored), without
/// Foundation's `lastPathComponent`, which traps on one-character paths.
public func lastPathName(_ path: String) -> String {
    var s = Substring(path)
    while s.count > 1 && s.hasSuffix("/") { s = s.dropLast() }
    guard let slash = s.lastIndex(of: "/"), s.count > 1 else { return String(s) }
    return String(s[s.index(after: slash)...])
}

/// Checks before a run that `path` can be written (its folder exists and
/// takes files), so that a log is never lost silently at the end.
public func checkWritable(_ path: String, option: String) throws(PalsError) {
    let dir = parentFolder(path)
    let probe = ((dir.isEmpty ? "." : dir) as NSString).appendingPathComponent(".pals-probe-\(getpid())")
    let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
        throw PalsError(.invalidArgument, "\(option) \(path): cannot write there (\(String(cString: strerror(errno))))")
    }
    close(fd)
    unlink(probe)
    var st = stat()
    if lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
        throw PalsError(.invalidArgument, "\(option) \(path) is a folder")
    }
}

/// Checks before a run that `path` can be a folder to write into: an
/// existing folder, or a path whose nearest existing ancestor is a folder
/// (the folder is made later, only when needed); with `writable` (the
/// default), that folder must also take files. Nothing is created. `option`
/// names the parameter in the error (e.g. `⟪out⟫`). A command whose run
/// usually writes nothing passes `writable: false`, so that it still runs
/// in a read-only working folder.
public func checkOutputFolder(_ path: String?, option: String, writable: Bool = true) throws(PalsError) {
    guard let path else { return }
    guard !path.isEmpty else { throw PalsError(.invalidArgument, "\(option) is empty; give a folder") }
    var current = path
    while true {
        var st = stat()
        if stat(current, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw PalsError(
                    .invalidArgument,
                    current == path
                        ? "\(option) \(path) is not a folder"
                        : "\(option) \(path): \(current) is not a folder")
            }
            guard !writable || access(current, W_OK | X_OK) == 0 else {
                throw PalsError(
                    .invalidArgument,
                    "\(option) \(path): cannot write into \(current) (\(String(cString: strerror(errno))))")
            }
            return
        }
        guard errno == ENOENT else {
            throw PalsError(.invalidArgument, "\(option) \(path): \(String(cString: strerror(errno)))")
        }
        // The parent; a relative path's first component is made in ".".
        let parent = parentFolder(current)
        let next = parent.isEmpty ? "." : parent
        guard next != current else { return }
        current = next
    }
}
