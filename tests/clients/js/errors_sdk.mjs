// Error fidelity through the AWS SDK for JavaScript v3, unchanged: every case of
// ../error_cases.json (one list of cases per operation, shared with boto3_errors.py) must
// fail with the exception Cognito's API reference documents for the situation, as the SDK
// reads it (`error.name`), and HTTP 400 (`$metadata.httpStatusCode`).
//
// Usage: node errors_sdk.mjs ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as sdk from "@aws-sdk/client-cognito-identity-provider";

const [endpoint, accessKeyId, secretAccessKey] = process.argv.slice(2);
const table = JSON.parse(readFileSync(new URL("../error_cases.json", import.meta.url), "utf8"));
const client = new sdk.CognitoIdentityProviderClient({
  region: "us-east-1",
  endpoint,
  credentials: { accessKeyId, secretAccessKey },
  maxAttempts: 1,
});

const known = { run: "js" };
for (const [name, value] of Object.entries(table.missing)) known[`missing.${name}`] = value;

// `value` with every ${name} replaced by what setup saved (or the table's `missing`).
function fill(value) {
  if (typeof value === "string") {
    return value.replace(/\$\{([\w.]+)\}/g, (_, name) => {
      assert.ok(name in known, `unknown placeholder ${name}`);
      return known[name];
    });
  }
  if (Array.isArray(value)) return value.map(fill);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item)]));
  }
  return value;
}

function send(operation, params) {
  const Command = sdk[`${operation}Command`];
  assert.ok(Command, `the SDK has no ${operation}Command`);
  return client.send(new Command(fill(params)));
}

for (const step of table.setup) {
  const answer = await send(step.call, step.with);
  for (const [name, path] of Object.entries(step.save ?? {})) {
    known[name] = path.split(".").reduce((value, member) => value[member], answer);
  }
}
console.log(`ok: setup (${table.setup.length} calls)`);

// Every case runs, and every mismatch is reported, before the script fails.
const mismatches = [];
for (const [operation, cases] of Object.entries(table.operations)) {
  for (const { case: what, with: params, error: expected } of cases) {
    const where = `${operation}, ${what}`;
    try {
      await send(operation, params);
      mismatches.push(`${where}: expected ${expected}, the call succeeded`);
    } catch (error) {
      const status = error.$metadata?.httpStatusCode;
      if (error.name !== expected || status !== 400) {
        mismatches.push(`${where}: expected ${expected} (400), got ${error.name} (${status}): ${error.message}`);
      }
    }
  }
  console.log(`ran: ${operation} (${cases.length} cases)`);
}
assert.deepEqual(mismatches, [], mismatches.join("\n"));

console.log("js errors: all checks passed");
