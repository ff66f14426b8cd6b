"""the casework figures summed up the org tree (dimensions tree and tree_item)

Revision ID: 0013
Revises: 0012

A province's dashboard reads its own row and its cities' rows instead of every township's: each
unit's figures are also kept summed into every unit above it. This upgrade makes those sums from
the units' rows already kept, in SQL (no case is read).
"""

from alembic import op

from central_api.stores.case_figure_store import rebuild_tree_figures

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    rebuild_tree_figures(op.get_bind())


def downgrade() -> None:
    for table in ("case_figures", "case_figures_monthly"):
        op.execute(f"DELETE FROM {table} WHERE dimension IN ('tree', 'tree_item')")
