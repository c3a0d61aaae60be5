"""``EXPLAIN ANALYZE`` of the slowest models of a benchmark build: what is slow, and where.

For each model, its compiled SQL (``<target>/compiled/...``, written by the build) runs again
under ``explain (analyze, buffers, format json)`` in a transaction that is rolled back, after
the model's ``set local`` pre-hooks (the work_mem a model asks for changes its plan). The full
plan is saved as JSON beside the benchmark's; the summary keeps the plan nodes that took the
most time themselves (their own time: the node's total minus its children's).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

_VAR = re.compile(r"""\{\{\s*var\(\s*["'](\w+)["']\s*,\s*["']([^"']*)["']\s*\)\s*\}\}""")


@dataclass(frozen=True)
class PlanNode:
    node_type: str
    relation: str | None
    self_ms: float
    total_ms: float
    rows: int
    loops: int
    detail: str


def _render_hook(sql: str, dbt_vars: dict) -> str | None:
    """A ``set local`` pre-hook with its ``var()`` calls filled in; None for other hooks."""
    rendered = _VAR.sub(lambda m: str(dbt_vars.get(m.group(1), m.group(2))), sql).strip()
    if "{{" in rendered or "{%" in rendered or not rendered.lower().startswith("set local "):
        return None
    return rendered


def _walk(plan: dict) -> list[PlanNode]:
    """Every node of a JSON plan with its own time (inclusive minus children's)."""
    nodes = []
    loops = int(plan.get("Actual Loops", 1) or 1)
    total = float(plan.get("Actual Total Time", 0.0)) * loops
    children = plan.get("Plans", [])
    child_total = sum(
        float(c.get("Actual Total Time", 0.0)) * int(c.get("Actual Loops", 1) or 1)
        for c in children
    )
    details = [
        f"{k}: {plan[k]}"
        for k in (
            "Hash Cond",
            "Merge Cond",
            "Join Filter",
            "Filter",
            "Sort Key",
            "Sort Method",
            "Group Key",
            "Sort Space Type",
            "Peak Memory Usage",
            "Hash Batches",
            "Disk Usage",
        )
        if k in plan
    ]
    if "Workers Planned" in plan:
        details.append(f"workers: {plan.get('Workers Launched')}/{plan['Workers Planned']}")
    nodes.append(
        PlanNode(
            node_type=plan.get("Node Type", "?"),
            relation=plan.get("Relation Name") or plan.get("Function Name") or plan.get("CTE Name"),
            self_ms=max(0.0, total - child_total),
            total_ms=total,
            rows=int(plan.get("Actual Rows", 0)) * loops,
            loops=loops,
            detail="; ".join(str(d) for d in details)[:300],
        )
    )
    for child in children:
        nodes.extend(_walk(child))
    return nodes


def explain_models(
    conninfo: str,
    target_dir: Path,
    model_ids: list[str],
    out_dir: Path,
    dbt_vars: dict,
    top_nodes: int = 5,
) -> dict[str, dict]:
    """EXPLAIN ANALYZE each model (``model.<project>.<name>``); return a summary per model."""
    manifest = json.loads((target_dir / "manifest.json").read_text(encoding="utf-8"))
    out_dir.mkdir(parents=True, exist_ok=True)
    summaries: dict[str, dict] = {}
    with psycopg.connect(conninfo) as conn:
        for unique_id in model_ids:
            node = manifest["nodes"].get(unique_id)
            if node is None:
                continue
            compiled = target_dir / "compiled" / node["package_name"] / node["original_file_path"]
            if not compiled.exists():
                continue
            query = compiled.read_text(encoding="utf-8")
            hooks = [
                h
                for hook in node["config"].get("pre-hook", [])
                if (h := _render_hook(hook.get("sql", ""), dbt_vars)) is not None
            ]
            started = time.perf_counter()
            try:
                with conn.transaction(force_rollback=True):
                    for hook in hooks:
                        conn.execute(hook)
                    row = conn.execute(
                        f"explain (analyze, buffers, format json) {query}"
                    ).fetchone()
            except psycopg.Error as exc:
                summaries[node["name"]] = {"error": str(exc).strip()}
                continue
            seconds = time.perf_counter() - started
            plan = row[0][0] if isinstance(row[0], list) else json.loads(row[0])[0]
            path = out_dir / f"{node['name']}.json"
            path.write_text(json.dumps(plan, indent=1) + "\n", encoding="utf-8")
            heaviest = sorted(_walk(plan["Plan"]), key=lambda n: -n.self_ms)[:top_nodes]
            summaries[node["name"]] = {
                "seconds": round(seconds, 3),
                "execution_ms": plan.get("Execution Time"),
                "hooks": hooks,
                "plan": str(path),
                "heaviest_nodes": [
                    {
                        "node": n.node_type,
                        "relation": n.relation,
                        "self_ms": round(n.self_ms, 1),
                        "rows": n.rows,
                        "loops": n.loops,
                        "detail": n.detail,
                    }
                    for n in heaviest
                ],
            }
    return summaries
