"""A local HTTP server speaking the slice of OpenStack's APIs the runner tool uses.

Chameleon cannot be reached from here, so python-chi talks to this instead:
Keystone v3 (application-credential tokens with a service catalog), Blazar v1
(leases, node and flavor reservations), Nova v2.1 (flavors, servers), Glance v2
(images) and Neutron v2.0 (networks, ports, security groups and their rules,
floating IPs), in the request and response shapes those APIs document. It records
every request and keeps leases and servers, so tests assert what python-chi
really sent. It checks what the tool depends on, not everything OpenStack would.
"""

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

REGION = "CHI@UC"


class FakeOpenStack:
    def __init__(self, region: str = REGION):
        self.region = region  # the site the catalog's endpoints belong to
        self.refuse_servers = False  # Nova answers 500 to a server create
        self.requests: list[tuple[str, str, dict | None]] = []
        self.leases: dict[str, dict] = {}
        self.servers: dict[str, dict] = {}
        self.security_groups: dict[str, dict] = {}
        self.floating_ips: dict[str, dict] = {}
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
                        "region": self.region,
                        "region_id": self.region,
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
                query = parse_qs(urlparse(self.path).query)
                if method == "GET" and path == "/network/v2.0/networks":
                    networks = [
                        {"id": "net-1", "name": "sharednet1"},
                        {"id": "net-public", "name": "public"},
                    ]
                    wanted = query.get("name")
                    if wanted:
                        networks = [n for n in networks if n["name"] in wanted]
                    return self._answer(200, {"networks": networks})
                if path.startswith("/network/v2.0/"):
                    return self._neutron(method, path, query, body)
                flavors = [
                    {"id": "fl-1", "name": "baremetal", "links": []},
                    {"id": "fl-2", "name": "m1.medium", "links": []},
                ]
                if method == "GET" and path in (
                    "/compute/v2.1/flavors",
                    "/compute/v2.1/flavors/detail",
                ):
                    return self._answer(200, {"flavors": flavors})
                shown = [
                    f for f in flavors if path == f"/compute/v2.1/flavors/{f['id']}"
                ]
                if method == "GET" and shown:
                    return self._answer(200, {"flavor": shown[0]})
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
                        "status": "ACTIVE",
                        "metadata": body["server"].get("metadata", {}),
                        "addresses": {
                            "sharednet1": [
                                {
                                    "version": 4,
                                    "addr": f"10.56.0.{len(api.servers) + 10}",
                                    "OS-EXT-IPS:type": "fixed",
                                }
                            ]
                        },
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
                    api.remove_server(found.group(1))
                    return self._answer(204)
                if method == "GET" and found and found.group(1) in api.servers:
                    server = api.servers[found.group(1)]
                    shown = {k: v for k, v in server.items() if k != "request"}
                    return self._answer(200, {"server": shown})
                missing = f"no route {method} {path}"
                if path.startswith("/compute/"):  # Nova's shape, which novaclient reads
                    return self._answer(
                        404, {"itemNotFound": {"code": 404, "message": missing}}
                    )
                return self._answer(404, {"error": missing})

            def _neutron(self, method, path, query, body):
                """Security groups, their rules, floating IPs and ports."""
                return api.neutron(self, method, path, query, body)

            do_GET = do_POST = do_DELETE = do_PUT = _route

        return Handler

    def remove_server(self, server_id: str) -> None:
        """As Nova does: a floating IP on the server's port stays, detached."""
        del self.servers[server_id]
        for address in self.floating_ips.values():
            if address.get("port_id") == f"port-{server_id}":
                address["port_id"] = None

    def neutron(self, handler, method, path, query, body):
        """Neutron v2.0 beyond networks: what `nox -s infra` uses."""
        groups, addresses = self.security_groups, self.floating_ips
        base = "/network/v2.0/"
        kind, _, item = path[len(base) :].partition("/")
        if kind == "security-groups" and method == "GET" and not item:
            return handler._answer(200, {"security_groups": list(groups.values())})
        if kind == "security-groups" and method == "POST":
            group = {
                **body["security_group"],
                "id": str(uuid.uuid4()),
                "security_group_rules": [],
            }
            groups[group["id"]] = group
            return handler._answer(201, {"security_group": group})
        if kind == "security-groups" and item in groups:
            if method == "GET":
                return handler._answer(200, {"security_group": groups[item]})
            if method == "DELETE":
                in_use = [
                    s["name"]
                    for s in self.servers.values()
                    if {"name": groups[item]["name"]}
                    in s.get("request", {}).get("server", {}).get("security_groups", [])
                ]
                if in_use:
                    return handler._answer(409, {"NeutronError": {"message": "in use"}})
                del groups[item]
                return handler._answer(204)
        if kind == "security-group-rules" and method == "POST":
            rule = {**body["security_group_rule"], "id": str(uuid.uuid4())}
            groups[rule["security_group_id"]]["security_group_rules"].append(rule)
            return handler._answer(201, {"security_group_rule": rule})
        if kind == "security-group-rules" and method == "DELETE":
            for group in groups.values():
                rules = group["security_group_rules"]
                group["security_group_rules"] = [r for r in rules if r["id"] != item]
            return handler._answer(204)
        if kind == "floatingips" and method == "GET" and not item:
            return handler._answer(200, {"floatingips": list(addresses.values())})
        if kind == "floatingips" and method == "POST":
            address = {
                "port_id": None,
                **body["floatingip"],
                "id": str(uuid.uuid4()),
                "floating_ip_address": f"129.114.0.{len(addresses) + 10}",
            }
            addresses[address["id"]] = address
            return handler._answer(201, {"floatingip": address})
        if kind == "floatingips" and item in addresses:
            if method == "PUT":
                addresses[item].update(body["floatingip"])
                return handler._answer(200, {"floatingip": addresses[item]})
            if method == "DELETE":
                del addresses[item]
                return handler._answer(204)
        if kind == "ports" and method == "GET":
            devices = query.get("device_id", [])
            ports = [
                {"id": f"port-{server_id}", "device_id": server_id}
                for server_id in self.servers
                if server_id in devices
            ]
            return handler._answer(200, {"ports": ports})
        return handler._answer(404, {"error": f"no route {method} {path}"})
