"""The few GitHub REST calls the workflows make, with the standard library only.

Used by `groundwork ci drift` and `groundwork ci environments`, and run as
`python3 -m groundwork.delivery.github comment` by the privileged comment job
(`.github/workflows/pr-comment.yml`), which installs nothing: no third-party code in a job that
holds a write token.

Every write is an upsert keyed by a hidden marker, so reruns edit the one comment or issue
instead of adding new ones.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_BODY = 65000  # GitHub rejects comment and issue bodies above 65536 characters
NEXT_LINK = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHubError(Exception):
    """A GitHub API call failed: the message names the call and GitHub's answer."""


@dataclass
class GitHub:
    token: str
    api: str = "https://api.github.com"
    timeout: float = 30.0

    @classmethod
    def from_env(cls) -> GitHub:
        token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
        if not token:
            raise GitHubError("no GitHub token: set GITHUB_TOKEN (the workflow's token) or GH_TOKEN")
        return cls(token=token, api=os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"))

    def request(self, method: str, path: str, body: Any = None) -> tuple[Any, dict[str, str]]:
        url = path if path.startswith("http") else f"{self.api}{path}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        req.add_header("User-Agent", "groundwork-ci")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
                return (json.loads(raw) if raw else None), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise GitHubError(f"{method} {urllib.parse.urlparse(url).path}: HTTP {exc.code} {detail}") from None
        except urllib.error.URLError as exc:
            raise GitHubError(f"{method} {url}: {exc.reason}") from None

    def paged(self, path: str) -> list[Any]:
        items: list[Any] = []
        sep = "&" if "?" in path else "?"
        url: str | None = f"{path}{sep}per_page=100"
        while url:
            page, headers = self.request("GET", url)
            items += page or []
            m = NEXT_LINK.search(headers.get("Link", "") or headers.get("link", ""))
            url = m.group(1) if m else None
        return items


def marker(kind: str, key: str = "") -> str:
    return f"<!-- groundwork-{kind}{':' + key if key else ''} -->"


def _clip(body: str) -> str:
    if len(body) <= MAX_BODY:
        return body
    return body[: MAX_BODY - 80] + "\n\n_(truncated: the full report is in the workflow run's summary)_\n"


def upsert_comment(gh: GitHub, repo: str, number: int, body: str, tag: str, *, head_sha: str | None = None) -> str:
    """Create or edit the one comment carrying `tag` on pull request `number`. With `head_sha`,
    refuse when the pull request's head moved on (a result of an older commit is not posted)."""
    if tag not in body:
        body = f"{tag}\n{body}"
    if head_sha is not None:
        pr, _ = gh.request("GET", f"/repos/{repo}/pulls/{number}")
        if pr["head"]["sha"] != head_sha:
            return f"skipped: #{number} is at {pr['head']['sha'][:7]}, the result is for {head_sha[:7]}"
    for c in gh.paged(f"/repos/{repo}/issues/{number}/comments"):
        if tag in (c.get("body") or "") and (c.get("user") or {}).get("type") == "Bot":
            gh.request("PATCH", f"/repos/{repo}/issues/comments/{c['id']}", {"body": _clip(body)})
            return f"updated comment {c['id']} on #{number}"
    created, _ = gh.request("POST", f"/repos/{repo}/issues/{number}/comments", {"body": _clip(body)})
    return f"created comment {created['id']} on #{number}"


def upsert_issue(gh: GitHub, repo: str, key: str, title: str, body: str | None, *, label: str = "drift") -> str:
    """Open or update the open issue carrying `marker(label, key)`; with body None, close it."""
    tag = marker(label, key)
    found = next(
        (i for i in gh.paged(f"/repos/{repo}/issues?state=open&labels={label}") if tag in (i.get("body") or "")),
        None,
    )
    if body is None:
        if found is None:
            return "no open issue: nothing to close"
        gh.request("POST", f"/repos/{repo}/issues/{found['number']}/comments", {"body": "No drift any more: closing."})
        gh.request("PATCH", f"/repos/{repo}/issues/{found['number']}", {"state": "closed", "state_reason": "completed"})
        return f"closed #{found['number']}"
    text = _clip(f"{tag}\n{body}")
    if found is not None:
        gh.request("PATCH", f"/repos/{repo}/issues/{found['number']}", {"title": title, "body": text})
        return f"updated #{found['number']}"
    try:
        gh.request("POST", f"/repos/{repo}/labels", {"name": label, "color": "d93f0b"})
    except GitHubError as exc:
        if "HTTP 422" not in str(exc):  # 422: the label exists already
            raise
    created, _ = gh.request("POST", f"/repos/{repo}/issues", {"title": title, "body": text, "labels": [label]})
    return f"opened #{created['number']}"


def resolve_reviewers(gh: GitHub, repo: str, reviewers: list[str]) -> list[dict[str, Any]]:
    """`user:<login>` / `team:<slug>` -> the ids the environments API takes."""
    org = repo.split("/")[0]
    out = []
    for r in reviewers:
        kind, name = r.split(":", 1)
        if kind == "team":
            team, _ = gh.request("GET", f"/orgs/{org}/teams/{name}")
            out.append({"type": "Team", "id": team["id"]})
        else:
            user, _ = gh.request("GET", f"/users/{name}")
            out.append({"type": "User", "id": user["id"]})
    return out


def put_environment(gh: GitHub, repo: str, name: str, reviewers: list[dict[str, Any]]) -> str:
    """Create or update GitHub environment `name`: required reviewers (none: no approval), and
    deployments only from protected branches."""
    body = {
        "reviewers": reviewers or None,
        "prevent_self_review": bool(reviewers),
        "deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": False},
    }
    gh.request("PUT", f"/repos/{repo}/environments/{name}", body)
    return f"environment {name}: {len(reviewers)} reviewer(s), protected branches only"


def main(argv: list[str] | None = None) -> int:
    """`python3 -m groundwork.delivery.github comment --repo R --pr N --file F [--head-sha S]`."""
    parser = argparse.ArgumentParser(prog="python3 -m groundwork.delivery.github")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("comment", help="create or update the pull request comment carrying --tag")
    c.add_argument("--repo", required=True)
    c.add_argument("--pr", required=True)
    c.add_argument("--file", required=True, type=Path)
    c.add_argument("--tag", default=marker("cost"))
    c.add_argument("--head-sha")
    args = parser.parse_args(argv)
    try:
        if not re.fullmatch(r"[1-9][0-9]{0,9}", args.pr.strip()):
            raise GitHubError(f"--pr {args.pr!r} is not a pull request number")
        if args.head_sha is not None and not re.fullmatch(r"[0-9a-f]{40}", args.head_sha):
            raise GitHubError(f"--head-sha {args.head_sha!r} is not a commit SHA")
        print(upsert_comment(GitHub.from_env(), args.repo, int(args.pr), args.file.read_text(), args.tag,
                             head_sha=args.head_sha))  # fmt: skip
    except (GitHubError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
