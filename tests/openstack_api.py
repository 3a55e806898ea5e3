"""A local HTTP server speaking the slice of OpenStack's APIs the runner tool uses.

Chameleon cannot be reached from here, so python-chi talks to this instead:
Keystone v3 (application-credential tokens with a service catalog), Blazar v1
(leases), Nova v2.1 (flavors, servers), Glance v2 (images) and Neutron v2.0
(networks), in the request and response shapes those APIs document. It records
every request and keeps leases and servers, so tests assert what python-chi
really sent. It checks what the tool depends on, not everything OpenStack would.
"""

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

REGION = "CHI@UC"


class FakeOpenStack:
    def __init__(self):
        self.refuse_servers = False  # Nova answers 500 to a server create
        self.requests: list[tuple[str, str, dict | None]] = []
        self.leases: dict[str, dict] = {}
        self.servers: dict[str, dict] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def catalog(self):
        def service(kind, name, path):
            return {
                "type": kind,
                "name": name,
                "id": name,
                "endpoints": [
                    {
                        "id": f"{name}-{interface}",
                        "interface": interface,
                        "region": REGION,
                        "region_id": REGION,
                        "url": f"{self.url}{path}",
                    }
                    for interface in ("public", "internal")
                ],
            }

        return [
            service("identity", "keystone", "/identity/v3"),
            service("reservation", "blazar", "/reservation/v1"),
            service("compute", "nova", "/compute/v2.1"),
            service("image", "glance", "/image"),
            service("network", "neutron", "/network"),
        ]

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, body=None, headers=None):
                payload = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length)) if length else None

            def _route(self):
                body = self._body()
                path = urlparse(self.path).path
                api.requests.append((self.command, self.path, body))
                method = self.command
                if method == "POST" and path == "/identity/v3/auth/tokens":
                    token = {
                        "expires_at": "2099-01-01T00:00:00.000000Z",
                        "issued_at": "2027-01-01T00:00:00.000000Z",
                        "methods": ["application_credential"],
                        "user": {
                            "id": "u1",
                            "name": "student",
                            "domain": {"id": "default", "name": "Default"},
                        },
                        "project": {
                            "id": "p1",
                            "name": "CHI-000000",
                            "domain": {"id": "default", "name": "Default"},
                        },
                        "roles": [{"id": "r1", "name": "member"}],
                        "catalog": api.catalog(),
                    }
                    return self._answer(
                        201, {"token": token}, {"X-Subject-Token": "token-1"}
                    )
                if self.headers.get("X-Auth-Token") != "token-1":
                    return self._answer(401, {"error": "unauthenticated"})
                if method == "POST" and path == "/reservation/v1/leases":
                    lease = {
                        **body,
                        "id": str(uuid.uuid4()),
                        "status": "PENDING",
                        "created_at": "2027-01-01 00:00:00",
                        "reservations": [
                            {**r, "id": str(uuid.uuid4())} for r in body["reservations"]
                        ],
                    }
                    api.leases[lease["id"]] = lease
                    return self._answer(201, {"lease": lease})
                found = re.fullmatch(r"/reservation/v1/leases/([\w-]+)", path)
                if found and found.group(1) in api.leases:
                    if method == "GET":
                        lease = api.leases[found.group(1)]
                        lease["status"] = "ACTIVE"
                        return self._answer(200, {"lease": lease})
                    if method == "DELETE":
                        del api.leases[found.group(1)]
                        return self._answer(204)
                if method == "GET" and path == "/reservation/v1/leases":
                    return self._answer(200, {"leases": list(api.leases.values())})
                if method == "GET" and path == "/image/v2/schemas/image":
                    return self._answer(
                        200,
                        {
                            "name": "image",
                            "properties": {
                                "id": {"type": "string"},
                                "name": {"type": "string"},
                            },
                            "additionalProperties": True,
                        },
                    )
                if method == "GET" and path == "/image/v2/images":
                    return self._answer(
                        200,
                        {
                            "images": [{"id": "img-1", "name": "CC-Ubuntu22.04-CUDA"}],
                            "schema": "/v2/schemas/images",
                            "first": "/v2/images",
                        },
                    )
                if method == "GET" and path == "/network/v2.0/networks":
                    return self._answer(
                        200, {"networks": [{"id": "net-1", "name": "sharednet1"}]}
                    )
                if method == "GET" and path == "/compute/v2.1/flavors/detail":
                    return self._answer(
                        200,
                        {"flavors": [{"id": "fl-1", "name": "baremetal", "links": []}]},
                    )
                if (
                    method == "POST"
                    and path == "/compute/v2.1/servers"
                    and api.refuse_servers
                ):
                    return self._answer(
                        500, {"computeFault": {"code": 500, "message": "No valid host"}}
                    )
                if method == "POST" and path == "/compute/v2.1/servers":
                    server = {
                        "id": str(uuid.uuid4()),
                        "name": body["server"]["name"],
                        "created": "2027-01-01T00:00:00Z",
                        "links": [],
                        "request": body,
                    }
                    api.servers[server["id"]] = server
                    return self._answer(
                        202, {"server": {"id": server["id"], "links": []}}
                    )
                if method == "GET" and path == "/compute/v2.1/servers/detail":
                    return self._answer(
                        200,
                        {
                            "servers": [
                                {k: v for k, v in s.items() if k != "request"}
                                for s in api.servers.values()
                            ]
                        },
                    )
                found = re.fullmatch(r"/compute/v2.1/servers/([\w-]+)", path)
                if method == "DELETE" and found and found.group(1) in api.servers:
                    del api.servers[found.group(1)]
                    return self._answer(204)
                return self._answer(404, {"error": f"no route {method} {path}"})

            do_GET = do_POST = do_DELETE = _route

        return Handler
