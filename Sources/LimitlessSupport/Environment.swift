#if canImport(Glibc)
import Glibc
#endif

public enum Environment {
    public static func get(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        return String(cString: p)
    }

    /// `$LIMITLESS_HOME`, or `~/.limitless`.
    public static var limitlessHome: String {
        if let h = get("LIMITLESS_HOME"), !h.isEmpty { return h }
        return Files.join(get("HOME") ?? ".", ".limitless")
    }
}

/// Unbuffered-enough output: stdout is buffered by us and flushed on demand (JSON Lines
/// needs a flush per statement); stderr is written straight away.
public enum Console {
    nonisolated(unsafe) static var buffer: [UInt8] = []

    public static func out(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    public static func flush() {
        if buffer.isEmpty { return }
        try? Files.writeAll(1, buffer, path: "<stdout>")
        buffer.removeAll(keepingCapacity: true)
    }

    public static func err(_ s: String) {
        flush()
        try? Files.writeAll(2, Array(s.utf8), path: "<stderr>")
    }

    public static var stdinIsTerminal: Bool { isatty(0) != 0 }
    public static var stdoutIsTerminal: Bool { isatty(1) != 0 }
}

public enum Clock {
    /// Current UTC time as the aws CLI prints timestamps: `2026-11-26T17:35:07.752059Z`.
    public static func nowISO8601() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return iso8601(seconds: Int(ts.tv_sec), micros: Int(ts.tv_nsec / 1000))
    }

    public static func iso8601(seconds: Int, micros: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        let us = String(micros)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 6 - us.count) + us + "Z"
    }

    /// Monotonic seconds, for timing.
    public static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
