#if canImport(Glibc)
import Glibc
#endif
import LimitlessSupport

/// SQLite's column affinity, derived from a declared type by SQLite's own rules (§3.1 of
/// "Datatypes In SQLite"): INT → INTEGER; CHAR/CLOB/TEXT → TEXT; BLOB or none → BLOB;
/// REAL/FLOA/DOUB → REAL; anything else → NUMERIC.
public enum Affinity: Sendable, Equatable {
    case integer, text, blob, real, numeric

    public init(declaredType: String) {
        // Byte-level, case-insensitive (this runs per row on the write path: String.contains
        // from _StringProcessing costs thousands of instructions per call).
        func has(_ w: StaticString) -> Bool { declaredType.containsCaseInsensitive(w) }
        if has("INT") { self = .integer }
        else if has("CHAR") || has("CLOB") || has("TEXT") { self = .text }
        else if has("BLOB") || declaredType.isEmpty { self = .blob }
        else if has("REAL") || has("FLOA") || has("DOUB") { self = .real }
        else { self = .numeric }
    }

    var isNumeric: Bool { self == .integer || self == .real || self == .numeric }

    /// The value as SQLite would store it in a column of this affinity.
    public func apply(_ v: SQLValue) -> SQLValue {
        switch self {
        case .blob: return v
        case .text:
            switch v {
            case let .integer(i): return .text(String(i))
            case let .real(d): return .text(Affinity.sqliteRealText(d))
            default: return v
            }
        case .integer, .numeric:
            switch v {
            case let .text(s):
                guard let n = Affinity.parseNumber(s) else { return v }
                if case let .real(d) = n, let i = Affinity.exactInteger(d) { return .integer(i) }
                return n
            case let .real(d):
                if let i = Affinity.exactInteger(d) { return .integer(i) }
                return v
            default: return v
            }
        case .real:
            switch v {
            case let .text(s):
                guard let n = Affinity.parseNumber(s) else { return v }
                if case let .integer(i) = n { return .real(Double(i)) }
                return n
            case let .integer(i): return .real(Double(i))
            default: return v
            }
        }
    }

    static func exactInteger(_ d: Double) -> Int64? {
        guard d.isFinite, d == d.rounded(), d >= -9.223372036854775e18, d < 9.223372036854775e18 else { return nil }
        return Int64(d)
    }

    /// A text that SQLite's numeric affinity converts: an integer literal that fits 64 bits,
    /// or a decimal real literal; leading and trailing spaces allowed; no hex.
    static func parseNumber(_ s: String) -> SQLValue? {
        var bytes = Array(s.utf8)
        func isSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }
        while let f = bytes.first, isSpace(f) { bytes.removeFirst() }
        while let l = bytes.last, isSpace(l) { bytes.removeLast() }
        if bytes.isEmpty { return nil }
        var i = 0
        if bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
        let digitsStart = i
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
        let intDigits = i - digitsStart
        var isReal = false
        var fracDigits = 0
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            isReal = true; i += 1
            let f = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
            fracDigits = i - f
        }
        if intDigits + fracDigits == 0 { return nil }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isReal = true; i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let e = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
            if i == e { return nil }
        }
        if i != bytes.count { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        if !isReal, let v = Int64(text.hasPrefix("+") ? String(text.dropFirst()) : text) { return .integer(v) }
        return .real(strtod(text, nil))
    }

    /// SQLite's text for a real ("%!.15g"): always a '.' in the mantissa, e.g. 1.0, 1.5, 1.0e+20.
    static func sqliteRealText(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Inf" : "Inf" }
        var buf = [CChar](repeating: 0, count: 64)
        _ = withVaList([d]) { vsnprintf(&buf, 64, "%.15g", $0) }
        var s = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if let e = s.firstIndex(of: "e") {
            let mant = s[..<e]
            if !mant.contains(".") { s = String(mant) + ".0" + String(s[e...]) }
        } else if !s.contains(".") {
            s += ".0"
        }
        return s
    }
}

/// The placement hash: 64-bit FNV-1a over a tagged byte encoding of the shard-key values,
/// finished with a 64-bit avalanche (murmur3's fmix64) so that small keys spread over the
/// whole signed 64-bit space. Owned by this project and fixed forever: data on disk depends on it.
///
/// Encoding per value: tag byte, then the payload. Numbers that are whole and fit 64 bits hash
/// as integers (tag 1, 8 bytes little-endian), so 1 and 1.0 hash alike; other reals are tag 2
/// with their IEEE bits; text tag 3 + UTF-8 + 0xFF terminator; blob tag 4 + length + bytes; NULL tag 0.
public enum PlacementHash {
    public static func hash(_ values: [SQLValue]) -> Int64 {
        var h: UInt64 = 0xcbf29ce484222325
        @inline(__always) func byte(_ b: UInt8) { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        func u64(_ v: UInt64) { for k in 0..<8 { byte(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) } }
        for v in values {
            switch v {
            case .null: byte(0)
            case let .integer(i): byte(1); u64(UInt64(bitPattern: i))
            case let .real(d):
                if let i = Affinity.exactInteger(d) { byte(1); u64(UInt64(bitPattern: i)) }
                else { byte(2); u64(d.bitPattern) }
            case let .text(s): byte(3); for b in s.utf8 { byte(b) }; byte(0xFF)
            case let .blob(b): byte(4); u64(UInt64(b.count)); for x in b { byte(x) }
            }
        }
        h ^= h >> 33; h = h &* 0xff51afd7ed558ccd
        h ^= h >> 33; h = h &* 0xc4ceb9fe1a85ec53
        h ^= h >> 33
        return Int64(bitPattern: h)
    }
}

/// One contiguous slice of the hash space, owned by a shard: [lower, upper] inclusive.
public struct HashRange: Sendable, Equatable {
    public var lower: Int64
    public var upper: Int64
    public var shard: Int
}

/// The ranges of one collocation group, sorted by lower bound, covering all of Int64.
public struct RangeMap: Sendable {
    public var ranges: [HashRange]

    /// `slices` equal slices, dealt to shards 1...shardCount in turn.
    public static func uniform(slices: Int, shardCount: Int) -> RangeMap {
        let width = UInt64.max / UInt64(slices) + 1  // 2^64 / slices for powers of two
        var out: [HashRange] = []
        for i in 0..<slices {
            let lo = Int64.min &+ Int64(bitPattern: UInt64(i) &* width)
            let hi = i == slices - 1 ? Int64.max : lo &+ Int64(bitPattern: width) &- 1
            out.append(HashRange(lower: lo, upper: hi, shard: i % shardCount + 1))
        }
        return RangeMap(ranges: out)
    }

    public func shard(for hash: Int64) -> Int {
        var lo = 0, hi = ranges.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if ranges[mid].lower <= hash { lo = mid } else { hi = mid - 1 }
        }
        return ranges[lo].shard
    }
}

/// True when `w` (upper-case ASCII) occurs in `p`, ignoring ASCII case.
func bytesContainCaseInsensitive(_ p: UnsafeBufferPointer<UInt8>, _ w: StaticString) -> Bool {
    let n = w.utf8CodeUnitCount
    let pw = w.utf8Start
    if n == 0 { return true }
    var i = 0
    while i + n <= p.count {
        var j = 0
        while j < n {
            var c = p[i + j]
            if c >= 97 && c <= 122 { c -= 32 }
            if c != pw[j] { break }
            j += 1
        }
        if j == n { return true }
        i += 1
    }
    return false
}

extension String {
    /// True when `w` (upper-case ASCII) occurs in the string, ignoring ASCII case.
    func containsCaseInsensitive(_ w: StaticString) -> Bool {
        var copy = self
        return copy.withUTF8 { bytesContainCaseInsensitive($0, w) }
    }
}
