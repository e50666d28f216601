#!/usr/bin/env bash
# Build the sdist and the wheel, install the wheel into a fresh virtual environment outside the
# checkout, and run the CLI from there: catches what only an install shows (package data such as
# grammar/synth.lark, a subpackage missing from pyproject's package list, metadata).
# Usage: .ci/wheel_smoke.sh [PYTHON]   (PYTHON needs `build`; `make wheel-smoke` passes .venv's)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${1:-.venv/bin/python}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/synthdsl-wheel-smoke.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Build from a copy of the working tree (tracked and untracked files, not ignored ones): a stale
# synthdsl.egg-info left by `pip install -e .` would put its old file list into the sdist and hide a
# file that pyproject no longer packages.
"$PYTHON" - "$WORK/src" <<'EOF'
import os, shutil, subprocess, sys

out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                     capture_output=True, text=True, check=True).stdout
for f in filter(os.path.isfile, out.split("\0")):
    os.makedirs(os.path.join(sys.argv[1], os.path.dirname(f)), exist_ok=True)
    shutil.copy2(f, os.path.join(sys.argv[1], f))
EOF
"$PYTHON" -m build --outdir "$WORK/dist" "$WORK/src" >"$WORK/build.log" 2>&1 ||
  { cat "$WORK/build.log"; exit 1; }
wheel=$(ls "$WORK"/dist/synthdsl-*.whl)
sdist=$(ls "$WORK"/dist/synthdsl-*.tar.gz)

# The wheel is built from the sdist. Both carry the grammar; the wheel carries every tracked module.
"$PYTHON" - "$wheel" "$sdist" <<'EOF'
import subprocess, sys, tarfile, zipfile

wheel, sdist = sys.argv[1:]
in_wheel = set(zipfile.ZipFile(wheel).namelist())
assert "synthdsl/grammar/synth.lark" in in_wheel, "wheel lacks synthdsl/grammar/synth.lark"
tracked = subprocess.run(["git", "ls-files", "synthdsl/*.py"], capture_output=True, text=True,
                         check=True).stdout.split()
missing = sorted(set(tracked) - in_wheel)
assert not missing, f"wheel lacks {missing}: list new subpackages in pyproject [tool.setuptools]"
in_sdist = {n.split("/", 1)[1] for n in tarfile.open(sdist).getnames() if "/" in n}
assert "grammar/synth.lark" in in_sdist, "sdist lacks grammar/synth.lark"
EOF

# A fresh environment from the base interpreter (no system site-packages, so not the editable
# install), filled by PYTHON's pip (no pip of its own: faster); dependencies come from pip's
# configured index.
"$PYTHON" -m venv --without-pip "$WORK/venv"
"$PYTHON" -m pip --python "$WORK/venv/bin/python" install -q --disable-pip-version-check "$wheel" \
  >"$WORK/pip.log" 2>&1 ||
  { cat "$WORK/pip.log"; exit 1; }

# Run from outside the checkout with nothing of it on the path.
mkdir "$WORK/run" "$WORK/run/data"
cp examples/registry.synth examples/adult_bayesnet.synth examples/adult_dpcgan.synth \
  examples/cohort.synth "$WORK/run/"
cp examples/data/adult_real.csv "$WORK/run/data/"
cd "$WORK/run"
unset PYTHONPATH
bin="$WORK/venv/bin"

where=$("$bin/python" -c 'import synthdsl; print(synthdsl.__file__)')
case $where in
  "$WORK/venv/"*) ;;
  *) echo "wheel-smoke: synthdsl imported from $where, not the fresh venv" >&2; exit 1 ;;
esac

version=$("$bin/synthdsl" --version)
meta=$("$bin/python" -c 'import importlib.metadata as m; print(m.version("synthdsl"))')
[ "$version" = "synthdsl $meta" ] ||
  { echo "wheel-smoke: --version says '$version', metadata says $meta" >&2; exit 1; }

"$bin/synthdsl" check registry.synth
"$bin/synthdsl" plan registry.synth >plan.txt
"$bin/synthdsl" generate registry.synth --out out --format csv --rows patients=50
[ -s out/patients.csv ] || { echo "wheel-smoke: generate wrote no out/patients.csv" >&2; exit 1; }
[ -s out/card.json ] || { echo "wheel-smoke: generate wrote no out/card.json" >&2; exit 1; }
# The plan that runs: its JSON, run without the spec (moved away), gives the same bytes.
"$bin/synthdsl" plan registry.synth --json >plan.json
mkdir elsewhere && mv registry.synth elsewhere/
"$bin/synthdsl" generate --plan plan.json --out out2 --format csv --rows patients=50 --workers 2
diff -r out out2 || { echo "wheel-smoke: generate --plan wrote other bytes" >&2; exit 1; }
# A simulation: the entities' final rows, the rows they emitted, and their history.
"$bin/synthdsl" generate cohort.synth --out cohort --format csv --rows patients=200
for t in patients visits patients_history; do
  [ -s "cohort/$t.csv" ] || { echo "wheel-smoke: the cohort simulation wrote no $t.csv" >&2; exit 1; }
done
# A model spec without the `bayes` extra: a check error naming the extra, never a traceback.
if "$bin/synthdsl" check adult_bayesnet.synth >bayes.out 2>&1; then
  echo "wheel-smoke: a bayesnet spec checked without pgmpy installed" >&2; exit 1
fi
grep -q "E401" bayes.out && grep -q "pip install 'synthdsl\[bayes\]'" bayes.out &&
  ! grep -q Traceback bayes.out ||
  { echo "wheel-smoke: the missing bayes extra was not named:" >&2; cat bayes.out >&2; exit 1; }
# A dpcgan spec without the `neural` extra: the same, naming synthdsl[neural].
if "$bin/synthdsl" check adult_dpcgan.synth >neural.out 2>&1; then
  echo "wheel-smoke: a dpcgan spec checked without torch installed" >&2; exit 1
fi
grep -q "E401" neural.out && grep -q "pip install 'synthdsl\[neural\]'" neural.out &&
  ! grep -q Traceback neural.out ||
  { echo "wheel-smoke: the missing neural extra was not named:" >&2; cat neural.out >&2; exit 1; }
echo "wheel-smoke: ok ($version; check, plan, generate, generate --plan, a simulation, missing extras from $(basename "$wheel"))"
