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
        // Built as bytes: string interpolation cost thousands of instructions (a commit
        // decision stamps one of these).
        var out: [UInt8] = []
        out.reserveCapacity(27)
        func digits(_ v: Int, _ n: Int) {
            var div = 1
            for _ in 1..<n { div *= 10 }
            var rest = max(0, v)
            if rest >= div * 10 { for d in String(rest).utf8 { out.append(d) }; return }
            while div > 0 { out.append(UInt8(48 + rest / div)); rest %= div; div /= 10 }
        }
        digits(Int(parts.tm_year) + 1900, 4); out.append(45)
        digits(Int(parts.tm_mon) + 1, 2); out.append(45)
        digits(Int(parts.tm_mday), 2); out.append(84)
        digits(Int(parts.tm_hour), 2); out.append(58)
        digits(Int(parts.tm_min), 2); out.append(58)
        digits(Int(parts.tm_sec), 2); out.append(46)
        digits(micros, 6); out.append(90)
        return String(decoding: out, as: UTF8.self)
    }

    /// Monotonic seconds, for timing.
    public static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
