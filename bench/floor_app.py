"""The floor: the bare app plus the work every post must get inside the process, with no Redis
and no session: the body's checks (NFC, control characters, length in graphemes) and the
policy's rules (content rules on the text, context rules on zero counts, the text's
fingerprint for the flood rule). Whatever else the service does per post (session, counters,
the atomic store, answers and logs) comes on top, so the floor's throughput bounds the
service's. Pages are answered as by the bare app.

    python bench/floor_app.py PORT [RULES_TOML]
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
from aiohttp import web
from bare_app import serve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.cli import _settle_heap  # noqa: E402
from service.comments.length import checked_body  # noqa: E402
from service.rules import ContextFacts, fingerprint  # noqa: E402
from service.rules.ruleset import load_ruleset  # noqa: E402

RULES = load_ruleset(Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "config" / "rules.toml")
NO_COUNTS = ContextFacts()


async def post(request: web.Request) -> web.Response:
    data = orjson.loads(await request.read())
    body = checked_body(data["body"], min_length=1, max_length=250, max_codepoints=4000)
    verdict = RULES.evaluate(body)
    fingerprint(body)
    final = RULES.combine([*verdict.hits, *RULES.evaluate_context(NO_COUNTS)], NO_COUNTS)
    return web.Response(
        body=orjson.dumps(
            {"id": "01JD0000000000000000000000AA", "body": body, "status": final.action}
        ),
        status=201,
        content_type="application/json",
    )


def main() -> None:
    _settle_heap()  # as the service's workers do
    serve(int(sys.argv[1]), post)


if __name__ == "__main__":
    main()
