"""A local fake of ORCID's OAuth endpoints for the tests: a threading
http.server on 127.0.0.1 that the tests start themselves, speaking ORCID's
plain OAuth 2.0 flow with scope /authenticate.

- GET /oauth/authorize checks the client, the scope and the redirect URI, and
  sends the browser back with a one-time code and the state it was given (or
  with error=access_denied, when the researcher says no);
- POST /oauth/token checks the client's id and secret (in the form, as ORCID
  reads them), the code and the redirect URI it was issued for, and answers
  {"access_token", "orcid", "name", ...} as ORCID does; or fails as told
  (a 500, or an answer later than the portal waits).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "APP-POPSTEST0000001"
CLIENT_SECRET = "a-client-secret-for-tests"
SCOPE = "/authenticate"


@dataclass
class Orcid:
    """What the fake knows and what it was asked (reset by each test)."""

    redirect_uri: str
    orcid: str = "0000-0002-1825-0097"
    name: str = "Josiah Carberry"
    deny: bool = False  # the researcher refuses at ORCID
    token_failure: str = ""  # "500" or "slow"
    slow_seconds: float = 2.0
    codes: dict = field(default_factory=dict)  # code → (orcid, name, redirect_uri)
    token_requests: list = field(default_factory=list)  # the forms posted to /oauth/token

    def reset(self, redirect_uri: str) -> None:
        self.__init__(redirect_uri=redirect_uri)


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeORCID/1.0"

    @property
    def orcid(self) -> Orcid:
        return self.server.orcid

    def log_message(self, *args):  # quiet
        pass

    def _json(self, status: int, data: dict) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path != "/oauth/authorize":
            return self._json(404, {"error": "not_found"})
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        if (
            query.get("client_id") != CLIENT_ID
            or query.get("response_type") != "code"
            or query.get("scope") != SCOPE
            or query.get("redirect_uri") != self.orcid.redirect_uri
        ):
            return self._json(400, {"error": "invalid_request", "query": query})
        if self.orcid.deny:
            answer = {"error": "access_denied", "error_description": "User denied access"}
        else:
            code = secrets.token_urlsafe(6)
            self.orcid.codes[code] = (self.orcid.orcid, self.orcid.name, query["redirect_uri"])
            answer = {"code": code}
        if "state" in query:
            answer["state"] = query["state"]
        self.send_response(302)
        self.send_header("Location", f"{query['redirect_uri']}?{urlencode(answer)}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        if urlsplit(self.path).path != "/oauth/token":
            return self._json(404, {"error": "not_found"})
        length = int(self.headers.get("Content-Length") or 0)
        form = {name: values[0] for name, values in parse_qs(self.rfile.read(length).decode()).items()}
        self.orcid.token_requests.append(form)
        if self.orcid.token_failure == "500":
            body = b"<html><body>Internal Server Error</body></html>"
            self.send_response(500)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        if self.orcid.token_failure == "slow":
            time.sleep(self.orcid.slow_seconds)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return self._json(401, {"error": "invalid_client", "error_description": "Client not found"})
        if form.get("grant_type") != "authorization_code":
            return self._json(400, {"error": "unsupported_grant_type"})
        issued = self.orcid.codes.pop(form.get("code"), None)  # a code is used once
        if issued is None or issued[2] != form.get("redirect_uri"):
            return self._json(400, {"error": "invalid_grant", "error_description": "Invalid authorization code"})
        orcid, name, _redirect_uri = issued
        return self._json(
            200,
            {
                "access_token": secrets.token_hex(16),
                "token_type": "bearer",
                "refresh_token": secrets.token_hex(16),
                "expires_in": 631138518,
                "scope": SCOPE,
                "name": name,
                "orcid": orcid,
            },
        )


class Server:
    """The fake on a free port of 127.0.0.1, served from a thread."""

    def __init__(self, redirect_uri: str):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.orcid = Orcid(redirect_uri=redirect_uri)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def state(self) -> Orcid:
        return self.httpd.orcid

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
