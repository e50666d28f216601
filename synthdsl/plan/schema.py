"""Print the plan's JSON schema (published as ``docs/plan.schema.json``): ``python -m synthdsl.plan.schema``."""

from __future__ import annotations

import json

from synthdsl.plan.model import Plan

if __name__ == "__main__":
    print(json.dumps(Plan.model_json_schema(), indent=2, sort_keys=True))
