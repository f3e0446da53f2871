#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Check a KUnit run of psteer_kunit.ko: count the cases kunit.py parsed and
# check that every expected case passed.
#
# Usage: tools/testing/kunit/check-cases.py KTAP_LOG KUNIT_JSON EXPECTED
#
#   KTAP_LOG    the console from the guest script's start on (KTAP lines,
#               possibly behind printk timestamps)
#   KUNIT_JSON  what `kunit.py parse --json` wrote for that log
#   EXPECTED    kunit/expected-cases.txt (one case name per line, #
#               comments), or "" to skip that check
#
# Prints "kunit: N cases: ..." and, with EXPECTED, one line per expected
# case that did not pass and "kunit: P/N expected cases passed". Exits 1 if
# the JSON cannot be read, no case ran, a case failed or crashed, or an
# expected case did not pass; 0 otherwise.
import json, re, sys

if len(sys.argv) != 4:
    sys.exit(f'usage: {sys.argv[0]} KTAP_LOG KUNIT_JSON EXPECTED')
ktap, jsonfile, expected = sys.argv[1:4]
rc = 0

# Leaf cases of kunit.py's JSON: a parameterised case counts each parameter.
counts = {}
def walk(group):
    for case in group.get('test_cases', []):
        counts[case['status']] = counts.get(case['status'], 0) + 1
    for sub in group.get('sub_groups', []):
        walk(sub)
try:
    walk(json.load(open(jsonfile)))
except (OSError, ValueError) as e:
    print(f'kunit: cannot read {jsonfile}: {e}')
    rc = 1
total = sum(counts.values())
print(f'kunit: {total} cases: ' +
      ', '.join(f'{n} {s.lower()}' for s, n in sorted(counts.items())))
if total == 0:
    print('kunit: no test case ran')
    rc = 1
bad = total - counts.get('PASS', 0) - counts.get('SKIPPED', 0)
if bad:
    print(f'kunit: {bad} cases failed or crashed')
    rc = 1

# Expected cases: "ok N name" (no SKIP directive) below a suite in the KTAP.
line_re = re.compile(r'^(?:\[[^\]]*\]\s?)?(\s*)(not ok|ok) (\d+) ([^#]*?)\s*(?:#\s*(.*))?$')
state = {}
for line in open(ktap, errors='replace'):
    m = line_re.match(line.rstrip('\n'))
    if not m or len(m.group(1)) < 4:  # top level: suites
        continue
    name, directive = m.group(4).strip(), m.group(5) or ''
    if m.group(2) == 'not ok':
        state[name] = 'failed'
    elif directive.upper().startswith('SKIP'):
        state.setdefault(name, 'skipped')
    else:
        state.setdefault(name, 'passed')
if expected:
    want = [l.split('#')[0].strip() for l in open(expected)]
    want = [w for w in want if w]
    missing = [w for w in want if state.get(w) != 'passed']
    for w in missing:
        print(f'kunit: expected case {w}: {state.get(w, "missing")}')
    print(f'kunit: {len(want) - len(missing)}/{len(want)} expected cases passed')
    if missing:
        rc = 1
sys.exit(rc)
