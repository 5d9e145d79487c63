"""A small in-memory GitHub REST API on a loopback port, for the delivery tooling's tests.

It serves the endpoints the tooling calls, the way GitHub does (JSON bodies, `Link` pagination
with `per_page`, 404/422 errors), and records every request, so tests assert what was sent over
HTTP, not what a mock was told.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

BOT = {"login": "github-actions[bot]", "type": "Bot"}


@dataclass
class FakeGitHub:
    repo: str = "example-org/groundwork"
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issues: list[dict[str, Any]] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)
    pulls: dict[int, str] = field(default_factory=dict)  # number -> head sha
    teams: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    token: str = "ghs_test"
    _next_id: int = 1000

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def writes(self) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] != "GET"]


def _page(items: list[Any], query: dict[str, list[str]], base: str) -> tuple[list[Any], str | None]:
    per_page = int((query.get("per_page") or ["30"])[0])
    page = int((query.get("page") or ["1"])[0])
    chunk = items[(page - 1) * per_page : page * per_page]
    if page * per_page < len(items):
        q = {k: v[0] for k, v in query.items()}
        q["page"] = str(page + 1)
        return chunk, f'<{base}?{"&".join(f"{k}={v}" for k, v in q.items())}>; rel="next"'
    return chunk, None


def serve(gh: FakeGitHub) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, body: Any = None, link: str | None = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if link:
                self.send_header("Link", link)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            url = urlparse(self.path)
            query = parse_qs(url.query)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            gh.requests.append((method, self.path, body))
            if self.headers.get("Authorization") != f"Bearer {gh.token}":
                return self._send(401, {"message": "Bad credentials"})
            base = f"http://{self.headers['Host']}{url.path}"
            p = url.path
            r = re.escape(gh.repo)
            if m := re.fullmatch(rf"/repos/{r}/issues/(\d+)/comments", p):
                n = int(m.group(1))
                if method == "GET":
                    chunk, link = _page(gh.comments.get(n, []), query, base)
                    return self._send(200, chunk, link)
                c = {"id": gh.new_id(), "body": body["body"], "user": BOT}
                gh.comments.setdefault(n, []).append(c)
                return self._send(201, c)
            if m := re.fullmatch(rf"/repos/{r}/issues/comments/(\d+)", p):
                for cs in gh.comments.values():
                    for c in cs:
                        if c["id"] == int(m.group(1)):
                            c["body"] = body["body"]
                            return self._send(200, c)
                return self._send(404, {"message": "Not Found"})
            if m := re.fullmatch(rf"/repos/{r}/pulls/(\d+)", p):
                n = int(m.group(1))
                if n not in gh.pulls:
                    return self._send(404, {"message": "Not Found"})
                return self._send(200, {"number": n, "head": {"sha": gh.pulls[n]}})
            if p == f"/repos/{gh.repo}/issues":
                if method == "GET":
                    label = (query.get("labels") or [""])[0]
                    state = (query.get("state") or ["open"])[0]
                    found = [i for i in gh.issues if i["state"] == state and (not label or label in i["labels"])]
                    chunk, link = _page(found, query, base)
                    return self._send(200, chunk, link)
                issue = {"number": len(gh.issues) + 1, "state": "open", "title": body["title"], "body": body["body"],
                         "labels": list(body.get("labels", []))}  # fmt: skip
                gh.issues.append(issue)
                return self._send(201, issue)
            if m := re.fullmatch(rf"/repos/{r}/issues/(\d+)", p):
                issue = gh.issues[int(m.group(1)) - 1]
                issue.update({k: v for k, v in body.items() if k in ("title", "body", "state")})
                return self._send(200, issue)
            if p == f"/repos/{gh.repo}/labels":
                if body["name"] in gh.labels:
                    return self._send(422, {"message": "Validation Failed", "errors": [{"code": "already_exists"}]})
                gh.labels.add(body["name"])
                return self._send(201, {"name": body["name"]})
            if m := re.fullmatch(r"/orgs/([^/]+)/teams/([^/]+)", p):
                if m.group(2) not in gh.teams:
                    return self._send(404, {"message": "Not Found"})
                return self._send(200, {"id": gh.teams[m.group(2)], "slug": m.group(2)})
            if m := re.fullmatch(r"/users/([^/]+)", p):
                if m.group(1) not in gh.users:
                    return self._send(404, {"message": "Not Found"})
                return self._send(200, {"id": gh.users[m.group(1)], "login": m.group(1)})
            if m := re.fullmatch(rf"/repos/{r}/environments/([^/]+)", p):
                gh.environments[m.group(1)] = body
                return self._send(200, {"name": m.group(1)})
            return self._send(404, {"message": f"Not Found: {method} {p}"})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_PUT(self) -> None:
            self._handle("PUT")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
