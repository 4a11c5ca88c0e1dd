#!/usr/bin/env python3
"""Records what the real aws CLI (v1) formatters print for each input below.

Run where the awscli package is installed (awscli-formatters.json came from aws-cli 1.45.11 on
Python 3.11.7):   python3 gen.py
Writes ../awscli-formatters.json: {"cases": {NAME: {"input": value, OUTPUTS...}}} where OUTPUTS are
"json" (--output json), "text" (--output text), "table40"/"table80"/"table250" (--output table on a
terminal that wide, no colour) and "table250color" (colour as on a terminal). Each value goes
through --query "value", as a queried result does. Table titles are "Title". When the aws CLI
itself fails (it does on a few odd shapes) that output is left out.
"""
import json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))

INPUTS = r'''
{
  "scalar-string": "available",
  "scalar-zero": 0,
  "scalar-null": null,
  "scalar-true": true,
  "scalar-float": 1.5,
  "empty-object": {},
  "empty-list": [],
  "scalar-list": ["us-east-1a", "us-east-1b", 3, false, null, 2.0],
  "list-of-lists": [[1, 2], [3, 4], ["x", "y"]],
  "nested-list-of-lists": [["a", ["b", "c"]], "d", [["e"]]],
  "single-key": {"Status": "ok"},
  "single-key-nested": {"DBCluster": {"Status": "creating", "Tags": []}},
  "floats": {"Big": 1e16, "Mid": 9.5e15, "Small": 0.00001, "NegZero": -0.0, "Int": 9007199254740993, "Pi": 3.14159, "Ten": 10.0, "Huge": 1.7976931348623157e308},
  "reservations": {"Reservations": [
      {"ReservationId": "r-1", "OwnerId": "123", "Instances": [
          {"InstanceId": "i-1", "State": {"Name": "running", "Code": 16}, "Monitoring": {"State": "disabled"}},
          {"InstanceId": "i-2", "ImageId": "ami-42", "Tags": [{"Key": "Name", "Value": "web"}, {"Key": "env", "Value": "prod"}]}]},
      {"ReservationId": "r-2", "OwnerId": "456", "Instances": []},
      {"ReservationId": "r-3", "Groups": ["sg-1", "sg-2"]}]},
  "missing-keys": {"Items": [{"A": 1, "B": "two"}, {"B": "three", "C": true}, {"D": null}]},
  "wide-chars": {"Name": "データベース", "Note": "é±°×", "Plain": "abc", "Emoji": "😀x"},
  "long-value": {"Description": "a fairly long description that will certainly not fit into eighty columns of terminal", "Id": "x"},
  "many-columns": {"Alpha": "a", "Bravo": "b", "Charlie": "c", "Delta": "d", "Echo": "e"},
  "list-of-dicts-no-nested": [{"Name": "one", "Size": 1}, {"Name": "two", "Size": 22}, {"Name": "three", "Size": 333}],
  "list-of-dicts-nested": [{"Name": "one", "Sub": {"K": "v"}}, {"Name": "two", "Sub": {"K": "w", "L": 2}}],
  "mixed-case-keys": {"b": 1, "B": 2, "a": 3, "A": 4, "_x": 5, "Zed": 6},
  "repr-values": {"Rows": [["it's", "say \"hi\"", "tab\there", {"k": [1, "x", null, true]}]]},
  "dict-in-scalar-list": {"Vals": ["x", {"k": "v", "j": 1}, ["y"]]},
  "deep": {"L1": {"Name": "one", "L2": {"Name": "two", "L3": {"Name": "three", "Val": 3, "L4": ["a", "b"]}}}},
  "title-wider": {"X": "y", "Z": "w"},
  "keys-across-list": {"Things": [{"Id": 1, "Tags": ["a"]}, {"Id": 2, "Tags": "scalar-here"}]},
  "list-with-empty-elements": [{}, [], {"B": {"x": 1, "y": "two"}}, []],
  "false-like-nested": {"Zero": 0, "Empty": "", "False": false, "Null": null, "EmptyList": [], "EmptyMap": {}, "Sub": {"Zero": 0}}
}
'''

CHILD = r'''
import argparse, json, sys
import awscli.table
from awscli.formatter import TableFormatter, TextFormatter, JSONFormatter
import jmespath
kind, width, color = sys.argv[1], int(sys.argv[2]), sys.argv[3]
awscli.table.determine_terminal_width = lambda default_width=80: width
response = {"value": json.loads(sys.stdin.read())}
args = argparse.Namespace(query=jmespath.compile("value"), color=color)
f = {"json": JSONFormatter, "text": TextFormatter, "table": TableFormatter}[kind](args)
f("Title", response)
'''


def run(kind, width, color, value):
    p = subprocess.run([sys.executable, "-c", CHILD, kind, str(width), color],
                       input=json.dumps(value).encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.stdout.decode() if p.returncode == 0 else None


def main():
    cases = {}
    for name, value in json.loads(INPUTS).items():
        case = {"input": value, "json": run("json", 80, "off", value), "text": run("text", 80, "off", value)}
        for w in (40, 80, 250):
            case["table%d" % w] = run("table", w, "off", value)
        case["table250color"] = run("table", 250, "on", value)
        for k in [k for k, v in case.items() if v is None and k != "input"]:
            print("aws failed:", name, k)
            del case[k]
        cases[name] = case
    with open(os.path.join(HERE, "..", "awscli-formatters.json"), "w") as f:
        json.dump({"generator": "Tests/CLITests/Golden/awscli/gen.py", "cases": cases}, f, indent=4, ensure_ascii=False)
        f.write("\n")


main()
