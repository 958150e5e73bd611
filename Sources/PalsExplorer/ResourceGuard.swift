import CPalsPrefetch

/// The resources a long search watches: resident memory against a budget,
/// and the user's interrupt (Ctrl-C), so that it stops with a partial result
/// instead of swapping or dying silently.
public enum ResourceGuard {
    /// The default memory budget: 4 GiB, or three quarters of physical
    /// memory if that is less.
    public static var defaultMaxMemory: Int {
        let physical = physicalBytes()
        let fourGiB = 4 << 30
        return physical > 0 ? min(fourGiB, physical / 4 * 3) : fourGiB
    }

    /// This process's resident memory in bytes (0 when unknown).
    public static func residentBytes() -> Int { max(0, pals_resident_bytes()) }

    /// Physical memory in bytes (0 when unknown).
    public static func physicalBytes() -> Int { max(0, pals_physical_bytes()) }

    /// From now on the first Ctrl-C (SIGINT) or SIGTERM — what Slurm and
    /// Kubernetes send at a time limit or an eviction — sets a flag that
    /// searches with `stopOnInterrupt` poll; a second one ends the process.
    public static func installInterrupt() { pals_install_interrupt() }

    /// True once SIGINT or SIGTERM arrived after `installInterrupt()`.
    public static var interrupted: Bool { pals_interrupted() != 0 }

    /// A memory size as a person reads it: whole megabytes from 1 MB up,
    /// whole kilobytes below, bytes below 1 KB (powers of 1024, as
    /// `parseSize` reads them), so a budget of "1K" is not shown as "0 MB";
    /// the one format of every memory figure the explorer prints.
    public static func size(_ bytes: Int) -> String {
        if bytes >= 1 << 20 { return "\(bytes >> 20) MB" }
        if bytes >= 1 << 10 { return "\(bytes >> 10) KB" }
        return "\(bytes) B"
    }

    /// A span of time as a person reads it, for estimates: whole seconds up
    /// to 90 s, whole minutes up to 90 minutes, hours with one decimal up to
    /// two days, whole days beyond.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "an unknown time" }
        if seconds < 90 { return "\(Int(seconds.rounded())) s" }
        if seconds < 90 * 60 { return "\(Int((seconds / 60).rounded())) min" }
        if seconds < 48 * 3600 {
            let tenths = Int((seconds / 360).rounded())
            return "\(tenths / 10).\(tenths % 10) h"
        }
        return "\(Int((seconds / 86400).rounded())) days"
    }

    /// Why a search with these options must stop now, or nil.
    @usableFromInline
    static func stopReason(_ options: ExplorerOptions, resident: Int) -> String? {
        stopReason(maxMemory: options.maxMemory, stopOnInterrupt: options.stopOnInterrupt, resident: resident)
    }

    /// Why a search with this budget (nil: none) that does or does not
    /// listen for interrupts must stop now, or nil.
    public static func stopReason(maxMemory: Int?, stopOnInterrupt: Bool, resident: Int) -> String? {
        if stopOnInterrupt && interrupted { return "interrupted" }
        if let budget = maxMemory, resident > budget {
            return "memory budget exceeded (\(size(resident)) resident, --max-memory \(size(budget)))"
        }
        return nil
    }

    /// Parses a memory size: a number of bytes with an optional suffix K, M,
    /// G (powers of 1024), e.g. "512M", "4G".
    public static func parseSize(_ text: String) -> Int? {
        var digits = Substring(text)
        var scale = 1
        if let last = digits.last?.uppercased() {
            switch last {
            case "K": scale = 1 << 10
            case "M": scale = 1 << 20
            case "G": scale = 1 << 30
            default: break
            }
            if scale > 1 { digits = digits.dropLast() }
        }
        guard let value = Int(digits), value > 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : product
    }
}
