import LimitlessSupport

/// Result values written straight into bytes, for the renderers that print rows by the
/// million (`SQLResultStream`): the same text as `SQLRender.text`, `SQLRender.csvField`,
/// `SQLRender.copyEscape`, `JSON.writeString` and `Python.floatRepr`, without a `String` per
/// value. Every escape involves ASCII only, so working on UTF-8 bytes gives what working on
/// Unicode scalars gives.
enum ValueBytes {
    static func append(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    static func appendInteger(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(0x2D) }
        var m = v.magnitude
        if m < 10 { out.append(0x30 + UInt8(m)); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in  // written backwards
            var i = 20
            while m > 0 {
                i -= 1
                buf[i] = 0x30 + UInt8(m % 10)
                m /= 10
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i...]))
        }
    }

    /// PostgreSQL's float8 text (see `SQLRender.float8`).
    static func appendFloat8(_ d: Double, to out: inout [UInt8]) {
        if d.isNaN { append("NaN", to: &out); return }
        if d.isInfinite { if d < 0 { append("-Infinity", to: &out) } else { append("Infinity", to: &out) }; return }
        if d == 0 { if d.sign == .minus { append("-0", to: &out) } else { out.append(0x30) }; return }
        appendShortest(d, scientificFrom: 15, alwaysFraction: false, to: &out)
    }

    /// A real in a JSON line: Python's repr, or the strings "NaN", "Infinity", "-Infinity".
    static func appendJSONReal(_ d: Double, to out: inout [UInt8]) {
        if d.isNaN || d.isInfinite { out.append(0x22); appendFloat8(d, to: &out); out.append(0x22); return }
        if d == 0 { if d.sign == .minus { append("-0.0", to: &out) } else { append("0.0", to: &out) }; return }
        appendShortest(d, scientificFrom: 16, alwaysFraction: true, to: &out)
    }

    /// `d` (finite, non-zero) in its shortest round-trip digits: plain notation for decimal
    /// exponents -4 up to `scientificFrom` (exclusive), else `1.5e-07` / `1e+20`.
    static func appendShortest(_ d: Double, scientificFrom limit: Int, alwaysFraction: Bool, to out: inout [UInt8]) {
        if d.sign == .minus { out.append(0x2D) }
        // Swift's description holds the shortest round-trip digits (`0.395`, `1e-05`,
        // `1.5e+20`, `123.0`): re-read them as digits and a decimal point position.
        var text = d.magnitude.description
        text.withUTF8 { b in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { digits in
                var n = 0, intDigits = 0, exponent = 0, i = 0
                var seenDot = false
                while i < b.count {
                    let c = b[i]
                    if c == 0x2E { seenDot = true } else if c == 0x65 || c == 0x45 {
                        var negative = false
                        i += 1
                        if i < b.count, b[i] == 0x2D || b[i] == 0x2B { negative = b[i] == 0x2D; i += 1 }
                        while i < b.count { exponent = exponent * 10 + Int(b[i] &- 0x30); i += 1 }
                        if negative { exponent = -exponent }
                        break
                    } else if n < 32 {
                        digits[n] = c
                        n += 1
                        if !seenDot { intDigits += 1 }
                    }
                    i += 1
                }
                var point = intDigits + exponent
                var start = 0
                while n - start > 1 && digits[start] == 0x30 { start += 1; point -= 1 }
                while n - start > 1 && digits[n - 1] == 0x30 { n -= 1 }
                let count = n - start
                let e = point - 1
                if e < -4 || e >= limit {
                    out.append(digits[start])
                    if count > 1 {
                        out.append(0x2E)
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(start + 1)..<n]))
                    }
                    out.append(0x65)
                    out.append(e < 0 ? 0x2D : 0x2B)
                    if abs(e) < 10 { out.append(0x30) }
                    appendInteger(Int64(abs(e)), to: &out)
                } else if point <= 0 {
                    out.append(0x30); out.append(0x2E)
                    out.append(contentsOf: repeatElement(0x30, count: -point))
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<n]))
                } else if point >= count {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<n]))
                    out.append(contentsOf: repeatElement(0x30, count: point - count))
                    if alwaysFraction { out.append(0x2E); out.append(0x30) }
                } else {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<(start + point)]))
                    out.append(0x2E)
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(start + point)..<n]))
                }
            }
        }
    }

    /// bytea hex: `\x0a1b`.
    static func appendByteaHex(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(0x5C); out.append(0x78)
        for b in bytes {
            let hi = b >> 4, lo = b & 0xF
            out.append(hi < 10 ? 0x30 + hi : 0x57 + hi)
            out.append(lo < 10 ? 0x30 + lo : 0x57 + lo)
        }
    }

    /// A value's text as PostgreSQL outputs it (`SQLRender.text`); false for NULL (nothing written).
    @discardableResult
    static func appendText(_ v: SQLValue, to out: inout [UInt8]) -> Bool {
        switch v {
        case .null: return false
        case let .integer(i): appendInteger(i, to: &out)
        case let .real(d): appendFloat8(d, to: &out)
        case let .text(s):
            var s = s
            s.withUTF8 { out.append(contentsOf: $0) }
        case let .blob(b): appendByteaHex(b, to: &out)
        }
        return true
    }

    /// One `psql --csv` line of `columns` fields (missing values print empty).
    static func appendCSVRow(_ columns: Int, _ row: [SQLValue], field: inout [UInt8], to out: inout [UInt8]) {
        for c in 0..<columns {
            if c > 0 { out.append(0x2C) }
            guard c < row.count else { continue }
            switch row[c] {
            case .null: continue
            case let .integer(i): appendInteger(i, to: &out)
            case let .real(d): appendFloat8(d, to: &out)
            default:
                field.removeAll(keepingCapacity: true)
                appendText(row[c], to: &field)
                appendCSVField(field, to: &out)
            }
        }
        out.append(0x0A)
    }

    /// `SQLRender.csvField`: quoted (with `""` for a quote) when it holds a comma, a quote, CR
    /// or LF, or is exactly `\.`.
    static func appendCSVField(_ f: [UInt8], to out: inout [UInt8]) {
        var quote = f.count == 2 && f[0] == 0x5C && f[1] == 0x2E
        if !quote { for b in f where b == 0x2C || b == 0x22 || b == 0x0D || b == 0x0A { quote = true; break } }
        if !quote { out.append(contentsOf: f); return }
        out.append(0x22)
        for b in f {
            out.append(b)
            if b == 0x22 { out.append(0x22) }
        }
        out.append(0x22)
    }

    /// One COPY text line of `columns` fields (missing values and NULL print `\N`).
    static func appendTSVRow(_ columns: Int, _ row: [SQLValue], field: inout [UInt8], to out: inout [UInt8]) {
        for c in 0..<columns {
            if c > 0 { out.append(0x09) }
            guard c < row.count else { out.append(0x5C); out.append(0x4E); continue }
            switch row[c] {
            case .null: out.append(0x5C); out.append(0x4E)
            case let .integer(i): appendInteger(i, to: &out)
            case let .real(d): appendFloat8(d, to: &out)
            default:
                field.removeAll(keepingCapacity: true)
                appendText(row[c], to: &field)
                for b in field {
                    switch b {
                    case 0x5C: out.append(0x5C); out.append(0x5C)
                    case 0x08: out.append(0x5C); out.append(0x62)
                    case 0x0C: out.append(0x5C); out.append(0x66)
                    case 0x0A: out.append(0x5C); out.append(0x6E)
                    case 0x0D: out.append(0x5C); out.append(0x72)
                    case 0x09: out.append(0x5C); out.append(0x74)
                    case 0x0B: out.append(0x5C); out.append(0x76)
                    default: out.append(b)
                    }
                }
            }
        }
        out.append(0x0A)
    }

    /// One row of a JSON line: `[1,"x",null,2.5,"\\x0a"]`.
    static func appendJSONRow(_ row: [SQLValue], to out: inout [UInt8]) {
        out.append(0x5B)
        for (i, v) in row.enumerated() {
            if i > 0 { out.append(0x2C) }
            switch v {
            case .null: append("null", to: &out)
            case let .integer(x): appendInteger(x, to: &out)
            case let .real(d): appendJSONReal(d, to: &out)
            case let .text(s):
                var s = s
                s.withUTF8 { appendJSONString($0, to: &out) }
            case let .blob(b):
                var hex: [UInt8] = []
                appendByteaHex(b, to: &hex)
                hex.withUnsafeBufferPointer { appendJSONString($0, to: &out) }
            }
        }
        out.append(0x5D)
    }

    /// `JSON.writeString`'s escaping.
    static func appendJSONString(_ s: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(0x22)
        for b in s {
            switch b {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(0x6E)
            case 0x0D: out.append(0x5C); out.append(0x72)
            case 0x09: out.append(0x5C); out.append(0x74)
            case 0x08: out.append(0x5C); out.append(0x62)
            case 0x0C: out.append(0x5C); out.append(0x66)
            case 0..<0x20:
                append("\\u00", to: &out)
                out.append(b >> 4 == 0 ? 0x30 : 0x31)
                let lo = b & 0xF
                out.append(lo < 10 ? 0x30 + lo : 0x57 + lo)
            default: out.append(b)
            }
        }
        out.append(0x22)
    }
}
