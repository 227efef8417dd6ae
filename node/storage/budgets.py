"""SQL for participatory budgets: the city's budgets (city node) and residents' allocations
(each resident's home node). Allocations are only ever read back summed, or by their owner."""

from __future__ import annotations

import json
import sqlite3

from node.models.budgets import AllocationTally, Budget, BudgetOutcome, BudgetProject


def _projects_json(projects: tuple[BudgetProject, ...]) -> str:
    return json.dumps(
        [
            {
                "name": p.name,
                "description": p.description,
                "cost": p.cost,
                "neighbourhood": p.neighbourhood,
            }
            for p in projects
        ],
        ensure_ascii=False,
    )


def _budget(row: sqlite3.Row) -> Budget:
    outcome = json.loads(row["outcome"]) if row["outcome"] else None
    return Budget(
        id=row["id"],
        object_uri=row["object_uri"],
        title=row["title"],
        description=row["description"],
        amount=row["amount"],
        currency=row["currency"],
        projects=tuple(
            BudgetProject(p["name"], p["description"], p["cost"], p.get("neighbourhood"))
            for p in json.loads(row["projects"])
        ),
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        closed_at=row["closed_at"],
        outcome=BudgetOutcome(outcome["text"], tuple(outcome["funded"])) if outcome else None,
        created_at=row["created_at"],
        withdrawn_at=row["withdrawn_at"],
    )


def put_budget(
    conn: sqlite3.Connection,
    *,
    object_uri: str,
    title: str,
    description: str,
    amount: int,
    currency: str,
    projects: tuple[BudgetProject, ...],
    opens_at: int,
    closes_at: int,
    created_by: int | None,
    now: int,
) -> int:
    cur = conn.execute(
        "INSERT INTO budgets (object_uri, title, description, amount, currency, projects,"
        " opens_at, closes_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            object_uri,
            title,
            description,
            amount,
            currency,
            _projects_json(projects),
            opens_at,
            closes_at,
            created_by,
            now,
        ),
    )
    return cur.lastrowid  # type: ignore[return-value]


def get_budget_by_id(conn: sqlite3.Connection, budget_id: int) -> Budget | None:
    row = conn.execute("SELECT * FROM budgets WHERE id = ?", (budget_id,)).fetchone()
    return _budget(row) if row else None


def list_budgets(conn: sqlite3.Connection) -> list[Budget]:
    rows = conn.execute("SELECT * FROM budgets ORDER BY created_at DESC, id DESC").fetchall()
    return [_budget(row) for row in rows]


def close_budget(conn: sqlite3.Connection, budget_id: int, now: int) -> None:
    conn.execute(
        "UPDATE budgets SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (now, budget_id)
    )


def put_budget_outcome(
    conn: sqlite3.Connection, budget_id: int, outcome: BudgetOutcome, now: int
) -> None:
    """Record the outcome; a budget with an outcome is closed."""
    conn.execute(
        "UPDATE budgets SET outcome = ?, closed_at = coalesce(closed_at, ?) WHERE id = ?",
        (
            json.dumps({"text": outcome.text, "funded": list(outcome.funded)}, ensure_ascii=False),
            now,
            budget_id,
        ),
    )


def withdraw_budget(conn: sqlite3.Connection, budget_id: int, now: int) -> None:
    conn.execute(
        "UPDATE budgets SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
        (now, budget_id),
    )


def get_allocation(conn: sqlite3.Connection, budget_uri: str, user_id: int) -> dict[int, int]:
    """One resident's own allocation: project index -> amount."""
    rows = conn.execute(
        "SELECT project, amount FROM budget_allocations WHERE budget_uri = ? AND user_id = ?",
        (budget_uri, user_id),
    ).fetchall()
    return {row["project"]: row["amount"] for row in rows}


def replace_allocation(
    conn: sqlite3.Connection,
    budget_uri: str,
    user_id: int,
    neighbourhood_id: int,
    amounts: dict[int, int],
    now: int,
) -> None:
    """A resident's allocation replaces their previous one; projects given nothing get no row,
    so an allocation of nothing at all means not taking part."""
    conn.execute(
        "DELETE FROM budget_allocations WHERE budget_uri = ? AND user_id = ?",
        (budget_uri, user_id),
    )
    conn.executemany(
        "INSERT INTO budget_allocations (budget_uri, user_id, neighbourhood_id, project, amount,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (budget_uri, user_id, neighbourhood_id, project, amount, now)
            for project, amount in sorted(amounts.items())
            if amount > 0
        ],
    )


def tally_allocations(
    conn: sqlite3.Connection, budget_uri: str, neighbourhood_id: int
) -> AllocationTally:
    """The neighbourhood's allocations summed: who gave what never leaves this function."""
    participants = conn.execute(
        "SELECT count(DISTINCT user_id) FROM budget_allocations"
        " WHERE budget_uri = ? AND neighbourhood_id = ?",
        (budget_uri, neighbourhood_id),
    ).fetchone()[0]
    rows = conn.execute(
        "SELECT project, sum(amount) AS total, count(DISTINCT user_id) AS supporters"
        " FROM budget_allocations WHERE budget_uri = ? AND neighbourhood_id = ? AND amount > 0"
        " GROUP BY project",
        (budget_uri, neighbourhood_id),
    ).fetchall()
    return AllocationTally(
        participants=participants,
        totals={row["project"]: row["total"] for row in rows},
        supporters={row["project"]: row["supporters"] for row in rows},
    )
