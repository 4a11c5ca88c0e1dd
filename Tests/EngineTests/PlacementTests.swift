import Testing
import LimitlessSupport
@testable import LimitlessEngine

@Suite struct PlacementHashTests {
    @Test func hashIsFixedForever() {
        // Data on disk depends on these values: they must never change. (Computed independently
        // from the documented algorithm: FNV-1a over the tagged encoding, then fmix64.)
        #expect(PlacementHash.hash([.integer(0)]) == -4626575399317405841)
        #expect(PlacementHash.hash([.integer(1)]) == -95327693028278683)
        #expect(PlacementHash.hash([.integer(42)]) == 450437470286992571)
        #expect(PlacementHash.hash([.real(7.5)]) == 8427243047297666076)
        #expect(PlacementHash.hash([.text("abc")]) == -5357337710525733677)
        #expect(PlacementHash.hash([.integer(1), .text("x")]) == -5445868651316079934)
        #expect(PlacementHash.hash([.null]) == -5115162479779449349)
    }

    @Test func wholeRealsHashAsIntegers() {
        #expect(PlacementHash.hash([.real(7.0)]) == PlacementHash.hash([.integer(7)]))
        #expect(PlacementHash.hash([.real(7.5)]) != PlacementHash.hash([.integer(7)]))
        #expect(PlacementHash.hash([.text("7")]) != PlacementHash.hash([.integer(7)]))
    }

    @Test func keysSpreadOverTheWholeSpace() {
        let map = RangeMap.uniform(slices: 512, shardCount: 4)
        var counts = [0, 0, 0, 0]
        for i in 0..<4000 { counts[map.shard(for: PlacementHash.hash([.integer(Int64(i))])) - 1] += 1 }
        #expect(counts.allSatisfy { $0 > 800 && $0 < 1200 }, "\(counts)")
    }
}

@Suite struct RangeMapTests {
    @Test func uniformRangesCoverInt64ContiguouslyAndDealShardsInTurn() {
        let map = RangeMap.uniform(slices: 512, shardCount: 3)
        #expect(map.ranges.count == 512)
        #expect(map.ranges.first?.lower == Int64.min)
        #expect(map.ranges.last?.upper == Int64.max)
        for (a, b) in zip(map.ranges, map.ranges.dropFirst()) { #expect(a.upper &+ 1 == b.lower) }
        #expect(map.ranges.prefix(6).map(\.shard) == [1, 2, 3, 1, 2, 3])
        #expect(map.shard(for: Int64.min) == 1)
        #expect(map.shard(for: Int64.max) == map.ranges.last!.shard)
        #expect(map.shard(for: map.ranges[1].lower) == 2)
        #expect(map.shard(for: map.ranges[1].lower - 1) == 1)
    }
}

@Suite struct AffinityTests {
    @Test func declaredTypesGiveSQLitesAffinities() {
        #expect(Affinity(declaredType: "INTEGER") == .integer)
        #expect(Affinity(declaredType: "bigint") == .integer)
        #expect(Affinity(declaredType: "VARCHAR(8)") == .text)
        #expect(Affinity(declaredType: "") == .blob)
        #expect(Affinity(declaredType: "DOUBLE PRECISION") == .real)
        #expect(Affinity(declaredType: "DECIMAL(10,2)") == .numeric)
        #expect(Affinity(declaredType: "FLOATING POINT") == .integer)  // "INT" wins, as in SQLite
    }

    @Test func valuesConvertAsSQLiteStoresThem() {
        #expect(Affinity.integer.apply(.text("7")) == .integer(7))
        #expect(Affinity.integer.apply(.text(" 7 ")) == .integer(7))
        #expect(Affinity.integer.apply(.text("7.0")) == .integer(7))
        #expect(Affinity.integer.apply(.text("7.5")) == .real(7.5))
        #expect(Affinity.integer.apply(.text("0x10")) == .text("0x10"))
        #expect(Affinity.integer.apply(.text("abc")) == .text("abc"))
        #expect(Affinity.integer.apply(.real(3.0)) == .integer(3))
        #expect(Affinity.real.apply(.integer(1)) == .real(1.0))
        #expect(Affinity.real.apply(.text("2")) == .real(2.0))
        #expect(Affinity.text.apply(.integer(5)) == .text("5"))
        #expect(Affinity.text.apply(.real(1.0)) == .text("1.0"))
        #expect(Affinity.text.apply(.real(1e20)) == .text("1.0e+20"))
        #expect(Affinity.text.apply(.real(0.1)) == .text("0.1"))
        #expect(Affinity.blob.apply(.text("7")) == .text("7"))
        #expect(Affinity.numeric.apply(.text("1e3")) == .integer(1000))
    }
}

@Suite struct SessionSettingTests {
    @Test func arrayLiterals() throws {
        #expect(try SessionSettings.parseArray("{\"a\",\"b\"}") == ["a", "b"])
        #expect(try SessionSettings.parseArray("{a, b}") == ["a", "b"])
        #expect(try SessionSettings.parseArray("{\"with space\"}") == ["with space"])
        #expect(try SessionSettings.parseArray("") == [])
        #expect(throws: EngineError.self) { try SessionSettings.parseArray("a,b") }
        #expect(throws: EngineError.self) { try SessionSettings.parseArray("{a,}") }
    }

    @Test func limitlessVariablesAreChecked() throws {
        #expect(try SessionSettings.validate(SessionSettings.mode, "SHARDED") == "sharded")
        #expect(throws: EngineError.self) { try SessionSettings.validate(SessionSettings.mode, "weird") }
        #expect(throws: EngineError.self) { try SessionSettings.validate("rds_aurora.nope", "x") }
        var s = SessionSettings()
        #expect(s.createMode == "standard")
        s.session[SessionSettings.mode] = "sharded"
        s.local[SessionSettings.mode] = "reference"
        #expect(s.createMode == "reference")
        s.endTransaction()
        #expect(s.createMode == "sharded")
    }
}

@Suite struct DispatchTests {
    @Test func tokensFindNamesAndKinds() {
        let t = Tokens.scan("CREATE UNIQUE INDEX \"i x\" ON main.t1(a) -- c\n")
        #expect(t.map(\.text) == ["CREATE", "UNIQUE", "INDEX", "i x", "ON", "MAIN", ".", "T1", "(", "A", ")"])
        #expect(Tokens.qualifiedName("CREATE UNIQUE INDEX \"i x\" ON main.t1(a)", t, 5)?.1 == "t1")
        let a = Tokens.scan("CALL p('t', ARRAY['k1', 'k2'])")
        #expect(a.filter { $0.kind == .string }.map(\.text) == ["t", "k1", "k2"])
        #expect(Tokens.scan("SELECT [weird name]").last?.kind == .quoted)
    }

    @Test func commandTags() {
        #expect(ClusterEngine.commandVerb(Tokens.scan("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x")) == "INSERT")
        #expect(ClusterEngine.commandTag(Tokens.scan("CREATE TEMP VIEW v AS SELECT 1")) == "CREATE VIEW")
        #expect(ClusterEngine.commandTag(Tokens.scan("DROP TRIGGER tr")) == "DROP TRIGGER")
    }
}
