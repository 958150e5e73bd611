import PalsRuntime

/// T0 for the peers `pals cluster` starts, milliseconds since the Unix
/// epoch: far enough ahead that every peer process is up and connected
/// before round 1. Process start-up, key loading and 2(n − 1) TLS
/// handshakes per peer took up to 1.5 s for n = 4 on a loaded 2-core
/// machine (load average 17, debug build); a peer that is not up by T0 is
/// an omitting process, so the lead errs on the long side.
public func clusterStartTime(n: Int) -> Int64 {
    systemWallClock() / 1_000_000 + 2000 + 250 * Int64(n)
}
