"""ASGI middleware: every HTTP request needs `Authorization: Bearer <token>`.

The token is re-read from its file on each request because the file is a mounted
Kubernetes Secret that is rotated in place; a restart must not be needed. A
missing or empty token file fails closed: every request gets 401 (and the
launcher's /healthz reports unhealthy), never an open server.
"""

import hmac
from pathlib import Path


class BearerTokenAuth:
    def __init__(self, app, token_file: str, open_paths: frozenset[str], on_refused=lambda: None):
        self.app = app
        self.token_file = Path(token_file)
        self.open_paths = open_paths
        self.on_refused = on_refused

    def expected_token(self) -> bytes | None:
        try:
            token = self.token_file.read_bytes().strip()
        except OSError:
            return None
        return token or None

    def is_authorized(self, scope) -> bool:
        expected = self.expected_token()
        if expected is None:
            # Fail closed: a missing or empty token file must not open the server.
            return False
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, presented = header.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(presented.strip(), expected)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in self.open_paths or self.is_authorized(scope):
            await self.app(scope, receive, send)
            return
        self.on_refused()
        body = b'{"error":"unauthorized","error_description":"Authorization: Bearer <token> required"}'
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="computer-control"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
