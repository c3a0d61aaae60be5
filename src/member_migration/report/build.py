"""Collect the audit figures from the warehouse and write them as one offline HTML page.

Every figure in the page comes from a query against the built warehouse (the audit and mart
tables), and the same figures are embedded as JSON (``<script id="report-data">``), so a test
can prove the page says what the audit tables say. Charts are inline SVG: no script, no CDN,
the file opens offline and prints.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

import psycopg

from member_migration.report import charts

_logger = logging.getLogger(__name__)

SAMPLE_COLUMNS_LIMIT = 12


@dataclass
class ReportData:
    """Everything the report shows, as plain data (also embedded in the page as JSON)."""

    generated_at: str
    database: str
    reconciliation: list[dict] = field(default_factory=list)
    null_rates: list[dict] = field(default_factory=list)
    quarantine_by_rule: list[dict] = field(default_factory=list)
    warnings_by_rule: list[dict] = field(default_factory=list)
    cluster_sizes: list[dict] = field(default_factory=list)
    tiers_before: list[dict] = field(default_factory=list)
    tiers_after: list[dict] = field(default_factory=list)
    points_by_source: list[dict] = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    sample: list[dict] = field(default_factory=list)


def _jsonable(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _shown(value) -> str:
    """A figure as the page shows it: thousands separators on counts, points and yuan."""
    if isinstance(value, int) or (isinstance(value, float) and abs(value) >= 1000):
        return f"{value:,}"
    return str(value)


def _rows(conn: psycopg.Connection, query: str) -> list[dict]:
    cur = conn.execute(query)
    names = [d.name for d in cur.description or []]
    return [{n: _jsonable(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]


def _relation_exists(conn: psycopg.Connection, qualified: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (qualified,)).fetchone()[0]


def collect_report_data(conninfo: str) -> ReportData:
    """Query the built warehouse for every figure of the report."""
    with psycopg.connect(conninfo) as conn:
        for needed in ("audit.migration_reconciliation", "marts.dim_members"):
            if not _relation_exists(conn, needed):
                raise RuntimeError(
                    f"{needed} does not exist in {conn.info.dbname}: run `dbt build` first."
                )
        data = ReportData(
            generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            database=f"{conn.info.host}:{conn.info.port}/{conn.info.dbname}",
        )
        data.reconciliation = _rows(
            conn,
            "select * from audit.migration_reconciliation order by source_table, measure",
        )
        data.null_rates = _rows(
            conn,
            "select model_name, column_name, null_rate, max_null_rate, is_passing "
            "from audit.null_rates order by column_name",
        )
        data.quarantine_by_rule = _rows(
            conn,
            "select rule_code, count(*) as row_count from audit.quarantined_rows, "
            "unnest(rule_codes) as rule_code group by rule_code order by row_count desc, rule_code",
        )
        data.warnings_by_rule = _rows(
            conn,
            "select rule_code, count(*) as issue_count from audit.member_data_issues "
            "group by rule_code order by issue_count desc, rule_code",
        )
        data.cluster_sizes = _rows(
            conn,
            "select source_record_count as records_per_member, count(*) as members "
            "from marts.dim_members group by 1 order by 1",
        )
        data.tiers_before = _rows(
            conn,
            "select tier_code, count(*) as records from intermediate.int_member_records "
            "group by tier_code order by tier_code",
        )
        data.tiers_after = _rows(
            conn,
            "select tier_code, count(*) as members from marts.dim_members "
            "group by tier_code order by tier_code",
        )
        data.points_by_source = _rows(
            conn,
            "select r.source_table, r.legacy_value as legacy_points, "
            "r.migrated_value as migrated_legacy_units, r.residual_value, r.quarantined_value "
            "from audit.migration_reconciliation r where r.measure = 'points' "
            "order by r.source_table",
        )
        data.totals = _rows(
            conn,
            "select (select count(*) from marts.dim_members) as members, "
            "(select count(*) from marts.dim_member_legacy_accounts) as migrated_records, "
            "(select count(*) from audit.quarantined_rows) as quarantined_rows, "
            "(select count(*) from audit.member_data_issues) as issues, "
            "(select coalesce(sum(points_balance), 0) from marts.dim_members) as points_balance, "
            "(select coalesce(sum(stored_value_balance), 0) from marts.dim_members) "
            "as stored_value_balance, "
            "(select count(*) from audit.migration_reconciliation where difference <> 0) "
            "as unreconciled_rows",
        )[0]
        if _relation_exists(conn, "audit.sample_verification"):
            data.sample = _rows(conn, "select * from audit.sample_verification order by 1, 2, 3")
    return data


# -- rendering -----------------------------------------------------------------------------------
def _table(rows: list[dict], columns: list[str] | None = None, limit: int | None = None) -> str:
    if not rows:
        return "<p class='muted'>No rows.</p>"
    columns = columns or list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows[:limit] if limit else rows:
        cells = []
        for c in columns:
            value = row.get(c)
            if isinstance(value, bool):
                css, shown = "", "yes" if value else "no"
            else:
                css = " class='num'" if isinstance(value, int | float) else ""
                shown = "" if value is None else _shown(value)
            cells.append(f"<td{css}>{html.escape(str(shown))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return f"<div class='wide'>{table}</div>"


_CSS = """
.wide{overflow-x:auto}
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC",
"Microsoft YaHei",sans-serif;
margin:2rem auto;max-width:1100px;color:#1b1f24;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #d0d7de;
padding-bottom:.3rem;font-size:1.2rem}.muted{color:#57606a}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f6f8fa}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;
padding:.6rem 1rem;min-width:140px}.card b{display:block;font-size:1.3rem}
.charts{display:flex;gap:1.5rem;flex-wrap:wrap;align-items:flex-start}
"""


def render_html(data: ReportData) -> str:
    """The report page: every figure from ``data``, charts as inline SVG."""
    t = data.totals
    reconciled = t.get("unreconciled_rows", 1) == 0
    gate_ok = all(r["is_passing"] for r in data.null_rates)
    cards = [
        ("members", t.get("members", 0)),
        ("migrated legacy records", t.get("migrated_records", 0)),
        ("quarantined rows", t.get("quarantined_rows", 0)),
        ("data issues (warnings)", t.get("issues", 0)),
        ("points balance (new points)", t.get("points_balance", 0)),
        ("stored value (yuan)", t.get("stored_value_balance", 0)),
    ]
    card_html = "".join(
        f"<div class='card'><b>{_shown(v)}</b><span class='muted'>{html.escape(k)}</span></div>"
        for k, v in cards
    )
    verdict = (
        "<span class='ok'>every difference is 0</span>"
        if reconciled
        else f"<span class='bad'>{t.get('unreconciled_rows')} rows do not reconcile</span>"
    )
    gate = (
        "<span class='ok'>every gated field within its threshold</span>"
        if gate_ok
        else "<span class='bad'>a gated field is above its threshold</span>"
    )
    recon_chart = charts.stacked_bars(
        [
            (
                f"{r['source_table']} · {r['measure']}",
                [
                    ("migrated", r["migrated_value"]),
                    ("duplicate", r["duplicate_value"]),
                    ("superseded", r["superseded_value"]),
                    ("quarantined", r["quarantined_value"]),
                    ("rejected", r["rejected_value"]),
                    ("residual", r["residual_value"]),
                    ("erased", r["erased_value"]),
                ],
            )
            for r in data.reconciliation
            if r["measure"] == "records"
        ],
        title="Records per source file, by outcome",
    )
    gate_chart = charts.threshold_bars(
        [(r["column_name"], r["null_rate"] or 0, r["max_null_rate"]) for r in data.null_rates],
        title="Null rate of each gated field against its threshold",
    )
    quarantine_chart = charts.bars(
        [(r["rule_code"], r["row_count"]) for r in data.quarantine_by_rule],
        title="Quarantined rows by rule (a row counts once per rule it broke)",
    )
    warnings_chart = charts.bars(
        [(r["rule_code"], r["issue_count"]) for r in data.warnings_by_rule],
        title="Data issues (warnings) by rule",
    )
    cluster_chart = charts.bars(
        [(f"{r['records_per_member']} record(s)", r["members"]) for r in data.cluster_sizes],
        title="Members by number of legacy records merged",
    )
    tiers = sorted({r["tier_code"] for r in data.tiers_before + data.tiers_after})
    before = {r["tier_code"]: r["records"] for r in data.tiers_before}
    after = {r["tier_code"]: r["members"] for r in data.tiers_after}
    tier_chart = charts.grouped_bars(
        [
            (tier, [("legacy records", before.get(tier, 0)), ("members", after.get(tier, 0))])
            for tier in tiers
        ],
        title="Tier distribution: legacy records (mapped) and migrated members",
    )
    points_chart = charts.grouped_bars(
        [
            (
                r["source_table"],
                [
                    ("legacy", r["legacy_points"]),
                    ("migrated (legacy units)", r["migrated_legacy_units"]),
                ],
            )
            for r in data.points_by_source
        ],
        title="Points before and after, in legacy units",
    )
    payload = json.dumps(asdict(data), ensure_ascii=False, default=str).replace("</", "<\\/")
    sample_columns = list(data.sample[0])[:SAMPLE_COLUMNS_LIMIT] if data.sample else None
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Member migration report</title>
<style>{_CSS}</style></head>
<body>
<h1>Member migration report</h1>
<p class="muted">Warehouse {html.escape(data.database)} · generated {data.generated_at}</p>
<div class="cards">{card_html}</div>
<h2>Reconciliation</h2>
<p>Every legacy record, point, yuan and open coupon accounted for: {verdict}.</p>
<div class="charts">{recon_chart}</div>
{_table(data.reconciliation)}
<h2>Quality gate</h2>
<p>Required fields of the golden member against the field dictionary: {gate}.</p>
<div class="charts">{gate_chart}</div>
{_table(data.null_rates)}
<h2>Quarantine and warnings</h2>
<div class="charts">{quarantine_chart}{warnings_chart}</div>
<h2>Records to members</h2>
<div class="charts">{cluster_chart}</div>
{_table(data.cluster_sizes)}
<h2>Tiers before and after</h2>
<p class="muted">A migration never demotes: a member takes the highest tier of its records.</p>
<div class="charts">{tier_chart}</div>
<h2>Points before and after</h2>
<div class="charts">{points_chart}</div>
{_table(data.points_by_source)}
<h2>Sample verification</h2>
<p class="muted">Members chosen reproducibly; legacy values beside migrated values
(audit.sample_verification).</p>
{_table(data.sample, sample_columns)}
<script type="application/json" id="report-data">{payload}</script>
</body></html>
"""


def write_report(conninfo: str, out: Path) -> Path:
    """Collect the figures and write the page to ``out`` (folders created)."""
    data = collect_report_data(conninfo)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data), encoding="utf-8")
    _logger.info("report written to %s", out)
    return out
