#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 and PBKDF2-HMAC-SHA256, enough to store the master password as a salted hash.
enum SHA256 {
    static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static let initial: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]

    /// One 64-byte block into `h`; `w` is scratch space of 64 words.
    static func compress(_ h: UnsafeMutablePointer<UInt32>, _ block: UnsafePointer<UInt8>, _ w: UnsafeMutablePointer<UInt32>) {
        for t in 0..<16 {
            let b = block + t * 4
            w[t] = UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
        }
        for t in 16..<64 {
            let x = w[t - 15], y = w[t - 2]
            let s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3)
            let s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >> 10)
            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
        }
        var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
        k.withUnsafeBufferPointer { k in
            for t in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[t] &+ w[t]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
            }
        }
        h[0] = h[0] &+ a; h[1] = h[1] &+ b; h[2] = h[2] &+ c; h[3] = h[3] &+ d
        h[4] = h[4] &+ e; h[5] = h[5] &+ f; h[6] = h[6] &+ g; h[7] = h[7] &+ hh
    }

    /// The padded message: data, 0x80, zeros, 64-bit big-endian bit length.
    static func pad(_ message: [UInt8], alreadyHashed: Int = 0) -> [UInt8] {
        var data = message
        let bitLength = UInt64(message.count + alreadyHashed) * 8
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        for s in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(s))) }
        return data
    }

    static func digest(_ h: [UInt32]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for v in h { for s in [24, 16, 8, 0] { out.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
        return out
    }

    /// Continues hashing `message` from `state` (which has already consumed `alreadyHashed` bytes).
    static func hash(_ message: [UInt8], from state: [UInt32] = initial, alreadyHashed: Int = 0) -> [UInt8] {
        var h = state
        var w = [UInt32](repeating: 0, count: 64)
        let data = pad(message, alreadyHashed: alreadyHashed)
        h.withUnsafeMutableBufferPointer { hp in
            w.withUnsafeMutableBufferPointer { wp in
                data.withUnsafeBufferPointer { dp in
                    for chunk in stride(from: 0, to: data.count, by: 64) {
                        compress(hp.baseAddress!, dp.baseAddress! + chunk, wp.baseAddress!)
                    }
                }
            }
        }
        return digest(h)
    }

    static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    /// The state after one 64-byte key block (HMAC's inner or outer pad).
    static func keyedState(_ block: [UInt8]) -> [UInt32] {
        var h = initial
        var w = [UInt32](repeating: 0, count: 64)
        h.withUnsafeMutableBufferPointer { hp in
            w.withUnsafeMutableBufferPointer { wp in
                block.withUnsafeBufferPointer { compress(hp.baseAddress!, $0.baseAddress!, wp.baseAddress!) }
            }
        }
        return h
    }

    static func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var k = key.count > 64 ? hash(key) : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        let inner = hash(message, from: keyedState(k.map { $0 ^ 0x36 }), alreadyHashed: 64)
        return hash(inner, from: keyedState(k.map { $0 ^ 0x5c }), alreadyHashed: 64)
    }

    /// PBKDF2-HMAC-SHA256 with one 32-byte block. The pad states are computed once, so each
    /// iteration costs two compressions.
    static func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        var k = password.count > 64 ? hash(password) : password
        k += [UInt8](repeating: 0, count: 64 - k.count)
        let inner = keyedState(k.map { $0 ^ 0x36 }), outer = keyedState(k.map { $0 ^ 0x5c })
        func mac(_ m: [UInt8]) -> [UInt8] {
            hash(hash(m, from: inner, alreadyHashed: 64), from: outer, alreadyHashed: 64)
        }
        var u = mac(salt + [0, 0, 0, 1])
        var out = u
        for _ in 1..<max(iterations, 1) {
            u = mac(u)
            for i in 0..<32 { out[i] ^= u[i] }
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
        return s
    }
}

/// Random bytes from the kernel, for resource ids, endpoint hashes and salts.
enum Random {
    static func bytes(_ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        var filled = 0
        if fd >= 0 {
            while filled < n {
                let r = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, n - filled) }
                if r > 0 { filled += r } else if r < 0 && errno == EINTR { continue } else { break }
            }
            close(fd)
        }
        if filled < n {
            // No /dev/urandom: fall back to the system generator.
            for k in filled..<n { out[k] = UInt8.random(in: 0...255) }
        }
        return out
    }

    /// `count` characters drawn uniformly from `alphabet`.
    static func string(_ count: Int, from alphabet: String) -> String {
        let chars = Array(alphabet)
        var s = ""
        while s.count < count {
            for b in bytes(count * 2) where s.count < count {
                // Rejection sampling keeps the draw uniform.
                let limit = 256 - 256 % chars.count
                if Int(b) < limit { s.append(chars[Int(b) % chars.count]) }
            }
        }
        return s
    }

    static let upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    static let lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
    static let hexDigits = "0123456789abcdef"
}
