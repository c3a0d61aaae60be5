#!/usr/bin/env bash
# Times `dbt build` after a delta on a warehouse already built from a full export (issue 7's
# measure: a 1% delta on a 1 000 000-person warehouse). Usage:
#   scripts/delta_timing.sh BASE_PACKAGE DELTA_PACKAGE [PORT]
# Uses a throw-away embedded server in .bench/delta-warehouse (or PGHOST's server when set).
set -euo pipefail
base=$1; delta=$2; port=${3:-54400}
root=$(cd "$(dirname "$0")/.." && pwd)
mm="$root/.venv/bin/member-migration"
export MEMBER_MIGRATION_PORT=$port MEMBER_MIGRATION_WAREHOUSE_DIR="$root/.bench/delta-warehouse"
vars='{as_of_date: "2026-10-31"}'
stamp() { date +%s.%N; }
"$mm" warehouse start
t0=$(stamp); "$mm" load --no-backup "$base" >/dev/null 2>&1 || "$mm" load "$base" >/dev/null
t1=$(stamp); "$mm" dbt build --vars "$vars" > "$root/.bench/delta-base-build.log" 2>&1
t2=$(stamp); "$mm" load --no-backup "$delta" >/dev/null 2>&1 || "$mm" load "$delta" >/dev/null
t3=$(stamp); "$mm" dbt build --vars "$vars" > "$root/.bench/delta-build.log" 2>&1
t4=$(stamp)
python3 - "$t0" "$t1" "$t2" "$t3" "$t4" <<'PY'
import sys
t = [float(x) for x in sys.argv[1:]]
print(f"base load {t[1]-t[0]:.1f} s, base build {t[2]-t[1]:.1f} s, "
      f"delta load {t[3]-t[2]:.1f} s, build after delta {t[4]-t[3]:.1f} s")
PY
tail -3 "$root/.bench/delta-build.log"
