"""A PreTokenGeneration function adding a claim, served over the AWS Lambda Invoke API on
127.0.0.1:9000 with nothing but the Python standard library (docs/triggers.md).

`handler` is a Lambda handler as AWS runs it; the small server around it is what
`sam local start-lambda` or AWS Lambda would otherwise be.
"""

import json
from http.server import BaseHTTPRequestHandler, HTTPServer


def handler(event, context):
    if event["triggerSource"].startswith("TokenGeneration_"):
        event["response"]["claimsOverrideDetails"] = {
            "claimsToAddOrOverride": {"tenant": "acme", "plan": "enterprise"}
        }
    return event


class Invoke(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body = json.dumps(handler(event, None)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 9000), Invoke).serve_forever()
