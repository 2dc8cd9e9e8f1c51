"""Judges govulncheck's JSON output for scripts/go-vulnerabilities.sh against its allow-list.

Usage: go-vulnerabilities.py SCANS ALLOWED ALLOWED_NAME
  SCANS    lines "<module folder>\t<govulncheck -format json output>"
  ALLOWED  the allow-list: "<id> <module folder> <reason>" per line; # starts a comment line
Prints one line per finding and exits 1 when a finding is not allowed, or an allowed line matches nothing.
"""

import json
import re
import sys

LEVELS = {1: "required, not imported", 2: "imported, not called", 3: "called"}


def stream(path):
    """govulncheck -format json writes a stream of JSON values, not one document."""
    text = open(path, encoding="utf-8").read()
    decoder = json.JSONDecoder()
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index == len(text):
            return
        value, index = decoder.raw_decode(text, index)
        yield value


def findings(path):
    """{(id, vulnerable module): finding} with the deepest level govulncheck reached, and the OSV summaries."""
    summaries, found = {}, {}
    for message in stream(path):
        if "osv" in message:
            summaries[message["osv"]["id"]] = message["osv"].get("summary", "")
        finding = message.get("finding")
        if not finding:
            continue
        frame = finding["trace"][0]
        level = 3 if frame.get("function") else 2 if frame.get("package") else 1
        key = (finding["osv"], frame["module"])
        if key not in found or found[key]["level"] < level:
            found[key] = {
                "level": level,
                "version": frame.get("version", ""),
                "fixed": finding.get("fixed_version", ""),
                "symbol": ".".join(p for p in (frame.get("package"), frame.get("receiver"), frame.get("function")) if p),
            }
    return found, summaries


def allow_list(path, name):
    allowed, problems = {}, []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.split(None, 2)
            if len(fields) < 3 or not re.fullmatch(r"GO-\d{4}-\d+", fields[0]):
                problems.append(f"{name}:{number}: expected '<GO-YYYY-NNNN id> <module folder> <reason>'")
                continue
            allowed[(fields[0], fields[1])] = (number, fields[2].strip())
    return allowed, problems


def main(scans, allowed_path, allowed_name):
    allowed, problems = allow_list(allowed_path, allowed_name)
    used, accepted = set(), 0
    for line in open(scans, encoding="utf-8"):
        folder, path = line.rstrip("\n").split("\t")
        found, summaries = findings(path)
        for (vuln, module), f in sorted(found.items()):
            fixed = f"fixed in {module}@{f['fixed']}" if f["fixed"] else "no fixed version yet"
            where = f"{LEVELS[f['level']]}" + (f" ({f['symbol']})" if f["level"] == 3 else "")
            text = (
                f"{folder}: {vuln} in {module}@{f['version']}, {where}; {fixed}: {summaries.get(vuln, '')} "
                f"https://pkg.go.dev/vuln/{vuln}"
            )
            if (vuln, folder) in allowed:
                used.add((vuln, folder))
                accepted += 1
                print(f"allowed  {text} [{allowed_name}:{allowed[(vuln, folder)][0]}]", file=sys.stderr)
            else:
                problems.append(f"FOUND    {text}")
    for (vuln, folder), (number, _) in sorted(allowed.items(), key=lambda item: item[1][0]):
        if (vuln, folder) not in used:
            problems.append(f"{allowed_name}:{number}: {vuln} is no longer found in {folder}; remove the line")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(
            f"go vulnerabilities: {len(problems)} problem(s). Fix a finding by raising the module in that folder's "
            f"go.mod (go get <module>@<fixed version> && go mod tidy), or the Go of its Dockerfile's GO_TOOLCHAIN "
            f"or of scripts/toolchain/versions.sh for stdlib; or list '<id> <folder> <reason>' in {allowed_name}",
            file=sys.stderr,
        )
        return 1
    print(f"go vulnerabilities: none but the {accepted} allowed in {allowed_name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
