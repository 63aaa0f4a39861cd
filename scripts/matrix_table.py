"""The table `make test-matrix` prints: one row per distribution from the files scripts/test_matrix.sh leaves in
build/matrix/ (<dist>.versions.json, <dist>.junit.xml, <dist>.status), then the failed tests and the skip reasons.
Exits non-zero when a distribution has a failed test or no test results. Also writes build/matrix/table.md."""
import json
import os
import sys
import xml.etree.ElementTree as ElementTree

NAMES = {"bookworm": "Debian 12 bookworm", "trixie": "Debian 13 trixie", "sid": "Debian unstable (sid)"}


def _results(path):
    """(passed, failed, skipped, failed test names, {skip reason: count}) from a pytest junit file."""
    failed_names, reasons = [], {}
    passed = 0
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        name = "%s::%s" % (case.get("classname", "").rsplit(".", 1)[-1], case.get("name"))
        if case.find("failure") is not None or case.find("error") is not None:
            failed_names.append(name)
        elif case.find("skipped") is not None:
            reason = case.find("skipped").get("message", "").strip() or "no reason given"
            reasons[reason] = reasons.get(reason, 0) + 1
        else:
            passed += 1
    return passed, len(failed_names), sum(reasons.values()), failed_names, reasons


def main(results_dir, dists):
    header = ("| distribution (commit) | QGIS | Python | numpy | GDAL | torch | passed | failed or error | skipped "
              "| minutes |")
    lines = [header, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    notes, ok = [], True
    for dist in dists:
        def read(suffix, default, dist=dist):
            path = os.path.join(results_dir, dist + suffix)
            return open(path).read().strip() if os.path.exists(path) else default
        try:
            versions = json.loads(read(".versions.json", "{}") or "{}")
        except ValueError:
            versions = {}
        rc, seconds = (read(".status", "? 0").split() + ["0"])[:2]
        junit = os.path.join(results_dir, dist + ".junit.xml")
        if os.path.exists(junit):
            passed, failed, skipped, failed_names, reasons = _results(junit)
            notes += ["%s failed: %s" % (dist, name) for name in failed_names]
            notes += ["%s skipped %d: %s" % (dist, count, reason) for reason, count in reasons.items()]
            counts = [str(passed), str(failed), str(skipped)]
            ok = ok and failed == 0 and rc == "0"
        else:
            counts = ["-", "-", "-"]
            notes.append("%s: no test results (exit status %s); see %s" % (
                dist, rc, os.path.join(results_dir, dist + ".log")))
            ok = False
        commit = read(".commit", "?")
        row = [NAMES.get(dist, dist) + " (" + commit + ")"] + [
            versions.get(key, "?") for key in ("qgis", "python", "numpy", "gdal", "torch")]
        lines.append("| " + " | ".join(row + counts + ["%.1f" % (int(seconds) / 60.0)]) + " |")
    text = "\n".join(lines + [""] + ["- " + note for note in notes])
    print(text)
    with open(os.path.join(results_dir, "table.md"), "w") as out:
        out.write(text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
