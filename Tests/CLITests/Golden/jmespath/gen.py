#!/usr/bin/env python3
"""Records what the aws CLI's JMESPath engine (the Python jmespath package; these results came
from jmespath 1.1.0, as bundled with aws-cli 1.45.11) answers for each (input, expression) below.

Run:  python3 gen.py   -> writes ../jmespath-cases.json: {"groups": [{"input": value, "cases": [
  {"expression": text, and one of
     "result": the result as `aws --output json` prints it (json.dumps indent=4 + "\\n"),
     "compileError": the aws CLI's message for a bad --query ("Bad value for --query ...: ..."),
     "searchError": the message evaluation raised (printed by the aws CLI, exit 255)}]}]}
The groups follow the JMESPath compliance suite (basic, boolean, current, escape, filters,
functions, identifiers, indices, literal, multiselect, pipe, slice, syntax, unicode, wildcard)
plus queries over the aws rds reference responses.
"""
import json, os
import jmespath

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "..", "Fixtures", "aws-cli")

GROUPS = []

def group(data, *exprs):
    GROUPS.append((data, exprs))

# basic
group({"foo": {"bar": {"baz": "correct"}}}, "foo", "foo.bar", "foo.bar.baz", "foo\n.\nbar\n.baz",
      "foo.bar.baz.bad", "foo.bar.bad", "foo.bad", "bad", "bad.morebad.morebad", "@")
group({"foo": {"bar": ["one", "two", "three"]}}, "foo.bar", "foo.bar[0]")
group(["one", "two", "three"], "one", "two", "three", "one.two")
group({"foo": {"1": ["one", "two", "three"], "-1": "bar"}}, 'foo."1"', 'foo."1"[0]', 'foo."-1"')
# boolean
group({"outer": {"foo": "foo", "bar": "bar", "baz": "baz"}}, "outer.foo || outer.bar", "outer.foo||outer.bar",
      "outer.bad||outer.foo", "outer.foo||outer.bad", "outer.bad||outer.alsobad")
group({"outer": {"foo": "foo", "bool": False, "empty_list": [], "empty_string": ""}},
      "outer.empty_string || outer.foo", "outer.nokey || outer.bool || outer.empty_list || outer.empty_string || outer.foo")
group({"True": True, "False": False, "Number": 5, "EmptyList": [], "Zero": 0, "Str": "", "Obj": {}},
      "True && False", "False && True", "True && True", "False && False", "True && Number", "Number && True",
      "Number && False", "Number && EmptyList", "EmptyList && True", "EmptyList && False", "True || False",
      "True || True", "False || True", "False || False", "Number || EmptyList", "Number || True",
      "Number || True && False", "(Number || True) && False", "Number || (True && False)", "!True", "!False",
      "!Number", "!EmptyList", "True && !False", "True && !EmptyList", "!False && !EmptyList",
      "!(True && False)", "!Zero", "!!Zero", "Zero || Number", "Zero && Number", "!Str", "!Obj", "!Missing",
      "Zero == `0`", "Zero == False", "Number == `5.0`", "True == `1`", "`[true]` == `[1]`", "False != `0`")
group({"one": 1, "two": 2, "three": 3, "a": "abc", "b": "abd", "n": None},
      "one < two", "one <= two", "one == one", "one == two", "one > two", "one >= two", "one != two",
      "one < two && three > one", "one < two || three > one", "one < two || three < one",
      "two < one || three < one", "a < b", "a >= b", "b > a", "n < one", "one < n", "one < `[1]`", "a < one")
# current
group({"foo": [{"name": "a"}, {"name": "b"}], "bar": {"baz": "qux"}}, "@", "@.bar", "@.foo[0]", "@.@", "bar.@.baz")
# escape
group({"foo.bar": "dot", "foo bar": "space", "foo\nbar": "newline", "\"bar\"": "doublequote",
       "c:\\\\windows\\path": "windows", "/unix/path": "slash", "\"\"\"": "threequotes", "bar": {"baz": "qux"}},
      '"foo.bar"', '"foo bar"', '"foo\\nbar"', '"\\"bar\\""', '"c:\\\\\\\\windows\\\\path"', '"/unix/path"',
      '"\\"\\"\\""', '"bar"."baz"', '"\\u0062ar"', '"\\/unix\\/path"')
# filters
group({"foo": [{"name": "a"}, {"name": "b"}]}, "foo[?name == 'a']", "*[?[0] == `0`]", "foo[?name == 'a'].name",
      "foo[?name == 'c']", "foo[?name != 'a']")
group({"foo": [{"first": "foo", "last": "bar"}, {"first": "foo", "last": "foo"}, {"first": "foo", "last": "baz"}]},
      "foo[?first == last]", "foo[?first == last].first")
group({"foo": [{"age": 20}, {"age": 25}, {"age": 30}]}, "foo[?age > `25`]", "foo[?age >= `25`]", "foo[?age > `30`]",
      "foo[?age < `25`]", "foo[?age <= `25`]", "foo[?age < `20`]", "foo[?age == `20`]", "foo[?age != `20`]",
      "foo[?age > `25.5`].age", "foo[?`25` < age]")
group({"foo": [{"top": {"name": "a"}}, {"top": {"name": "b"}}]}, "foo[?top.name == 'a']")
group({"foo": [{"top": {"first": "foo", "last": "bar"}}, {"top": {"first": "foo", "last": "foo"}},
               {"top": {"first": "foo", "last": "baz"}}]}, "foo[?top.first == top.last]", "foo[?top == `{\"first\": \"foo\", \"last\": \"bar\"}`]")
group({"reservations": [{"instances": [{"foo": 1, "bar": 2}, {"foo": 1, "bar": 3}, {"foo": 1, "bar": 2}, {"foo": 2, "bar": 1}]}]},
      "reservations[].instances[?bar==`1`]", "reservations[*].instances[?bar==`1`]", "reservations[].instances[?bar==`1`][]",
      "reservations[].instances[?foo==`1`].bar", "reservations[].instances[?bar==`1`] | [0]")
group({"foo": [{"bar": 1, "baz": 2}, {"bar": 1, "baz": 3}, {"bar": 2, "baz": 1}]},
      "foo[?bar==`1`].baz", "foo[?bar==`1` && baz==`3`]", "foo[?bar==`1` || baz==`1`].baz", "foo[?!(bar==`1`)]",
      "foo[?(bar==`1` || baz==`1`) && baz!=`2`]")
group({"foo": [{"key": True}, {"key": False}, {"key": 0}, {"key": 1}, {"key": [0]}, {"key": {"bar": [0]}},
               {"key": None}, {"key": [1]}, {"key": {"a": 2}}, {"key": 0.0}, {"key": ""}]},
      "foo[?key == `true`]", "foo[?key == `false`]", "foo[?key == `0`]", "foo[?key == `1`]", "foo[?key == `[0]`]",
      "foo[?key == `{\"bar\": [0]}`]", "foo[?key == `null`]", "foo[?key == `[1]`]", "foo[?key == `{\"a\":2}`]",
      "foo[?`true` == key]", "foo[?key != `true`]", "foo[?key]", "foo[?!key]", "foo[?key == '']")
group({"foo": [1, 2, 3, 4, 5], "bar": [[1, 2], [2, 3]]}, "foo[?@ > `2`]", "foo[?@ < `0`]", "bar[?@[0] == `2`]",
      "foo[?`true`]", "foo[?`false`]")
group({"foo": [{"a": 1, "b": {"c": "x"}}, {"a": 1, "b": {"c": "y"}}, {"a": 1, "b": {"c": "z"}}, {"a": 2, "b": {"c": "z"}}]},
      "foo[?a==`1`].b.c", "foo[?a==`1`].b.c | [1]", "foo[?b.c=='z'].a")
# functions
FN = {"foo": -1, "zero": 0, "numbers": [-1, 3, 4, 5], "array": [-1, 3, 4, 5, "a", "100"], "strings": ["a", "b", "c"],
      "decimals": [1.01, 1.2, -1.5], "str": "Str", "false": False, "empty_list": [], "empty_hash": {},
      "objects": {"foo": "bar", "bar": "baz"}, "null_key": None, "mixed": [1, 2.5, 3]}
group(FN, "abs(foo)", "abs(`-24`)", "abs(`-2.5`)", "abs(array)", "abs(`false`)", "abs(`1`, `2`)", "abs()",
      "avg(numbers)", "avg(array)", "avg('abc')", "avg(foo)", "avg(@)", "avg(strings)", "avg(empty_list)", "avg(mixed)",
      "ceil(`1.2`)", "ceil(decimals[0])", "ceil(decimals[1])", "ceil(decimals[2])", "ceil('string')", "ceil(`3`)",
      "contains('abc', 'a')", "contains('abc', 'd')", "contains(`false`, 'd')", "contains(strings, 'a')",
      "contains(decimals, `1.01`)", "contains(decimals, `false`)", "contains(numbers, `3.0`)", "contains('abc', '')",
      "contains('abc', `1`)", "contains(empty_list, null_key)",
      "ends_with(str, 'r')", "ends_with(str, 'tr')", "ends_with(str, 'Str')", "ends_with(str, 'SStr')",
      "ends_with(str, 'foo')", "ends_with(str, `0`)", "floor(`1.2`)", "floor('string')", "floor(decimals[0])",
      "floor(foo)", "floor(str)", "floor(decimals[2])",
      "length('abc')", "length('\u2713foo')", "length('')", "length(@)", "length(strings[0])", "length(str)",
      "length(array)", "length(objects)", "length(`false`)", "length(foo)", "length(strings[0])", "length(null_key)",
      "max(numbers)", "max(decimals)", "max(strings)", "max(array)", "max(empty_list)", "max(abc)", "max(mixed)",
      "merge(`{}`)", "merge(`{}`, `{}`)", "merge(`{\"a\": 1}`, `{\"b\": 2}`)", "merge(`{\"a\": 1}`, `{\"a\": 2}`)",
      "merge(`{\"a\": 1, \"b\": 2}`, `{\"a\": 2, \"c\": 3}`, `{\"d\": 4}`)", "merge()", "merge(`1`)",
      "min(numbers)", "min(decimals)", "min(abc)", "min(array)", "min(empty_list)", "min(strings)",
      "type('abc')", "type(`1.0`)", "type(`2`)", "type(`true`)", "type(`false`)", "type(`null`)", "type(`[0]`)",
      "type(`{\"a\": \"b\"}`)", "type(@)", "type(&foo)", "sort(keys(objects))", "keys(objects)", "keys(foo)", "keys(strings)",
      "keys(`false`)", "sort(values(objects))", "values(objects)", "keys(empty_hash)", "values(foo)",
      "join(', ', strings)", "join(',', `[\"a\", \"b\"]`)", "join(',', `[\"a\", 0]`)", "join(', ', str)",
      "join('|', strings)", "join(`2`, strings)", "join('|', decimals)", "join('|', decimals[].to_string(@))",
      "join('|', empty_list)", "reverse(numbers)", "reverse(array)", "reverse(`[]`)", "reverse('')",
      "reverse('hello world')", "reverse(str)", "reverse(foo)", "starts_with(str, 'S')", "starts_with(str, 'St')",
      "starts_with(str, 'Str')", "starts_with(str, 'String')", "starts_with(str, `0`)", "starts_with(str)",
      "sum(numbers)", "sum(decimals)", "sum(array[].to_number(@))", "sum(`[]`)", "sum(mixed)", "sum(strings)",
      "to_array('foo')", "to_array(`0`)", "to_array(objects)", "to_array(`[1, 2, 3]`)", "to_array(false)",
      "to_string('foo')", "to_string(`1.2`)", "to_string(`[0, 1]`)", "to_string(objects)", "to_string(`\"\u00e9\"`)",
      "to_string(`[\"\u00e9\", 1e20, 2.0, null, true]`)", "to_string(null_key)",
      "to_number('1.0')", "to_number('1.1')", "to_number('4')", "to_number('notanumber')", "to_number(`false`)",
      "to_number(`null`)", "to_number(`[0]`)", "to_number(`{\"foo\": 0}`)", "to_number(' 12 ')", "to_number('-3')",
      "to_number('1e3')", "to_number(`7`)", "to_number(`7.5`)",
      "not_null(unknown_key, str)", "not_null(unknown_key, foo.bar, empty_list, str)",
      "not_null(unknown_key, null_key, empty_list, str)", "not_null(all, expressions, are_null)", "not_null()",
      "numbers[].to_string(@)", "array[].to_number(@)", "sort(numbers)", "sort(strings)", "sort(decimals)",
      "sort(array)", "sort(abc)", "sort(empty_list)", "sort(@)", "sort(mixed)", "unknown_function(`1`, `2`)",
      "length()", "length(@, @)", "to_string(`1`, `2`)", "foo.length(@)", "strings[].length(@)",
      "map(&[0], `[[1, 2], [3]]`)", "map(&length(@), strings)", "map(&foo, `[{\"foo\": 1}, {}, 3]`)", "map(strings, &@)")
PEOPLE = {"people": [{"age": 20, "age_str": "20", "bool": True, "name": "a", "extra": "foo"},
                     {"age": 40, "age_str": "40", "bool": False, "name": "b", "extra": "bar"},
                     {"age": 30, "age_str": "30", "bool": True, "name": "c"},
                     {"age": 50, "age_str": "50", "bool": False, "name": "d"},
                     {"age": 10, "age_str": "10", "bool": True, "name": 3}],
          "empty": [],
          "stable": [{"key": "b", "order": 1}, {"key": "a", "order": 2}, {"key": "b", "order": 3},
                     {"key": "a", "order": 4}, {"key": "c", "order": 5}, {"key": "a", "order": 6}]}
group(PEOPLE, "sort_by(people, &age)", "sort_by(people, &age_str)", "sort_by(people, &to_number(age_str))",
      "sort_by(people, &age)[].name", "sort_by(people, &extra)", "sort_by(people, &bool)", "sort_by(people, &name)",
      "sort_by(people, name)", "sort_by(people, &age)[].extra", "sort_by(`[]`, &age)", "sort_by(empty, &age)",
      "max_by(people, &age)", "max_by(people, &age_str)", "max_by(people, &bool)", "max_by(people, &extra)",
      "max_by(people, &to_number(age_str))", "min_by(people, &age)", "min_by(people, &age_str)",
      "min_by(people, &bool)", "min_by(people, &extra)", "min_by(empty, &age)", "max_by(empty, &age)",
      "sort_by(stable, &key)[].order", "map(&age, people)", "map(&[age, name], people)", "people[?age > `25`].name | sort(@)",
      "sort_by(people, &age) | reverse(@) | [0].name", "people | length(@)", "length(people[?bool])")
# identifiers
group({"foo_bar": 1, "_foo": 2, "foo1": 3, "A": 4, "a": 5, "__": 6, "Foo_Bar_9": 7},
      "foo_bar", "_foo", "foo1", "A", "a", "__", "Foo_Bar_9", "\"foo_bar\"", "{x: A, y: a}")
# indices
group({"foo": {"bar": ["zero", "one", "two"]}}, "foo.bar[0]", "foo.bar[1]", "foo.bar[2]", "foo.bar[3]",
      "foo.bar[-1]", "foo.bar[-2]", "foo.bar[-3]", "foo.bar[-4]", "foo[0]", "foo.bar[00]", "foo.bar[-01]")
group({"foo": [{"bar": "one"}, {"bar": "two"}, {"bar": "three"}, {"notbar": "four"}]}, "foo.bar", "foo[0].bar",
      "foo[1].bar", "foo[2].bar", "foo[3].notbar", "foo[3].bar", "foo[0]", "foo[1]", "foo[2]", "foo[3]", "foo[4]")
group(["one", "two", "three"], "[0]", "[1]", "[2]", "[-1]", "[-2]", "[-3]", "[3]", "[0][0]")
group({"reservations": [{"instances": [{"foo": "bar"}, {"foo": "baz"}]}, {"instances": [{"foo": "qux"}, {"foo": "quux"}]}]},
      "reservations[].instances[].foo", "reservations[].instances[].bar", "reservations[].notinstances[].foo",
      "reservations[].instances[].foo[].bar", "reservations[].instances[0].foo", "reservations[0].instances[-1].foo",
      "reservations[*].instances[*].foo", "reservations[*].instances[*].foo[]", "reservations[].instances[].foo | [1]")
group({"foo": [[["one", "two"], ["three", "four"]], [["five", "six"], ["seven", "eight"]], [["nine"], ["ten"]]]},
      "foo[]", "foo[][0]", "foo[][1]", "foo[][0][0]", "foo[][2][2]", "foo[][0][0][100]", "foo[][]", "foo[][][]",
      "foo[*][*]", "foo[*][0][0]")
group({"string": "string", "hash": {"foo": "bar", "bar": "baz"}, "number": 23, "nullvalue": None},
      "string[]", "hash[]", "number[]", "nullvalue[]", "string[].foo", "hash[].foo", "number[].foo",
      "nullvalue[].foo", "nullvalue[].foo[].bar", "string[*]", "hash[*]", "number[*]", "nullvalue[*]",
      "string.*", "hash.*", "number.*", "nullvalue.*", "hash.*.foo", "[hash, number]", "{a: nullvalue}")
group([[1, 2], [3, [4, 5]], 6], "[]", "[][]", "[][0]", "[*][0]")
# literals
group({"foo": [{"name": "a"}, {"name": "b"}], "bar": {"baz": "qux"}},
      "`\"foo\"`", "`\"\\u03a6\"`", "`\"\u2713\"`", "`[1, 2, 3]`", "`{\"a\": \"b\"}`", "`true`", "`false`", "`null`",
      "`0`", "`1`", "`-1`", "`1.5`", "`1e3`", "`\"foo\\`bar\"`", "`\"foo\\\"quote\"`", "`\"1\\u2713\"`", "`\"\\\\\"`",
      "`{\"a\": \"b\"}`.a", "`{\"a\": {\"b\": \"c\"}}`.a.b", "`[0, 1, 2]`[1]", "`  {\"foo\": true}`",
      "`{\"foo\": true}   `", "'foo'", "'  foo  '", "'0'", "'newline\n'", "'\n'", "'\u2713'", "'\U0001d11e'",
      "'  [foo]  '", "'[foo]'", "'\\u03a6'", "'\\\\'", "'\\''", "'a\\b'", "`foo`", "` foo`", "`[1, 2`", "``",
      "`\"\"`", "''", "`NaN`", "`{\"b\": 1, \"a\": 2}`", "`123456789012345678`", "`1e400`")
# multiselect
MS = {"foo": {"bar": "bar", "baz": "baz", "qux": "qux",
              "nested": {"one": {"a": "first", "b": "second", "c": "third"},
                         "two": {"a": "first", "b": "second", "c": "third"},
                         "three": {"a": "first", "b": "second", "c": {"inner": "third"}}}},
      "bar": 1, "baz": 2, "qux\"": 3}
group(MS, "foo.{bar: bar}", "foo.{\"bar\": bar}", "foo.{\"foo.bar\": bar}", "foo.{bar: bar, baz: baz}",
      "foo.{\"bar\": bar, \"baz\": baz}", "{\"baz\": baz, \"qux\\\"\": \"qux\\\"\"}", "foo.{bar:bar,baz:baz}",
      "foo.{bar: bar,qux: qux}", "foo.{bar: bar, noexist: noexist}", "foo.{noexist: noexist, alsonoexist: alsonoexist}",
      "foo.badkey.{nokey: nokey, alsonokey: alsonokey}", "foo.nested.*.{a: a,b: b}",
      "foo.nested.three.{a: a, cinner: c.inner}", "foo.nested.three.{a: a, c: c.inner.bad.key}",
      "foo.{a: nested.one.a, b: nested.two.b}", "{bar: bar, baz: baz}", "{bar: bar}", "{otherkey: bar}",
      "{no: no, exist: exist}", "foo.[bar]", "foo.[bar,baz]", "foo.[bar,qux]", "foo.[bar,noexist]",
      "foo.[noexist,alsonoexist]", "[foo.bar, foo.baz]", "[bar, baz][1]", "{a: bar, a: baz}", "{z: bar, a: baz}",
      "[foo.bar, [baz, bar]]", "{x: foo.{y: bar}}", "foo.nested.*.[a, b]", "[*.*]")
group({"foo": [{"bar": "a", "baz": "b"}, {"bar": "c", "baz": "d"}]}, "foo[*].[bar, baz]", "foo[].{b: bar}",
      "foo[?bar == 'c'].[baz]", "foo[*].[bar, baz][0]", "foo[].[bar, baz] | [0]", "foo[].{x: bar, y: baz} | [1].y")
# pipe
PIPE = {"foo": {"bar": {"baz": "subkey"}, "other": {"baz": "subkey"}, "other2": {"baz": "subkey"},
                "other3": {"notbaz": ["a", "b", "c"]}, "other4": {"notbaz": ["a", "b", "c"]}}}
group(PIPE, "foo.*.baz | [0]", "foo.*.baz | [1]", "foo.*.baz | [2]", "foo.bar.* | [0]", "foo.*.notbaz | [*]",
      "foo | bar", "foo | bar | baz", "foo|bar| baz", "not_there | [0]", "[foo.bar, foo.other] | [0]",
      "{\"a\": foo.bar, \"b\": foo.other} | a", "{\"a\": foo.bar, \"b\": foo.other} | b",
      "foo.bam || foo.bar | baz", "foo | not_there || bar", "foo.*.notbaz | [0]", "foo.*.notbaz[0]", "foo.* | length(@)")
group({"foo": [{"bar": [{"baz": "one"}, {"baz": "two"}]}, {"bar": [{"baz": "three"}, {"baz": "four"}]}]},
      "foo[*].bar[*] | [0][0]", "foo[*].bar[*].baz | [1]", "foo[].bar[].baz | [1]", "foo[*].bar[*].baz[0]")
# slices
SL = {"foo": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "bar": {"baz": 1}}
group(SL, "bar[0:10]", "foo[0:10:1]", "foo[0:10]", "foo[0:10:]", "foo[0::1]", "foo[0::]", "foo[0:]", "foo[:10:1]",
      "foo[::1]", "foo[:10:]", "foo[::]", "foo[:]", "foo[1:9]", "foo[0:10:2]", "foo[5:]", "foo[5::2]", "foo[::2]",
      "foo[::-1]", "foo[1::2]", "foo[10:0:-1]", "foo[10:5:-1]", "foo[8:2:-2]", "foo[0:20]", "foo[10:-20:-1]",
      "foo[10:-20]", "foo[-4:-1]", "foo[:-5:-1]", "foo[8:2:0]", "foo[8:2:0:1]", "foo[8:2&]", "foo[2:a:3]",
      "foo[-100:100]", "foo[100:]", "foo[::-3]", "foo[-1:-3:-1]", "foo[:2][0]", "foo[:2] | [0]", "foo[::-1][:3]")
group({"foo": [{"a": 1}, {"a": 2}, {"a": 3}], "bar": [{"a": {"b": 1}}, {"a": {"b": 2}}, {"a": {"b": 3}}], "baz": 50},
      "foo[:2].a", "foo[:2].b", "foo[:2].a.b", "bar[::-1].a.b", "bar[:2].a.b", "baz[:2].a")
group([{"a": 1}, {"a": 2}, {"a": 3}], "[:]", "[:2].a", "[::-1].a", "[:2].b")
# syntax errors (and a few valid near-misses)
group({"foo": {"bar": 1}, "a": 1, "b": 2},
      "foo.1", "foo.-11", "foo.", ".foo", "foo..bar", "foo.bar.", "foo[.]", "*", "*.*", "*.foo", "*[0]", ".*",
      "*foo", "*0", "foo[*]bar", "foo[*]*", "[]", "[0]", "[*]", "*.[\"0\"]", "[*].bar", "[*][0]", "foo[#]",
      "foo[", "foo[?]", "foo[?@]", "foo[?bar==]", "!", "foo | ", "|foo", "foo || ", "[a, b, ]", "{foo: bar, }",
      "{foo}", "{foo: }", "{\"foo\": bar}", "{", "foo.{a: b}", "foo.{}", "foo =", "foo == ", "foo === bar",
      "`unclosed", "'unclosed", "\"unclosed", "\"\\x\"", "\"\\uZZZZ\"", "\"a\tb\"", "foo#bar", "abs(1)", "\"abs\"(@)",
      "&", "==", "foo[:2:3:4]", "foo[bar]", "foo[-]", "a = b", "0", "-1", "-", "foo.[a b]", "foo(", "foo(a b)",
      "(foo)(bar)", "@(foo)", "foo ! bar", "\u00e9", "foo.\u00e9", "a < ", "a <> b", "a !== b", "foo[?a==`1`",
      "foo[1", "foo[1:", "{a: b", "[a, b", "foo.*.[", "foo[*].", "(foo", "foo)", "foo]", "foo}", "foo,bar",
      "a && ", "&&a", "a ||| b", "foo[?a] [0]", "  foo  ", "foo . bar", "foo [0]", "foo[ 0 ]", "foo[0 : 1]",
      "[a b]", "{a: b c: d}", "{a b}", "foo[?a<b]", "foo[?a&&b]", "foo[&a]", "foo.&bar")
# unicode
group({"\u262f": True, "\u2665\u2666": 1, "foo": [{"\u2713": "\u2713"}, {"\u2713": "\u2717"}]},
      "\"\u262f\"", "\"\u2665\u2666\"", "foo[].\"\u2713\"", "foo[].\u2713", "length('\u262f\u262f')", "reverse('a\u2713b')")
# wildcard
WC = {"foo": {"bar": {"baz": "val"}, "other": {"baz": "val"}, "other2": {"baz": "val"},
              "other3": {"notbaz": ["a", "b", "c"]}, "other4": {"notbaz": ["a", "b", "c"]},
              "other5": {"other": {"a": 1, "b": 1, "c": 1}}}}
group(WC, "foo.*.baz", "foo.bar.*", "foo.*.notbaz", "foo.*.notbaz[0]", "foo.*.notbaz[-1]", "foo.*", "foo.*.*",
      "foo.*.*.*", "foo.*.*.*.*", "*.*.*", "foo.*.notbaz[]", "foo.*.notbaz[*]")
group({"foo": [{"bar": "one"}, {"bar": "two"}, {"bar": "three"}, {"notbar": "four"}]}, "foo[*].bar", "foo[*].notbar",
      "foo[*]", "foo[*].*")
group([{"bar": "one"}, {"bar": "two"}, {"bar": "three"}, {"notbar": "four"}], "[*]", "[*].bar", "[*].notbar", "[*].*")
group({"foo": {"bar": [{"baz": ["one", "two", "three"]}, {"baz": ["four", "five", "six"]}, {"baz": ["seven", "eight", "nine"]}]}},
      "foo.bar[*].baz", "foo.bar[*].baz[0]", "foo.bar[*].baz[1]", "foo.bar[*].baz[2]", "foo.bar[*].baz[3]")
group({"foo": {"bar": [["one", "two"], ["three", "four"]]}}, "foo.bar[*]", "foo.bar[0]", "foo.bar[0][0]",
      "foo.bar[0][0][0]", "foo.bar[0][0][0][0]", "foo[0][0]")
group({"foo": [{"bar": [{"kind": "basic"}, {"kind": "intermediate"}]}, {"bar": [{"kind": "advanced"}, {"kind": "expert"}]},
               {"bar": "string"}]}, "foo[*].bar[*].kind", "foo[*].bar[0].kind")
group({"foo": [{"bar": {"kind": "basic"}}, {"bar": {"kind": "intermediate"}}, {"bar": {"kind": "advanced"}},
               {"bar": {"kind": "expert"}}, {"bar": "string"}]}, "foo[*].bar.kind")
group({"foo": [{"bar": ["one", "two"]}, {"bar": ["three", "four"]}, {"bar": ["five"]}]}, "foo[*].bar[0]",
      "foo[*].bar[1]", "foo[*].bar[2]")
group({"foo": [{"bar": []}, {"bar": []}, {"bar": []}]}, "foo[*].bar[0]")
group({"foo": [["one", "two"], ["three", "four"], ["five"]]}, "foo[*][0]", "foo[*][1]")
group({"foo": [[["one", "two"], ["three", "four"]], [["five", "six"], ["seven", "eight"]], [["nine"], ["ten"]]]},
      "foo[*][0]", "foo[*][1]", "foo[*][0][0]", "foo[*][1][0]", "foo[*][0][1]", "foo[*][1][1]", "foo[*][2]", "foo[*][2][2]")
group({"foo": [0, 1], "bar": [2, 3]}, "*[0]", "*[*]", "*[]", "*.*")

# queries over the aws rds reference responses
def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)
group(fixture("describe-db-clusters.json"), "DBClusters[0].Status", "DBClusters[].DBClusterIdentifier",
      "DBClusters[?Engine=='aurora-postgresql'].{Id: DBClusterIdentifier, Port: Port}", "length(DBClusters)",
      "DBClusters[0].AvailabilityZones | sort(@) | join(', ', @)", "DBClusters[0].AvailabilityZones[-1]",
      "DBClusters[0].AvailabilityZones[::-1]", "\"DBClusters\"[0].\"Port\"", "DBClusters[0].[Engine, EngineVersion, MultiAZ]",
      "not_null(DBClusters[0].Missing, 'default')", "DBClusters[?Status=='available'] | length(@)",
      "DBClusters[0].TagList", "DBClusters[0].ScalingConfigurationInfo", "DBClusters[*].AvailabilityZones[]",
      "DBClusters[0].{AZs: AvailabilityZones, Logs: EnabledCloudwatchLogsExports[0]}", "keys(DBClusters[0]) | length(@)",
      "DBClusters[?StorageEncrypted]", "DBClusters[?!StorageEncrypted].DBClusterArn", "DBClusters[0].Port > `5000`",
      "DBClusters[?contains(AvailabilityZones, 'us-east-1b')].DBClusterIdentifier",
      "DBClusters[?starts_with(Engine, 'aurora')].EngineVersion | [0]")
group(fixture("describe-db-shard-groups.json"), "DBShardGroups[*].[DBShardGroupIdentifier, MaxACU]",
      "max_by(DBShardGroups, &MaxACU).DBShardGroupIdentifier", "DBShardGroups[?MaxACU > `100`] | length(@)",
      "DBShardGroups[?PubliclyAccessible].DBShardGroupIdentifier", "DBShardGroups[?!PubliclyAccessible]",
      "keys(DBShardGroups[0])", "to_string(DBShardGroups[0].MaxACU)", "type(DBShardGroups[0].MaxACU)",
      "DBShardGroups[0].MaxACU", "DBShardGroups[0].ComputeRedundancy", "sum(DBShardGroups[].MinACU)",
      "DBShardGroups[0].TagList[0].Key", "DBShardGroups[?MinACU==`16`].Endpoint", "DBShardGroups[0].MaxACU == `1000`",
      "DBShardGroups[].{id: DBShardGroupIdentifier, acu: join('-', [to_string(MinACU), to_string(MaxACU)])}",
      "sort_by(DBShardGroups, &DBShardGroupIdentifier)[0].Status", "DBShardGroups[0].Status")


def result_text(value):
    # as the aws CLI's JSON formatter prints a --query result
    return json.dumps(value, indent=4, ensure_ascii=False) + "\n"


def main():
    groups = []
    count = 0
    for data, exprs in GROUPS:
        cases = []
        for expr in exprs:
            case = {"expression": expr}
            try:
                parsed = jmespath.compile(expr)
            except Exception as e:
                case["compileError"] = "Bad value for --query %s: %s" % (expr, str(e))
                cases.append(case)
                continue
            try:
                case["result"] = result_text(parsed.search(data))
            except Exception as e:
                case["searchError"] = str(e)
            cases.append(case)
        groups.append({"input": data, "cases": cases})
        count += len(cases)
    with open(os.path.join(HERE, "..", "jmespath-cases.json"), "w") as f:
        json.dump({"generator": "Tests/CLITests/Golden/jmespath/gen.py", "jmespath": jmespath.__version__,
                   "groups": groups}, f, indent=4, ensure_ascii=False)
        f.write("\n")
    print(count, "cases")


main()
