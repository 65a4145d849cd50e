"""Error fidelity through boto3 unchanged: every case of tests/clients/error_cases.json (one
list of cases per operation, shared with js/errors_sdk.mjs) must fail with the exception
Cognito's API reference documents for the situation, as boto3 reads it (`Error.Code`), and
HTTP 400.

Usage: boto3_errors.py ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
Prints one line per operation and a final success line; exits non-zero, naming every\ncase that answered otherwise, if any did.
"""

import json
import os
import re
import sys

import boto3
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError

CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "error_cases.json")
PLACEHOLDER = re.compile(r"\$\{([\w.]+)\}")


def fill(value, known):
    """`value` with every ${name} replaced by what setup saved (or the table's `missing`)."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: known[m.group(1)], value)
    if isinstance(value, list):
        return [fill(item, known) for item in value]
    if isinstance(value, dict):
        return {key: fill(item, known) for key, item in value.items()}
    return value


def dig(answer, path):
    for member in path.split("."):
        answer = answer[member]
    return answer


def call(idp, operation, params):
    return getattr(idp, xform_name(operation))(**params)


def main(endpoint, key_id, secret):
    idp = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id=key_id, aws_secret_access_key=secret,
                       config=Config(retries={"max_attempts": 1}))
    with open(CASES) as file:
        table = json.load(file)
    known = {"run": "py"}
    known.update({"missing." + name: value for name, value in table["missing"].items()})

    for step in table["setup"]:
        answer = call(idp, step["call"], fill(step["with"], known))
        for name, path in step.get("save", {}).items():
            known[name] = dig(answer, path)
    print("ok: setup (%d calls)" % len(table["setup"]), flush=True)

    # Every case runs, and every mismatch is reported, before the script fails.
    mismatches = []
    for operation, cases in table["operations"].items():
        for case in cases:
            where = "%s, %s" % (operation, case["case"])
            try:
                call(idp, operation, fill(case["with"], known))
            except ClientError as error:
                got = (error.response["Error"]["Code"],
                       error.response["ResponseMetadata"]["HTTPStatusCode"])
                if got != (case["error"], 400):
                    mismatches.append("%s: expected %s (400), got %s (%d): %s" % (
                        where, case["error"], got[0], got[1], error.response["Error"].get("Message")))
                continue
            mismatches.append("%s: expected %s, the call succeeded" % (where, case["error"]))
        print("ran: %s (%d cases)" % (operation, len(cases)), flush=True)
    assert not mismatches, "\n".join(mismatches)

    print("boto3 errors: all checks passed")


if __name__ == "__main__":
    main(*sys.argv[1:4])
